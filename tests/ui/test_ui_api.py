"""The dashboard's JSON API in process (Starlette's TestClient) over real stores, SQLite and
PostgreSQL, filled by real agents and a real standalone script; and `sweeper ui` as a command."""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from agentlib import Project, env_for, exe
from conftest import fresh_pg_database

pytest.importorskip("starlette", reason="the dashboard's API tests need the ui extra: pip install 'sweeper[ui]'")
from starlette.testclient import TestClient  # noqa: E402

from sweeper.ui.app import create_app  # noqa: E402

BOWL = Path(__file__).parent.parent / "programs" / "bowl.py"
HOSTILE = "<img src=x onerror=alert(1)>"
SWEEP = f"""
name: api check
project: apitest
program: bowl.py
method: grid
metric: {{name: loss, goal: minimize}}
run_cap: 10
early_terminate: {{type: hyperband, min_iter: 2, eta: 2}}
parameters:
  # a grid from the bowl's floor (0.3) outward: the first runs are the best, so later ones are
  # worse than their band's threshold and hyperband stops some, whatever the sweep's ID
  x: {{values: [0.3, 0.5, 0.7, 0.85, 1.0]}}
  lines: {{value: 8}}
  sleep: {{value: 0.15}}  # lines arrive one by one, so hyperband judges each band as it comes
  opt: {{values: [adam, "{HOSTILE}"]}}
"""
STANDALONE = """
import sweeper
run = sweeper.init(project="apitest", config={"lr": 0.5, "opt": "own"}, name="by hand")
for i in range(4):
    sweeper.log({"loss": 1.0 / (i + 1), "epoch": i * 2})
sweeper.finish()
"""
TOKEN = "t0ken-for-tests"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request, tmp_path_factory):
    """A store with a sweep run to its cap by a real agent and a standalone run, on each engine."""
    root = tmp_path_factory.mktemp(f"api-{request.param}") / "proj"
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_pg_database()) if request.param == "postgres" else None
        p = Project(root, store=url)
        shutil.copy(BOWL, p.root / "bowl.py")
        sid = p.sweep(SWEEP)
        assert p.agent(sid, "--output", "none").returncode == 0
        script = p.write("by_hand.py", STANDALONE)
        subprocess.run([sys.executable, str(script)], cwd=p.root, env=env_for(p.store), check=True, timeout=120)
        store = p.open()
        client = TestClient(create_app(store, TOKEN))
        yield p, sid, store, client
        client.close()
        store.dispose()


def test_overview_lists_sweeps_and_projects(filled):
    _, sid, _, client = filled
    body = client.get("/api/overview").json()
    sweep = next(s for s in body["sweeps"] if s["id"] == sid)
    assert sweep["state"] == "finished" and sweep["runs"] == 10 and sweep["cap"] == 10
    assert isinstance(sweep["best"], float) and sweep["metric"] == "loss"
    project = next(p for p in body["projects"] if p["project"] == "apitest")
    assert project["runs"] == 11 and project["standalone"] == 1


def test_sweep_page_has_every_view_s_data(filled):
    _, sid, store, client = filled
    body = client.get(f"/api/sweeps/{sid}").json()
    assert body["sweep"]["name"] == "api check" and body["sweep"]["project"] == "apitest"
    assert "run_cap: 10" in body["sweep"]["config_text"]
    assert {p["key"] for p in body["space"]} == {"x", "lines", "sleep", "opt"} and set(body["keys"]) == {"x", "opt"}
    assert len(body["rows"]) == 10 and body["progress"]["ended"] == 10 and body["progress"]["planned"] == 10
    assert body["metric_keys"][0] == "loss" and {"acc", "val.loss", "step"} <= set(body["metric_keys"])
    best = min(store.runs(sid), key=lambda r: (r["best_value"], r["number"]))  # x=0.3 twice: a tie, the first run is best on every engine
    assert body["best"]["id"] == best["id"] and body["best"]["number"] == best["number"]
    # Values stay data: the hostile one arrives as the same string, for the page to show as text.
    assert HOSTILE in {r["params"]["opt"] for r in body["rows"]}
    row = body["rows"][0]
    assert {"agent", "host", "gpu", "started_at", "ended_at", "note", "summary"} <= set(row)


