"""`sweeper ui` in a real browser: the real server on a real store, real agents, Chromium driven
by Playwright, checked as a person would: pages fill in, a new run shows up live, brushing
filters the table, sorting sorts, a chosen x changes the curves, the token guards control,
hostile values are text, and no page logs an error. One server and browser for the module.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from agentlib import Project, wait_for
from uilib import Console, UiServer, figure, launch_browser, wait_rendered

BOWL = Path(__file__).parent.parent / "programs" / "bowl.py"
SCRIPT_TAG = "<script>window.__xss = 1</script>"
IMG_TAG = "<img src=x onerror=window.__xss=2>"
SWEEP = f"""
name: dash <b>check</b>
project: dash
program: bowl.py
method: random
metric: {{name: loss, goal: minimize}}
run_cap: 12
early_terminate: {{type: hyperband, min_iter: 2, eta: 2}}
parameters:
  x: {{min: 0.3, max: 1.0}}
  y: {{min: 0.0, max: 1.0}}
  lines: {{value: 6}}
  opt: {{values: [adam, "{SCRIPT_TAG}", "{IMG_TAG}"]}}
  sched: {{parameters: {{lr: {{distribution: log_uniform_values, min: 0.0001, max: 0.1}}}}}}
"""
LIVE = """
program: bowl.py
project: dash
method: random
metric: {name: loss, goal: minimize}
parameters:
  x: {min: 0.3, max: 1.0}
  lines: {value: 14}
  sleep: {value: 0.25}
