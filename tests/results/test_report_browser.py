"""The HTML report (`sweeper report`: the dashboard's sweep page as one offline file) in a real
browser: Playwright driving the system's Chromium, the file opened from disk with every
network request refused. Every plot is drawn with no console errors; choosing x and y,
brushing and sorting work offline; the report's fixes hold (curves of any key against any x,
hyperband's marks at their band, correlation coloured by the goal, a colour bar, the project,
an unnamed sweep's ID said once).

Without Chromium or Playwright these tests skip with the reason, except when
SWEEPER_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from agentlib import Project
from uilib import Console, figure, launch_browser, wait_rendered

BOWL = Path(__file__).parent.parent / "programs" / "bowl.py"
HOSTILE = "<script>alert(1)</script>"

SWEEP = f"""
name: browser <b>check</b>
project: reports
program: bowl.py
method: random
metric: {{name: loss, goal: minimize}}
run_cap: 10
early_terminate: {{type: hyperband, min_iter: 2, eta: 2}}
parameters:
  x: {{min: 0.3, max: 1.0}}
  y: {{min: 0.0, max: 1.0}}
  lines: {{value: 6}}
  sleep: {{value: 0.15}}  # lines arrive one by one, so hyperband judges each band as it comes
  opt: {{values: [adam, sgd, "{HOSTILE}"]}}
  sched: {{parameters: {{lr: {{distribution: log_uniform_values, min: 0.0001, max: 0.1}}}}}}
"""
# No name, a metric to maximize: acc = 1 - loss falls as x rises (x >= 0.3).
MAXIMIZE = """
program: bowl.py
method: grid
metric: {name: acc, goal: maximize}
parameters:
  x: {values: [0.3, 0.45, 0.6, 0.75, 0.9, 1.0]}
  lines: {value: 3}