def test_curves_any_key_against_any_x_and_stops_at_their_band(filled):
    _, sid, store, client = filled
    body = client.get(f"/api/sweeps/{sid}/curves?keys=_step,val.loss,_runtime,acc").json()
    runs = {r["id"]: r for r in store.runs(sid)}
    assert set(body["runs"]) == {rid for rid, r in runs.items() if r["n_lines"]}
    for rid, c in body["runs"].items():
        lines = store.metric_rows(rid)
        assert c["seq"] == [m["seq"] for m in lines]  # 8 lines a run: nothing thinned
        # bowl.py logs "step": 0, 1, ..., the line numbers: left out, for the page to read `seq`.
        assert "_step" not in c and "_line" not in c
        assert c["val.loss"][0] == pytest.approx(ast.literal_eval(lines[0]["data"].replace("NaN", "None"))["val"]["loss"],
                                                 rel=1e-5)
        assert all(t is None or t >= 0 for t in c["_runtime"])
        band = runs[rid]["band"]
        if band is None:
            assert c["stop"] is None
        else:
            # The mark is at the line where the band's value was logged (the band-th value of
            # the metric), which the stop reason names: not at the run's last line.
            assert f"band {band}" in runs[rid]["stop_reason"]
            assert lines[c["stop"]]["miter"] == band
    assert any(c["stop"] is not None for c in body["runs"].values()), "hyperband stopped no run: the test saw no mark"


def test_a_sweep_page_first_asks_for_step_and_the_metric(filled):
    _, sid, _, client = filled
    body = client.get(f"/api/sweeps/{sid}/curves?x=_runtime").json()
    assert body["keys"] == ["_runtime", "loss"]
    assert all(set(c) == {"seq", "stop", "_runtime", "loss"} for c in body["runs"].values())
    assert client.get(f"/api/sweeps/{sid}/curves").status_code == 400


def test_curves_are_thinned_by_the_database(filled):
    _, sid, store, _ = filled
    rid = next(r["id"] for r in store.runs(sid) if r["n_lines"] == 8 and r["band"] is None)
    lines = store.thinned_lines(3, run_ids=[rid])
    # 8 lines, about 3 wanted: every 3rd line and the last one.
    assert [m["seq"] for m in lines] == [0, 3, 6, 7]


def test_runs_of_any_sweeps_with_a_sweep_column(filled):
    _, sid, store, client = filled
    standalone = next(r for r in store.runs(project="apitest") if r["sweep_id"] is None)
    one = store.runs(sid)[0]
    body = client.get(f"/api/runs?ids={one['id']},{standalone['id']}").json()
    assert [r["sweep"] for r in body["rows"]] == [sid, None]
    assert body["rows"][1]["name"] == "by hand" and body["rows"][1]["params"] == {"lr": 0.5, "opt": "own"}
    assert set(body["differ"]) >= {"opt"} and "epoch" in body["metric_keys"]
    curves = client.get(f"/api/runs/curves?ids={standalone['id']}&keys=epoch,loss").json()
    assert curves["runs"][standalone["id"]]["epoch"] == [0, 2, 4, 6]
    # sweeper.log writes `_step` (0, 1, ...), the x of the standalone run's curve.
    assert curves["runs"][standalone["id"]]["seq"] == [0, 1, 2, 3]
    project = client.get("/api/project?name=apitest").json()
    assert len(project["rows"]) == 11 and project["sweep_list"][0]["id"] == sid


def test_compare_takes_sweeper_compare_s_references(filled):
    _, sid, store, client = filled
    standalone = next(r for r in store.runs(project="apitest") if r["sweep_id"] is None)
    best = min(store.runs(sid), key=lambda r: r["best_value"])
    body = client.get(f"/api/compare?refs={sid},{standalone['id']}").json()
    assert [r["id"] for r in body["rows"]] == [best["id"], standalone["id"]]
    assert body["sources"] == [f"sweep {sid} (its best run, {best['id']})", f"run {standalone['id']}"]
    assert "x" in body["differ"] and body["metric_keys"][0] == "loss"
    assert len(client.get("/api/compare?refs=project:apitest").json()["rows"]) == 11
    for refs in ("project:nowhere", "zzzzzzzz", "not-an-id"):
        r = client.get(f"/api/compare?refs={refs}")
        assert r.status_code == 404 and r.json()["error"]["message"]
    assert client.get("/api/compare").status_code == 400