"""


@pytest.fixture(scope="module")
def dash(tmp_path_factory):
    p = Project(tmp_path_factory.mktemp("dash") / "proj")
    shutil.copy(BOWL, p.root / "bowl.py")
    sid = p.sweep(SWEEP)
    # Both hostile values run whatever the random draws (seeded by the sweep's ID): queued first.
    sets = [{"x": 0.5, "y": 0.5, "opt": SCRIPT_TAG, "sched": {"lr": 0.001}},
            {"x": 0.6, "y": 0.2, "opt": IMG_TAG, "sched": {"lr": 0.01}}]
    p.write("hostile.json", json.dumps(sets))
    p.cli("enqueue", sid, "--file", "hostile.json", check=True)
    assert p.agent(sid, "--output", "none").returncode == 0
    server = UiServer(p)
    pw, browser = launch_browser()
    yield p, sid, server, browser
    browser.close()
    pw.stop()
    assert server.stop() in (0, -15)


@pytest.fixture
def page(dash):
    context = dash[3].new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.console = Console(pg)
    yield pg
    context.close()


def open_page(page, server, route="", token=True):
    page.goto((server.url if token else server.base + "/") + route)
    assert wait_rendered(page) == "yes", page.console.messages
    return page


def test_every_page_renders_without_console_errors(dash, page):
    p, sid, server, _ = dash
    run = p.open().runs(sid)[0]["id"]
    for route in ("", f"#/sweep/{sid}", f"#/run/{run}", "#/project/dash", f"#/compare?runs={run}"):
        open_page(page, server, route)
        page.wait_for_timeout(300)
    assert page.console.errors() == []
    open_page(page, server, f"#/sweep/{sid}")
    for name in ("fig-parcoords", "fig-importance", "fig-curves", "fig-bestsofar", "fig-timeline", "slice-0"):
        assert page.locator(f"#{name} .main-svg").count() > 0, f"{name} was not drawn"
    assert page.console.errors() == []


def test_a_new_run_shows_up_within_two_seconds(dash, page):
    p, _, server, _ = dash
    sid = p.sweep(LIVE)
    store = p.open()
    open_page(page, server, f"#/sweep/{sid}")
    assert page.locator("#runs tbody tr").count() == 0
    agent = p.start_agent(sid, "--count", "1", "--output", "none")
    try:
        run = wait_for(lambda: next(iter(store.runs(sid)), None), timeout=30, interval=0.02, what="the run's row")
        seen = time.time()
        page.wait_for_selector(f"#runs tr[data-run='{run['id']}']", timeout=2000)
        assert time.time() - seen < 2.0
        # Its first metric lines: stored, then on the curves within 2 s, without a reload.
        wait_for(lambda: store.get_run(run["id"])["n_lines"] >= 2, timeout=30, interval=0.02, what="metric lines")
        page.wait_for_function(
            """id => { const gd = document.getElementById('fig-curves');
                       return gd && gd.data && gd.data.some(t => [].concat(t.text || []).some(s => String(s).includes(id))
                                                              || String(t.name).includes(id)); }""",
            arg=run["id"], timeout=2000)
    finally:
        agent.wait(timeout=60)
    page.wait_for_function("() => document.querySelector('#runs tbody tr td:nth-child(4)').textContent === 'finished'",
                           timeout=5000)
    assert page.console.errors() == []


def test_brushing_filters_the_table(dash, page):
    p, sid, server, _ = dash
    open_page(page, server, f"#/sweep/{sid}")
    xs = {r["id"]: r["params"]["x"] for r in p.open().runs(sid) if r["best_value"] is not None}
    axis = page.evaluate("() => document.getElementById('fig-parcoords').data[0].dimensions.findIndex(d => d.label === 'x')")
    page.evaluate(f"() => Plotly.restyle('fig-parcoords', {{'dimensions[{axis}].constraintrange': [[0.3, 0.6]]}})")
    page.wait_for_function("() => document.querySelector('.filterinfo').textContent.includes('brush')")
    shown = set(page.eval_on_selector_all("#runs tbody tr", "trs => trs.map(t => t.dataset.run)"))
    assert shown == {rid for rid, x in xs.items() if 0.3 <= x <= 0.6}
    assert 0 < len(shown) < len(p.open().runs(sid)), "pick a range that keeps some runs and drops others"
    assert f"{len(shown)} of 12 runs" in page.inner_text(".filterinfo")
    # The slices follow the brush too.
    assert len(figure(page, "slice-0")["data"][0]["x"]) == len(shown)


def test_sorting_by_a_column(dash, page):
    p, sid, server, _ = dash
    open_page(page, server, f"#/sweep/{sid}")
    runs = p.open().runs(sid)
    col = page.eval_on_selector_all("#runs thead th", "ths => ths.map(t => t.dataset.key)").index("p:x")

    def column():
        return [float(t) for t in page.eval_on_selector_all(
            f"#runs tbody tr td:nth-child({col + 1})", "tds => tds.map(t => t.textContent)")]

    page.click("#runs th[data-key='p:x']")
    assert column() == sorted(column()) and len(column()) == len(runs)
    page.click("#runs th[data-key='p:x']")
    assert column() == sorted(column(), reverse=True)
    # The default order: by the metric, best first; one numbering (the run's claim number).
    open_page(page, server, f"#/sweep/{sid}")
    first = page.get_attribute("#runs tbody tr:first-child", "data-run")
    best = min((r for r in runs if r["best_value"] is not None), key=lambda r: r["best_value"])
    assert first == best["id"] and "best" in page.get_attribute("#runs tbody tr:first-child", "class")
    assert page.inner_text("#runs tbody tr:first-child td:nth-child(2)") == str(best["number"])


def test_a_chosen_x_changes_the_curves(dash, page):
    p, sid, server, _ = dash
    open_page(page, server, f"#/sweep/{sid}")
    before = figure(page, "fig-curves")
    assert before["layout"]["xaxis"]["title"]["text"] == "step"
    assert max(v for t in before["data"] for v in t["x"] if v is not None) == 5  # 6 lines: steps 0..5
    page.select_option("#fig-curves >> xpath=.. >> select.xaxis", "_runtime")
    page.wait_for_function("() => document.getElementById('fig-curves').layout.xaxis.title.text === 'wall time (s)'")
    after = figure(page, "fig-curves")
    assert [v for v in after["data"][0]["x"] if v is not None] != [v for v in before["data"][0]["x"] if v is not None]
    page.select_option("#fig-curves >> xpath=.. >> select.yaxis", "val.loss")
    page.select_option("#fig-curves >> xpath=.. >> select.xaxis", "acc")
    page.wait_for_function("() => document.getElementById('fig-curves').layout.xaxis.title.text === 'acc'")
    fig = figure(page, "fig-curves")
    assert fig["layout"]["yaxis"]["title"]["text"] == "val.loss"
    # bowl.py: val.loss = 1.1 * loss and acc = 1 - loss, on every line.
    pts = [(x, y) for t in fig["data"] if t["type"].startswith("scatter") and t["name"] != "stopped by hyperband here"
           for x, y in zip(t["x"], t["y"]) if x is not None]
    assert pts and all(y == pytest.approx(1.1 * (1 - x), rel=1e-4, abs=1e-4) for x, y in pts)


def test_hyperband_stops_are_marked_at_their_band(dash, page):
    p, sid, server, _ = dash
    store = p.open()
    stopped = {r["id"]: r for r in store.runs(sid) if r["band"] is not None}
    assert stopped, "hyperband stopped no run"
    open_page(page, server, f"#/sweep/{sid}")
    marks = next(t for t in figure(page, "fig-curves")["data"] if t["name"] == "stopped by hyperband here")
    # bowl.py's steps start at 0: the band-th value of the metric is on step band - 1.
    want = sorted(float(next(m["step"] if m["step"] is not None else m["seq"]
                             for m in store.metric_rows(rid) if m["miter"] == r["band"])) for rid, r in stopped.items())
    assert sorted(marks["x"]) == want


def test_the_token_guards_control(dash, page):
    p, _, server, _ = dash
    sid = p.sweep(LIVE.replace("project: dash", "project: dash\nname: control"))
    store = p.open()
    open_page(page, server, f"#/sweep/{sid}", token=False)
    assert page.is_disabled("#controls button[data-action='pause']")
    assert "read-only" in page.inner_text("#control-msg")
    status = page.evaluate(f"() => fetch('/api/sweeps/{sid}/pause', {{method: 'POST'}}).then(r => r.status)")
    assert status == 403 and store.get_sweep(sid)["state"] == "running"
    open_page(page, server, f"#/sweep/{sid}")
    assert "token" not in page.url  # taken out of the address bar, kept for the tab
    page.click("#controls button[data-action='pause']")
    page.wait_for_function("() => document.getElementById('control-msg').textContent.includes('paused')")
    assert store.get_sweep(sid)["state"] == "paused"
    assert page.is_disabled("#controls button[data-action='pause']")
    page.click("#controls button[data-action='resume']")
    wait_for(lambda: store.get_sweep(sid)["state"] == "running", timeout=5, what="the sweep to resume")
    page.click("#controls button[data-action='cancel']")
    wait_for(lambda: store.get_sweep(sid)["state"] == "canceled", timeout=5, what="the sweep to be canceled")
    assert page.console.dialogs == [f"confirm: cancel sweep {sid}?"]


def test_hostile_values_are_shown_as_text(dash, page):
    p, sid, server, _ = dash
    run = next(r for r in p.open().runs(sid) if r["params"]["opt"] == IMG_TAG)
    for route in (f"#/sweep/{sid}", f"#/run/{run['id']}", "#/project/dash", ""):
        open_page(page, server, route)
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__xss") is None
        assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    open_page(page, server, f"#/sweep/{sid}")
    assert page.inner_text("h1#title").startswith("dash <b>check</b>")
    cells = page.eval_on_selector_all("#runs tbody td", "tds => tds.map(t => t.textContent)")
    assert IMG_TAG in cells and SCRIPT_TAG in cells
    # In plotly's text too: the parallel coordinates' tick labels read the values as written.
    ticks = page.eval_on_selector_all("#fig-parcoords .tick text", "ts => ts.map(t => t.textContent)")
    assert any(t.startswith("<img src=x") for t in ticks)
    assert page.console.dialogs == [] and page.console.errors() == []


def test_compare_runs_from_a_sweep_and_a_project(dash, page):
    p, sid, server, _ = dash
    open_page(page, server, f"#/sweep/{sid}")
    boxes = page.locator("#runs tbody tr td.pick input")
    boxes.nth(0).check()
    boxes.nth(1).check()
    picked = page.eval_on_selector_all("#runs tbody tr", "trs => trs.slice(0, 2).map(t => t.dataset.run)")
    # Selected runs are drawn on top of the cloud, each in its own colour.
    page.wait_for_function("ids => ids.every(id => document.getElementById('fig-curves').data"
                           ".some(t => String(t.name).includes(id)))", arg=picked)
    page.click("#compare-link")
    wait_rendered(page)
    page.wait_for_selector("#compare-params")
    heads = page.eval_on_selector_all("#compare-params thead th a", "as => as.map(a => a.textContent)")
    assert heads == picked
    assert page.locator("#compare-params tr.differs").count() >= 1
    # The table comes first; the curves follow when their lines arrive (and the view is drawn
    # again on live changes): two traces, one per picked run, read in one look.
    page.wait_for_function("() => { const g = document.getElementById('fig-compare'); "
                           "return g && g.data && g.data.length === 2 }")
    # `sweeper compare`'s references: a sweep (its best run) and a whole project.
    open_page(page, server, f"#/compare?refs={sid},project:dash")
    page.wait_for_selector("#compare-params")
    assert f"sweep {sid} (its best run" in page.inner_text("main p.facts")
    assert page.locator("#compare-params thead th a").count() >= 12
    assert page.console.errors() == []
