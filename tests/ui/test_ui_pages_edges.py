"""`sweeper ui` in a real browser, at the edges of its pages: leaving a page before its data
arrives, an address naming a sweep or run the store does not have, the control token across
tabs, extreme values on the parallel coordinates, and curves of a single point. The real server
on a real store filled by a real agent and a standalone script; Chromium driven by Playwright.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from agentlib import Project, env_for, wait_for
from uilib import Console, UiServer, launch_browser, wait_rendered

BOWL = Path(__file__).parent.parent / "programs" / "bowl.py"
# One line a run (curves of single points), and a parameter whose values span 1 to 1e308.
EDGE = """
name: edges
project: edge
program: bowl.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  x: {values: [0.4, 0.6]}
  big: {values: [1, 1.0e+308]}
  tiny: {values: [1.0e-9, 3.0e-9]}
  lines: {value: 1}
"""
IDLE = """
name: idle
project: edge
program: bowl.py
method: random
parameters:
  x: {min: 0.3, max: 1.0}
"""
ONE_LINE = """
import sweeper
run = sweeper.init(project="edge", name="one line")
sweeper.log({"loss": 0.5})
print(run.id)
sweeper.finish()
"""


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    p = Project(tmp_path_factory.mktemp("edge") / "proj")
    shutil.copy(BOWL, p.root / "bowl.py")
    sid = p.sweep(EDGE)
    assert p.agent(sid, "--output", "none").returncode == 0
    script = p.write("one_line.py", ONE_LINE)
    done = subprocess.run([sys.executable, str(script)], cwd=p.root, env=env_for(p.store), check=True, timeout=120,
                          capture_output=True, text=True)
    standalone = done.stdout.strip()
    idle = p.sweep(IDLE)  # registered, no agent: running, so it can be paused
    server = UiServer(p)
    pw, browser = launch_browser()
    yield {"project": p, "sweep": sid, "standalone": standalone, "idle": idle, "server": server, "browser": browser}
    browser.close()
    pw.stop()
    assert server.stop() in (0, -15)


def new_page(browser, context=None):
    context = context or browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.console = Console(pg)
    return pg


@pytest.fixture
def page(edge):
    pg = new_page(edge["browser"])
    yield pg
    pg.context.close()


def test_parallel_coordinates_ticks_of_extreme_values_read_as_numbers(edge, page):
    page.goto(edge["server"].url + f"#/sweep/{edge['sweep']}")
    assert wait_rendered(page) == "yes"
    page.wait_for_selector("#fig-parcoords .tick text")
    axes = page.evaluate("""() => Array.from(document.querySelectorAll('#fig-parcoords g.y-axis')).map(g =>
        Array.from(g.querySelectorAll('.tick text, .axis-extent-top-text, .axis-extent-bottom-text'))
             .map(t => t.textContent).filter(Boolean))""")
    titles = page.eval_on_selector_all("#fig-parcoords .axis-title", "ts => ts.map(t => t.textContent)")
    ticks = dict(zip(titles, axes))
    assert set(ticks) >= {"big", "tiny", "x", "loss"}
    for name in ("big", "tiny"):
        assert len(ticks[name]) >= 3, ticks
        for text in ticks[name]:
            assert "<" not in text and "\u00d7" not in text and len(text) <= 8, (name, text)
            float(text.replace("\u2212", "-"))  # a number as written, e.g. 2e+307
    assert any("e+307" in t or "e+308" in t for t in ticks["big"])
    assert page.console.errors() == []


def test_a_curve_of_one_point_is_drawn_as_a_marker(edge, page):
    page.goto(edge["server"].url + f"#/sweep/{edge['sweep']}")
    assert wait_rendered(page) == "yes"
    # Eight runs (2 x 2 x 2 points) of one line each: eight visible points on the curves.
    page.wait_for_selector("#fig-curves .scatterlayer .points path")
    assert page.locator("#fig-curves .scatterlayer .points path").count() == 8
    # The standalone run's page: its one logged line is a point too.
    page.goto(edge["server"].url + f"#/run/{edge['standalone']}")
    assert wait_rendered(page) == "yes"
    page.wait_for_selector("#run-curve-0 .scatterlayer .points path")
    assert page.locator("#run-curve-0 .scatterlayer .points path").count() == 1
    assert page.console.errors() == []