def test_run_page(filled):
    _, sid, store, client = filled
    run = store.runs(sid)[0]
    body = client.get(f"/api/runs/{run['id']}").json()
    assert body["row"]["id"] == run["id"] and body["sweep"]["id"] == sid
    assert "bowl.py" in body["command"] and "--x=" in body["command"]
    assert body["log"]["path"].endswith("output.log")


def test_live_head_and_changed_rows(filled):
    _, sid, store, client = filled
    ids = [r["id"] for r in store.runs(sid)][:2]
    body = client.get(f"/api/sweeps/{sid}/live?ids={','.join(ids)}").json()
    assert [r["id"] for r in body["rows"]] == ids and body["counts"] and body["progress"]["runs"] == 10
    mark = store.change_mark()
    assert store.change_mark() == mark  # nothing changed: the same mark


def test_events_name_the_runs_that_changed(filled):
    """The live path on each engine: a metric line stored for a run -> a `change` event naming it."""
    import json
    import threading

    p, sid, store, _ = filled
    app = create_app(store, TOKEN, poll_s=0.1)
    with TestClient(app) as client, client.stream("GET", f"/api/events?sweep={sid}") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "event: hello"
        run = store.runs(sid)[0]

        def write():
            # A line the tailer would store: the run's count of lines moves with it.
            store.update_run(run["id"], n_lines=run["n_lines"] + 1)

        threading.Timer(0.3, write).start()
        for line in lines:
            if line.startswith("data:") and '"runs"' in line:
                event = json.loads(line[5:])
                if event["runs"]:
                    break
    store.update_run(run["id"], n_lines=run["n_lines"])  # as it was, for the other tests
    assert event["runs"] == [run["id"]] and event["gone"] == []


def test_errors_are_json_with_a_status(filled):
    _, sid, _, client = filled
    for path, status in ((f"/api/sweeps/zzzzzzzz", 404), ("/api/sweeps/NOT-AN-ID", 404), ("/api/runs/zzzzzzzz", 404),
                         ("/api/nothing/here", 404), ("/api/runs?ids=" + ",".join(["a"] * 1001), 400)):
        r = client.get(path)
        assert r.status_code == status, path
        assert r.json()["error"]["status"] == status and r.json()["error"]["message"]
    r = client.post(f"/api/sweeps/{sid}/explode", headers={"X-Sweeper-Token": TOKEN})
    assert r.status_code == 404 and "pause, resume, stop, cancel" in r.json()["error"]["message"]


def test_the_page_may_ask_for_a_missing_sweep_or_run_in_the_body(filled):
    # The dashboard's page asks so (a 404 puts "Failed to load resource" on the browser's
    # console); anything else still gets the 404.
    _, _, _, client = filled
    ask = {"X-Sweeper-Not-Found": "in-body"}
    for path, what in (("/api/sweeps/zzzzzzzz", "no sweep 'zzzzzzzz'"), ("/api/runs/zzzzzzzz", "no run 'zzzzzzzz'"),
                       ("/api/sweeps/zzzzzzzz/curves?x=_step", "no sweep 'zzzzzzzz'"),
                       ("/api/compare?refs=zzzzzzzz", "zzzzzzzz")):
        r = client.get(path, headers=ask)
        assert r.status_code == 200 and r.json()["not_found"]["status"] == 404, path
        assert what in r.json()["not_found"]["message"]
        assert client.get(path).status_code == 404
    assert client.get("/api/runs?ids=" + ",".join(["a"] * 1001), headers=ask).status_code == 400


