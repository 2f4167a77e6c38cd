"""The HTML report in a real browser: headless Chromium draws every plot, with no console errors.

Needs Chromium (Debian: apt-get install chromium). Without it these tests skip with the
reason, except when SWEEPER_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from agentlib import Project

BOWL = Path(__file__).parent.parent / "programs" / "bowl.py"
HOSTILE = "<script>alert(1)</script>"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

SWEEP = f"""
name: browser <b>check</b>
program: bowl.py
method: random
metric: {{name: loss, goal: minimize}}
run_cap: 10
early_terminate: {{type: hyperband, min_iter: 2, eta: 2}}
parameters:
  x: {{min: 0.3, max: 1.0}}
  y: {{min: 0.0, max: 1.0}}
  lines: {{value: 6}}
  sleep: {{value: 0.02}}
  opt: {{values: [adam, sgd, "{HOSTILE}"]}}
  sched: {{parameters: {{lr: {{distribution: log_uniform_values, min: 0.0001, max: 0.1}}}}}}
"""


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    reason = f"no Chromium found (looked for {', '.join(BROWSERS)}); apt-get install chromium"
    if os.environ.get("SWEEPER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (SWEEPER_REQUIRE_BROWSER=1, as in CI)")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


def chromium(browser: str, tmp: Path, page: Path, *mode: str, timeout: int = 90) -> subprocess.CompletedProcess:
    """One headless run on a fresh profile. Software WebGL (SwiftShader) is opted into, as
    parallel coordinates need WebGL and a CI machine has no GPU."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--enable-unsafe-swiftshader", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
            "--hide-scrollbars", "--virtual-time-budget=20000", *mode, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def console_errors(stderr: str) -> list[str]:
    """Console messages of the page, less the GPU driver's performance notes about software GL."""
    lines = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    return [line for line in lines if "GL Driver Message" not in line]


def figure_html(dom: str, name: str) -> str:
    start = dom.index(f'id="fig-{name}"')
    end = dom.find("<section", start)
    return dom[start:end if end != -1 else len(dom)]


def png_is_drawn(path: Path) -> bool:
    """True if the PNG has real content: many colours, not one flat background."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) > 64 and sum(1 for b in raw[::97] if b != 0xFF) > len(raw[::97]) * 0.02


@pytest.fixture(scope="module")
def browser():
    return find_browser()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    p = Project(tmp_path_factory.mktemp("browser") / "proj")
    shutil.copy(BOWL, p.root / "bowl.py")
    sid = p.sweep(SWEEP)
    assert p.agent(sid, "--output", "none", "--grace", "2").returncode == 0
    out = p.root / "report.html"
    p.cli("report", sid, "-o", out, check=True)
    return out


def test_every_plot_is_drawn_without_console_errors(browser, report, tmp_path):
    proc = chromium(browser, tmp_path, report, "--dump-dom")
    dom = proc.stdout
    assert 'data-rendered="yes"' in dom, f"the page did not finish drawing:\n{proc.stderr[-3000:]}"
    assert console_errors(proc.stderr) == []
    for name in ("parcoords", "importance", "curves", "bestsofar"):
        assert 'class="main-svg"' in figure_html(dom, name), f"{name} was not drawn"
    # Parallel coordinates: an axis per searched parameter and the metric, the hostile value as text.
    par = figure_html(dom, "parcoords")
    assert par.count('class="axis-title"') == 5
    assert "alert(1)" in par
    # Nothing from the sweep became markup: the only <script> elements are the report's own three.
    assert len(re.findall(r"<script\b", dom)) == 3
    assert "<b>check</b>" not in dom and "&lt;b&gt;check&lt;/b&gt;" in dom


ODD_SWEEPS = {
    # No run yet: every section says so, nothing is drawn, nothing breaks.
    "empty": ("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  x: {values: [0.5]}
""", False),
    # NaN on every line, nothing logged, a failure: one normal run among them.
    "edges": ("""
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  mode: {values: [ok, nan, silent, fail]}
  lines: {value: 3}
""", True),
    "no-metric": ("""
program: bowl.py
method: grid
parameters:
  x: {values: [0.3, 0.9]}
  lines: {value: 3}
""", True),
}


@pytest.mark.parametrize("kind", sorted(ODD_SWEEPS))
def test_odd_sweeps_render_without_errors(browser, kind, tmp_path):
    p = Project(tmp_path / "proj")
    shutil.copy(BOWL, p.root / "bowl.py")
    text, run_it = ODD_SWEEPS[kind]
    sid = p.sweep(text)
    if run_it:
        assert p.agent(sid, "--output", "none").returncode == 0
    page = p.root / "report.html"
    p.cli("report", sid, "-o", page, check=True)
    proc = chromium(browser, tmp_path, page, "--dump-dom")
    assert 'data-rendered="yes"' in proc.stdout, proc.stderr[-3000:]
    assert console_errors(proc.stderr) == []


def test_brushing_filters_the_runs_table(browser, report, tmp_path):
    """Set a range on the x axis as a brush would; the runs table keeps only the runs inside."""
    page = report.read_text()
    data_runs = re.findall(r"<tr data-run='(\w+)'", page)
    brush = """<script>
var timer = setInterval(function () {
  if (document.body.getAttribute("data-rendered") !== "yes") return;
  clearInterval(timer);
  Plotly.restyle("fig-parcoords", {"dimensions[2].constraintrange": [[0.3, 0.6]]}).then(function () {
    document.body.setAttribute("data-brushed", "yes");
  });
}, 50);
</script></body>"""
    brushed = tmp_path / "brushed.html"
    brushed.write_text(page.replace("</body>", brush))
    proc = chromium(browser, tmp_path, brushed, "--dump-dom")
    dom = proc.stdout
    assert 'data-brushed="yes"' in dom, proc.stderr[-3000:]
    hidden = set(re.findall(r'<tr data-run="(\w+)"[^>]*style="display: none;"', dom))
    shown = set(data_runs) - hidden
    import json
    data = json.loads(re.search(r'id="sweeper-data">(.*?)</script>', page, re.DOTALL).group(1))
    xs = dict(zip(data["parcoordsRuns"], data["parcoords"]["data"][0]["dimensions"][2]["values"]))
    assert shown == {rid for rid, x in xs.items() if 0.3 <= x <= 0.6}
    assert hidden, "the brush hid no run: pick a narrower range"
    assert f"{len(shown)} of {len(data_runs)} runs" in dom


def test_screenshot_is_not_blank(browser, report, tmp_path):
    shot = tmp_path / "report.png"
    proc = chromium(browser, tmp_path, report, f"--screenshot={shot}", "--window-size=1400,2600")
    assert shot.exists(), proc.stderr[-3000:]
    assert png_is_drawn(shot)


def test_a_broken_page_is_caught(browser, tmp_path):
    """The checks above can fail: a page that throws shows up as a console error."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>null.nothing()</script></body></html>")
    proc = chromium(browser, tmp_path, page, "--dump-dom")
    assert any("Uncaught" in line for line in console_errors(proc.stderr))