"""


@pytest.fixture(scope="module")
def browser():
    pw, b = launch_browser()
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    # Offline: a report that fetched anything (a CDN, the dashboard's API) would fail here.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    pg = context.new_page()
    pg.console = Console(pg)
    yield pg
    context.close()


def make_report(root: Path, text: str, run: bool = True, queue: list | None = None) -> tuple[Project, str, Path]:
    """queue: parameter sets enqueued before the agent runs (they run first, in this order)."""
    p = Project(root)
    shutil.copy(BOWL, p.root / "bowl.py")
    sid = p.sweep(text)
    if queue:
        p.write("queue.json", json.dumps(queue))
        p.cli("enqueue", sid, "--file", "queue.json", check=True)
    if run:
        assert p.agent(sid, "--output", "none", "--grace", "2").returncode == 0
    out = p.root / "report.html"
    p.cli("report", sid, "-o", out, check=True)
    return p, sid, out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    # Whatever the random draws (seeded by the sweep's ID): the hostile value runs, and a run near
    # the bowl's floor comes first, so the two after it are worse at band 2 and hyperband stops them.
    first = [{"x": 0.3, "y": 0.5, "opt": "adam", "sched": {"lr": 0.001}},
             {"x": 0.9, "y": 0.5, "opt": HOSTILE, "sched": {"lr": 0.01}},
             {"x": 0.95, "y": 0.1, "opt": "sgd", "sched": {"lr": 0.0005}}]
    return make_report(tmp_path_factory.mktemp("browser") / "proj", SWEEP, queue=first)


def open_report(page, path: Path):
    page.goto(path.as_uri())
    assert wait_rendered(page) == "yes", page.console.messages
    return page


def test_every_plot_is_drawn_without_console_errors(report, page):
    _, _, path = report
    open_report(page, path)
    for name in ("fig-parcoords", "fig-importance", "fig-curves", "fig-bestsofar", "fig-timeline", "slice-0"):
        assert page.locator(f"#{name} .main-svg").count() > 0, f"{name} was not drawn"
    assert page.console.errors() == []
    # An axis per searched parameter and the metric, and a colour bar for the metric.
    assert page.locator("#fig-parcoords .axis-title").count() == 5
    assert figure(page, "fig-parcoords")["data"][0]["line"]["showscale"] is True
    assert page.locator("#fig-parcoords .colorbar").count() == 1
    # Nothing from the sweep became markup; the title and the hostile value read as written.
    assert page.evaluate("() => document.querySelectorAll('script').length") == 8  # data, plotly.js, 6 of ours
    assert page.inner_text("h1#title").startswith("browser <b>check</b>")
    assert HOSTILE in page.eval_on_selector_all("#runs td", "tds => tds.map(t => t.textContent)")
    assert page.console.dialogs == []


def test_the_header_shows_the_project_and_an_unnamed_sweep_s_id_once(report, page, tmp_path):
    _, _, path = report
    open_report(page, path)
    assert "in project reports" in page.inner_text("#facts")
    _, sid, other = make_report(tmp_path / "unnamed", MAXIMIZE)
    open_report(page, other)
    assert page.inner_text("h1#title") == f"sweep {sid}"
    assert "(no project)" in page.inner_text("#facts")


def test_correlation_is_coloured_by_the_goal(tmp_path, page):
    """acc (maximize) falls as x rises: a worse metric, so red, where the old report had green."""
    _, _, path = make_report(tmp_path / "max", MAXIMIZE)
    open_report(page, path)
    corr = figure(page, "fig-importance")["data"][1]
    assert corr["x"][0] < 0 and corr["marker"]["color"] == ["#d1495b"]


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
def test_odd_sweeps_render_without_errors(kind, tmp_path, page):
    text, run_it = ODD_SWEEPS[kind]
    _, _, path = make_report(tmp_path / "proj", text, run=run_it)
    open_report(page, path)
    assert page.console.errors() == []
    if kind == "empty":
        assert "Nothing to draw yet" in page.inner_text("#fig-curves")


def test_brushing_filters_the_runs_table(report, page):
    p, sid, path = report
    open_report(page, path)
    xs = {r["id"]: r["params"]["x"] for r in p.open().runs(sid) if r["best_value"] is not None}
    page.evaluate("() => Plotly.restyle('fig-parcoords', {'dimensions[2].constraintrange': [[0.3, 0.6]]})")
    page.wait_for_function("() => document.querySelector('.filterinfo').textContent.includes('brush')")
    shown = set(page.eval_on_selector_all("#runs tbody tr", "trs => trs.map(t => t.dataset.run)"))
    assert figure(page, "fig-parcoords")["data"][0]["dimensions"][2]["label"] == "x"
    assert shown == {rid for rid, x in xs.items() if 0.3 <= x <= 0.6}
    assert 0 < len(shown) < 10, "pick a range that keeps some runs and drops others"


def test_offline_curves_against_any_x_and_any_key(report, page):
    p, sid, path = report
    open_report(page, path)
    page.select_option("select.yaxis", "val.loss")
    page.select_option("select.xaxis", "_line")
    page.wait_for_function("() => document.getElementById('fig-curves').layout.xaxis.title.text === 'line number'")
    assert figure(page, "fig-curves")["layout"]["yaxis"]["title"]["text"] == "val.loss"
    # Hyperband's marks: at the line of the band that stopped each run (line number = band - 1).
    stopped = [r for r in p.open().runs(sid) if r["band"] is not None]
    marks = next((t for t in figure(page, "fig-curves")["data"] if t["name"] == "stopped by hyperband here"), None)
    assert stopped and marks is not None
    assert sorted(marks["x"]) == sorted(r["band"] - 1 for r in stopped)
    assert page.console.errors() == []


def test_sorting_and_one_numbering(report, page):
    p, sid, path = report
    open_report(page, path)
    heads = page.eval_on_selector_all("#runs thead th", "ths => ths.map(t => t.textContent)")
    assert heads[1] == "#" and heads.count("#") == 1  # the claim number; no second "rank" numbering
    page.click("#runs th[data-key='number']")
    numbers = page.eval_on_selector_all("#runs tbody td:nth-child(2)", "tds => tds.map(t => Number(t.textContent))")
    assert numbers == sorted(numbers) == list(range(1, 11))
    notes = page.eval_on_selector_all("#runs tbody td:last-child", "tds => tds.map(t => [t.textContent, t.title])")
    assert any(text.startswith("early terminated") and title == text for text, title in notes)


def test_a_broken_page_is_caught(page, tmp_path):
    """The checks above can fail: a page that throws shows up as a console error."""
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>null.nothing()</script></body></html>")
    page.goto(broken.as_uri())
    page.wait_for_timeout(200)
    assert any("pageerror" in m for m in page.console.errors())