def test_the_token_guards_control(filled):
    p, sid, store, client = filled
    assert client.post(f"/api/sweeps/{sid}/resume").status_code == 403
    assert client.post(f"/api/sweeps/{sid}/cancel", headers={"X-Sweeper-Token": "wrong"}).status_code == 403
    assert store.get_sweep(sid)["state"] == "finished"
    # With the token, the same rules as `sweeper pause`: a finished sweep cannot be paused.
    r = client.post(f"/api/sweeps/{sid}/pause", headers={"X-Sweeper-Token": TOKEN})
    assert r.status_code == 409 and "needs it running" in r.json()["error"]["message"]
    other = p.sweep(SWEEP.replace("api check", "to pause"))
    r = client.post(f"/api/sweeps/{other}/pause", headers={"X-Sweeper-Token": TOKEN})
    assert r.status_code == 200 and r.json()["state"] == "paused"
    assert store.get_sweep(other)["state"] == "paused"
    assert client.post(f"/api/sweeps/{other}/resume", headers={"X-Sweeper-Token": TOKEN}).json()["state"] == "running"
    cli = p.cli("cancel", other)
    assert cli.returncode == 0 and store.get_sweep(other)["state"] == "canceled"
    cli = p.cli("pause", other)
    assert cli.returncode == 2 and "`sweeper pause` needs it running" in cli.stderr


def test_a_dashboard_without_a_token_controls_nothing(filled):
    p, sid, store, _ = filled
    with TestClient(create_app(store, None)) as client:
        assert client.post(f"/api/sweeps/{sid}/stop", headers={"X-Sweeper-Token": ""}).status_code == 403


def test_a_loopback_server_answers_only_loopback_names(filled):
    """DNS rebinding: a page at evil.example re-pointed at 127.0.0.1 sends Host: evil.example."""
    _, _, store, _ = filled
    with TestClient(create_app(store, TOKEN, hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1") as c:
        assert c.get("/api/overview").status_code == 200
        assert c.get("/api/overview", headers={"Host": "evil.example:8765"}).status_code == 400


def test_pages_and_files_are_served(filled):
    _, _, _, client = filled
    page = client.get("/")
    assert page.status_code == 200 and 'id="sweeper-data"' in page.text
    scripts = [s for s in page.text.split('"') if s.startswith("static/") and s.endswith(".js")]
    assert any("plotly-" in s for s in scripts) and len(scripts) == 7
    for src in scripts:
        r = client.get("/" + src, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/plotly-0.0.js").status_code == 404
    assert client.get("/static/../../etc/passwd").status_code == 404


# ---- the command -------------------------------------------------------------------------------


def test_ui_help_has_an_example():
    r = subprocess.run([exe(), "ui", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "sweeper ui --store postgresql://" in r.stdout and "--port" in r.stdout


def test_a_taken_port_is_a_clear_error(tmp_path):
    p = Project(tmp_path / "proj")
    p.sweep("program: bowl.py\nmethod: grid\nparameters:\n  x: {values: [1]}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = p.cli("ui", "--port", port, timeout=60)
    assert r.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr


def test_without_the_extra_it_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['starlette'] = None; sys.argv = ['sweeper', 'ui']\n"
            "from sweeper.cli import main; main()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={**os.environ, "SWEEPER_STORE": str(tmp_path / "s.db")})
    assert r.returncode == 1 and "pip install 'sweeper[ui]'" in r.stderr and "Traceback" not in r.stderr


def test_only_the_ui_command_imports_the_server_libraries():
    """starlette and uvicorn are the `ui` extra: only sweeper/ui/ imports them, and only
    `sweeper ui` (inside its function) imports sweeper/ui/."""
    pkg = Path(__file__).resolve().parent.parent.parent / "sweeper"
    offenders = []
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(pkg).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            server = [n for n in names if n.split(".")[0] in ("starlette", "uvicorn")]
            if server and not rel.startswith("ui/"):
                offenders.append(f"{rel}: {server}")
            if isinstance(node, ast.ImportFrom) and node.level and (node.module or "").startswith("ui") \
                    and rel != "cli/ui.py":
                offenders.append(f"{rel}: imports sweeper.ui")
    assert offenders == []
    r = subprocess.run([sys.executable, "-c", "import sys; from sweeper.cli import cli; cli.list_commands(None); "
                        "[cli.get_command(None, n) for n in cli.list_commands(None)]; "
                        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'plotly')))"],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "[]", r.stderr
