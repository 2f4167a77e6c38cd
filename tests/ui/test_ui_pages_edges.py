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


def test_a_page_left_before_its_data_arrives_never_draws_over_the_next(edge, page):
    server, sid = edge["server"], edge["sweep"]
    held = []
    page.route(f"**/api/sweeps/{sid}**", lambda route: held.append(route))
    page.goto(server.url + f"#/sweep/{sid}")
    wait_for(lambda: page.evaluate("1") and len(held) >= 3, timeout=20, what="the sweep page's requests")
    page.evaluate("location.hash = '#/'")
    assert wait_rendered(page) == "yes"
    assert page.inner_text("main h1") == "Sweeps and projects"
    for route in held:
        route.continue_()
    # The sweep's answers arrive now, for a page no longer on screen: they are dropped.
    page.wait_for_timeout(1500)
    assert page.inner_text("main h1") == "Sweeps and projects"
    assert page.locator("#fig-parcoords").count() == 0 and page.locator("#title").count() == 0
    assert page.console.errors() == []


def test_a_live_update_in_flight_and_its_timers_stop_with_the_page(edge, page):
    server, sid = edge["server"], edge["sweep"]
    page.goto(server.url + f"#/sweep/{sid}")
    assert wait_rendered(page) == "yes"
    runs = [r["id"] for r in edge["project"].open().runs(sid)]
    # What the page does on a live change (rows and curves asked for, charts redrawn on a
    # timer), then the user goes to the overview at once.
    page.evaluate("ids => { S.page.onChange({runs: ids}); S.page.scheduleCharts(); location.hash = '#/'; }", runs)
    assert wait_rendered(page) == "yes"
    page.wait_for_timeout(2500)  # past the charts' timer (at most 1 s after the last draw)
    assert page.inner_text("main h1") == "Sweeps and projects"
    assert page.locator("#head").count() == 0
    assert page.console.errors() == []


@pytest.mark.parametrize("route, message", [
    ("#/sweep/nosuchsw", "no sweep 'nosuchsw'"),
    ("#/run/nosuchrn", "no run 'nosuchrn'"),
    ("#/sweep/a%2Fb", "no sweep 'a/b'"),
    ("#/compare?refs=zzzzzzzz", "zzzzzzzz"),
])
def test_an_address_naming_nothing_in_the_store_says_so_without_console_errors(edge, page, route, message):
    page.goto(edge["server"].url + route)
    assert wait_rendered(page).startswith("not found")
    page.wait_for_timeout(1000)  # the live events: a page that is not there has nothing to update
    assert message in page.inner_text("#error")
    assert page.locator("#error").count() == 1
    assert page.console.errors() == [] and page.console.messages == []


def test_the_token_entered_once_authorizes_every_tab_and_only_that_browser(edge, page):
    server, sid = edge["server"], edge["idle"]
    store = edge["project"].open()
    # A tab open before the token is given: read-only, until another tab opens the printed URL.
    early = page.context.new_page()
    early.goto(server.base + f"/#/sweep/{sid}")
    assert wait_rendered(early) == "yes" and early.is_disabled("#controls button[data-action='pause']")
    page.goto(server.url + f"#/sweep/{sid}")
    assert wait_rendered(page) == "yes" and not page.is_disabled("#controls button[data-action='pause']")
    early.wait_for_function("() => !document.querySelector(\"#controls button[data-action='pause']\").disabled")
    # Another tab of the same browser, opened without the token: allowed too.
    tab = page.context.new_page()
    tab.console = Console(tab)
    tab.goto(server.base + f"/#/sweep/{sid}")
    assert wait_rendered(tab) == "yes"
    tab.click("#controls button[data-action='pause']")
    wait_for(lambda: store.get_sweep(sid)["state"] == "paused", timeout=5, what="the sweep to pause")
    tab.click("#controls button[data-action='resume']")
    wait_for(lambda: store.get_sweep(sid)["state"] == "running", timeout=5, what="the sweep to resume")
    assert tab.console.errors() == []
    # Another browser (a context shares no storage) without the token: read-only, and the server
    # refuses it too.
    other = new_page(edge["browser"])
    try:
        other.goto(server.base + f"/#/sweep/{sid}")
        assert wait_rendered(other) == "yes"
        assert other.is_disabled("#controls button[data-action='pause']")
        assert "read-only" in other.inner_text("#control-msg")
        status = other.evaluate(f"() => fetch('/api/sweeps/{sid}/pause', {{method: 'POST'}}).then(r => r.status)")
        assert status == 403 and store.get_sweep(sid)["state"] == "running"
    finally:
        other.context.close()


def test_a_token_the_server_refuses_is_forgotten(edge, page):
    server, sid = edge["server"], edge["idle"]
    store = edge["project"].open()
    page.goto(server.base + f"/?token=an-old-servers-token#/sweep/{sid}")
    assert wait_rendered(page) == "yes"
    page.click("#controls button[data-action='pause']")
    page.wait_for_function("() => document.getElementById('control-msg').textContent.includes('read-only')")
    assert "token" in page.inner_text("#control-msg")
    assert page.is_disabled("#controls button[data-action='pause']")
    assert page.evaluate("() => localStorage.getItem('sweeper-token')") is None
    assert store.get_sweep(sid)["state"] == "running"


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
