"""A sweep over its life, through the real CLI and agents, on SQLite and PostgreSQL: update its
file, run points again, stop one run, enqueue sets, warm-start from another sweep, name, tag and
annotate runs, delete them. (Issue 16, items 1-4.)"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from agentlib import Project, wait_for

GRID = """
program: probe.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  a: {values: [1, 2, 3]}
  lines: {value: 2}
"""


@pytest.fixture
def proj(tmp_path, store_url):
    return Project(tmp_path / "proj", store=store_url)


def runs_of(proj, sweep_id) -> list[dict]:
    return json.loads(proj.cli("export", sweep_id, "--format", "json", check=True).stdout)


def live(runs) -> list[dict]:
    return [r for r in runs if not r["superseded"]]


# ---- 1. sweep --update -------------------------------------------------------------------------


def test_update_adds_grid_values_and_a_parameter_then_runs_only_the_new_points(proj):
    sid = proj.sweep(GRID)
    assert proj.agent(sid).returncode == 0
    assert proj.status(sid)["state"] == "finished"
    proj.write("wider.yaml", GRID.replace("[1, 2, 3]", "[1, 2, 3, 4]") + "  b: {values: [x, y]}\n")

    refused = proj.cli("sweep", "wider.yaml", "--update", sid)
    assert refused.returncode == 2
    assert "parameters.b: earlier runs did not have it" in refused.stderr and "--default b=VALUE" in refused.stderr

    done = proj.cli("sweep", "wider.yaml", "--update", sid, "--default", "b=x", check=True)
    assert "updated to revision 2" in done.stdout
    assert "parameters.a: values added [4]" in done.stdout
    assert "earlier runs count as b=\"x\"" in done.stdout and "had finished and has more to do" in done.stdout
    assert proj.status(sid)["state"] == "running"
    assert proj.agent(sid).returncode == 0

    runs = live(runs_of(proj, sid))
    points = sorted((r["params"]["a"], r["params"]["b"]) for r in runs)
    assert points == [(a, b) for a in (1, 2, 3, 4) for b in ("x", "y")]  # each point once, the old three kept
    assert [r["number"] for r in runs if r["params"]["b"] == "x" and r["params"]["a"] < 4] == [1, 2, 3]
    assert proj.status(sid)["progress"]["grid_done"] == 8

    history = json.loads(proj.cli("history", sid, "--json", check=True).stdout)
    assert [r["revision"] for r in history["revisions"]] == [1, 2]
    assert history["revisions"][1]["source"] == "wider.yaml" and history["revisions"][1]["at_iso"].endswith("Z")
    first = proj.cli("history", sid, "--revision", "1", check=True).stdout
    assert "[1, 2, 3]" in first and "b:" not in first  # the file as registered


def test_update_refuses_what_cannot_change_and_says_what_did(proj):
    sid = proj.sweep(GRID)
    proj.write("goal.yaml", GRID.replace("minimize", "maximize").replace("loss}", "loss}\nrun_cap: 9"))
    refused = proj.cli("sweep", "goal.yaml", "--update", sid)
    assert refused.returncode == 2
    assert "metric.goal cannot change" in refused.stderr and "--prior-sweep" in refused.stderr
    proj.write("same.yaml", GRID)
    same = proj.cli("sweep", "same.yaml", "--update", sid, check=True)
    assert "changes nothing (revision 1)" in same.stdout
    bad = proj.cli("sweep", "same.yaml", "--update", sid, "--default", "zz=1")
    assert bad.returncode == 2 and "--default zz: the new file adds no parameter zz" in bad.stderr
    missing = proj.cli("sweep", "same.yaml", "--update", "zzzzzzzz")
    assert missing.returncode == 2 and "no sweep 'zzzzzzzz'" in missing.stderr
    assert "Traceback" not in refused.stderr + bad.stderr + missing.stderr


def test_a_higher_run_cap_reopens_a_finished_sweep_and_a_grid_covers_what_random_ran(proj):
    text = GRID.replace("method: grid", "method: random\nrun_cap: 2")
    sid = proj.sweep(text)
    assert proj.agent(sid).returncode == 0
    assert "run_cap reached" in proj.status(sid)["reason"]
    proj.write("grid.yaml", GRID)
    moved = json.loads(proj.cli("sweep", "grid.yaml", "--update", sid, "--json", check=True).stdout)
    assert moved["reopened"] and moved["state"] == "running" and "method: \"random\" -> \"grid\"" in moved["changes"]
    assert proj.agent(sid).returncode == 0
    runs = live(runs_of(proj, sid))
    # The grid runs only the points the random runs did not: every value of a exactly once...
    ran = [r["params"]["a"] for r in runs]
    assert sorted(set(ran)) == [1, 2, 3]
    # ...unless the random sweep drew one twice: then both stay, and one of them covers the point.
    assert len(runs) == 2 + len({1, 2, 3} - set(ran[:2]))


def test_agents_that_are_running_pick_up_the_new_file(proj):
    text = GRID.replace("[1, 2, 3]", "[1, 2, 3, 4, 5, 6]").replace("lines: {value: 2}", "sleep: {value: 0.6}")
    sid = proj.sweep(text)
    agent = proj.start_agent(sid)
    wait_for(lambda: len(runs_of(proj, sid)) >= 1, timeout=30, what="a first run")
    proj.write("more.yaml", text + "  tag: {value: new}\n")
    proj.cli("sweep", "more.yaml", "--update", sid, check=True)
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    assert "was updated (revision 2)" in err
    argvs = [r["params"] for r in runs_of(proj, sid)]
    assert argvs[-1].get("tag") == "new" and all(p.get("tag") == "new" for p in argvs)  # earlier ones: the default
    store = proj.open()
    probes = [json.loads((Path(r["run_dir"]) / "probe.json").read_text())["argv"] for r in store.runs(sid)]
    assert "--tag=new" in probes[-1] and "--tag=new" not in probes[0]


# ---- 2. rerun, and stopping one run ------------------------------------------------------------


def test_rerun_by_state_and_by_run_supersedes_and_covers_each_point_once(proj):
    sid = proj.sweep(GRID.replace("lines: {value: 2}", "exit: {values: [0, 1]}"))  # exit=1 fails
    assert proj.agent(sid, "--max-failures", "9").returncode == 0
    failed = [r for r in runs_of(proj, sid) if r["state"] == "failed"]
    assert len(failed) == 3
    queued = json.loads(proj.cli("rerun", sid, "--json", check=True).stdout)
    assert sorted(queued["queued"]) == sorted(r["id"] for r in failed)
    again = json.loads(proj.cli("rerun", sid, failed[0]["id"], "--json", check=True).stdout)
    assert again["skipped"] == {failed[0]["id"]: "it is already queued"}
    assert proj.agent(sid, "--count", "2", "--max-failures", "9").returncode == 8  # all of this agent's runs failed
    runs = runs_of(proj, sid)
    assert [r["origin"] for r in runs if r["number"] > 6] == ["rerun", "rerun"]
    assert sum(1 for r in runs if r["superseded"]) == 2
    ok = runs[0]["id"]
    proj.cli("rerun", sid, ok, check=True)  # a finished run, named: its parameters again
    assert proj.agent(sid, "--max-failures", "9").returncode == 0  # the last failed rerun, then this one
    runs = runs_of(proj, sid)
    assert len(live(runs)) == 6 and proj.status(sid)["progress"]["grid_done"] == 6
    assert next(r for r in runs if r["id"] == ok)["superseded"]
    unknown = proj.cli("rerun", sid, "zzzzzzzz")
    assert unknown.returncode == 2 and "no run 'zzzzzzzz'" in unknown.stderr
    bad = proj.cli("rerun", sid, "--state", "runing")
    assert bad.returncode == 2 and "unknown state runing" in bad.stderr


def test_superseded_runs_are_not_counted_by_sweeps_or_the_dashboards_overview(proj):
    from sweeper.results import views

    sid = proj.sweep(GRID)
    assert proj.agent(sid).returncode == 0
    first = runs_of(proj, sid)[0]["id"]
    proj.cli("rerun", sid, first, check=True)
    assert proj.agent(sid).returncode == 0
    runs = runs_of(proj, sid)
    assert len(runs) == 4 and sum(1 for r in runs if r["superseded"]) == 1
    (listed,) = json.loads(proj.cli("sweeps", "--json", check=True).stdout)
    assert listed["runs"] == {"finished": 3}
    (shown,) = views.overview(proj.open())["sweeps"]
    assert shown["counts"] == {"finished": 3} and shown["runs"] == 3 and shown["cap"] == 3


def test_stop_one_run_ends_it_stopped_and_the_agent_goes_on(proj):
    sid = proj.sweep(GRID.replace("lines: {value: 2}", "sleep: {values: [60, 0]}"))
    agent = proj.start_agent(sid, "--count", "2", env={"SWEEPER_HEARTBEAT_SECONDS": "0.3"})
    store = proj.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), timeout=30, what="a run")
    stopped = proj.cli("stop", run["id"], check=True)
    assert "will stop within seconds" in stopped.stdout
    _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    first, second = runs_of(proj, sid)
    assert first["state"] == "stopped" and "stopped by the user" in first["stop_reason"]
    assert not first["early_terminated"] and second["state"] == "finished"
    again = proj.cli("stop", run["id"])
    assert again.returncode == 2 and "is stopped, not running" in again.stderr
    assert proj.status(sid)["state"] == "running"  # one run stopped, not the sweep


def test_stop_a_standalone_run_raises_run_stopped_in_its_program(proj):
    proj.write("train.py", textwrap.dedent("""
        import time, sweeper
        run = sweeper.init(project="solo")
        try:
            for i in range(600):
                sweeper.log({"loss": 1.0 / (i + 1)})
                time.sleep(0.1)
        except sweeper.RunStopped as stop:
            print("stopped:", stop)
    """))
    import subprocess
    import sys

    from agentlib import env_for

    proc = subprocess.Popen([sys.executable, "train.py"], cwd=proj.root, env=env_for(proj.store, {
        "SWEEPER_HEARTBEAT_SECONDS": "0.3"}), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = proj.open()
    run = wait_for(lambda: next(iter(store.runs(project="solo")), None), timeout=30, what="the run")
    proj.cli("stop", run["id"], check=True)
    out, err = proc.communicate(timeout=30)
    assert "stopped: stopped by the user" in out, err
    after = store.get_run(run["id"])
    assert after["state"] == "stopped" and after["stop_reason"].startswith("stopped by the user")


# ---- 3. enqueue and warm starts ------------------------------------------------------------------


def test_enqueued_sets_run_first_are_checked_and_cover_their_grid_point(proj):
    text = GRID.replace("[1, 2, 3]", "[1, 2, 3, 4, 5]")
    sid = proj.sweep(text)
    outside = proj.cli("enqueue", sid, "-p", "a=9")
    assert outside.returncode == 2 and "a: not one of [1, 2, 3, 4, 5]" in outside.stderr
    typo = proj.cli("enqueue", sid, "-p", "a=2", "-p", "b=1")
    assert typo.returncode == 2 and "b: the sweep has no such parameter" in typo.stderr
    proj.write("sets.yaml", "- {a: 4}\n- {a: 2}\n")
    proj.cli("enqueue", sid, "--file", "sets.yaml", check=True)
    listed = json.loads(proj.cli("enqueue", sid, "--list", "--json", check=True).stdout)
    assert [w["params"] for w in listed["waiting"]] == [{"a": 4, "lines": 2}, {"a": 2, "lines": 2}]
    assert proj.agent(sid).returncode == 0
    runs = runs_of(proj, sid)
    assert [r["params"]["a"] for r in runs] == [4, 2, 1, 3, 5]  # the sets first, then the grid's open points
    assert [r["origin"] for r in runs] == ["queued", "queued", None, None, None]
    assert proj.status(sid)["progress"]["grid_done"] == 5
    proj.cli("enqueue", sid, "-p", "a=1", check=True)  # a point already run: an extra run beside the grid
    assert proj.agent(sid).returncode == 0 and len(runs_of(proj, sid)) == 6
    proj.cli("enqueue", sid, "-p", "a=1", check=True)
    cleared = json.loads(proj.cli("enqueue", sid, "--clear", "--json", check=True).stdout)
    assert cleared["dropped"] == 1 and cleared["waiting"] == []


BOWL = Path(__file__).resolve().parents[1] / "programs" / "bowl.py"
BAYES = """
program: bowl.py
method: {method}
metric: {{name: loss, goal: minimize}}
run_cap: {cap}
parameters:
  x: {{min: 0.0, max: 1.0}}
  y: {{min: 0.0, max: 1.0}}
  lines: {{value: 2}}
"""


def test_a_bayes_sweep_learns_from_prior_runs_that_are_never_its_own(proj):
    import shutil

    shutil.copy(BOWL, proj.root / "bowl.py")
    first = proj.sweep(BAYES.format(method="random", cap=12))
    assert proj.agent(first).returncode == 0
    stray = proj.sweep(BAYES.format(method="random", cap=1).replace("x: {min: 0.0, max: 1.0}", "x: {min: 2.0, max: 3.0}"))
    assert proj.agent(stray).returncode == 0
    (odd,) = runs_of(proj, stray)
    proj.write("bayes.yaml", BAYES.format(method="bayes", cap=2))
    made = proj.cli("sweep", "bayes.yaml", "--prior-sweep", first, "--prior-run", odd["id"])
    assert made.returncode == 0, made.stderr
    assert f"prior run {odd['id']} left out: its parameters do not fit" in made.stderr and "x: 2." in made.stderr
    assert "learning from 12 prior runs" in made.stdout
    sid = made.stdout.strip().splitlines()[-1]
    assert proj.agent(sid).returncode == 0
    assert proj.status(sid)["progress"]["runs"] == 2  # run_cap counts its own runs only
    assert [r["number"] for r in runs_of(proj, sid)] == [1, 2]
    history = json.loads(proj.cli("history", sid, "--json", check=True).stdout)
    assert len(history["priors"]) == 12 and {p["sweep_id"] for p in history["priors"]} == {first}
    # With 12 prior observations the model is past its random start: the suggestion is the
    # method's, not the random draw the same run position gets without them.
    from sweeper.search import choose
    from sweeper.store.history import RunList

    store = proj.open()
    sweep = store.get_sweep(sid)
    priors = store.prior_runs(sid)
    assert choose(sweep, RunList([], priors))[0] != choose(sweep, RunList([]))[0]
    none = proj.cli("sweep", "bayes.yaml", "--prior-run", odd["id"])
    assert none.returncode == 2 and "none of the 1 prior runs fits" in none.stderr


# ---- 4. names, tags, notes, delete ----------------------------------------------------------------


def test_name_tag_annotate_show_and_filter_runs(proj):
    sid = proj.sweep(GRID)
    assert proj.agent(sid).returncode == 0
    one, two, three = (r["id"] for r in runs_of(proj, sid))
    proj.cli("edit", one, two, "--tag", "paper", check=True)
    proj.cli("edit", one, "--name", "baseline", "--note", "seed 3\x1b[31m <b>", "--tag", "best", check=True)
    tagged = json.loads(proj.cli("runs", sid, "--tag", "paper", "--json", check=True).stdout)
    assert sorted(r["id"] for r in tagged) == sorted([one, two])
    both = json.loads(proj.cli("runs", sid, "--tag", "paper", "--tag", "best", "--json", check=True).stdout)
    assert [r["id"] for r in both] == [one] and both[0]["name"] == "baseline" and both[0]["tags"] == ["paper", "best"]
    proj.cli("edit", one, "--untag", "paper", "--name", "", check=True)
    record = json.loads(proj.cli("show", one, "--json", check=True).stdout)
    assert record["tags"] == ["best"] and record["name"] is None and record["notes"] == "seed 3\x1b[31m <b>"
    assert record["params"] == {"a": 1, "lines": 2} and record["command"][-2:] == ["--a=1", "--lines=2"]
    shown = proj.cli("show", one, check=True).stdout
    assert "\x1b" not in shown and "seed 3\\x1b[31m <b>" in shown and "loss (minimize)" in shown
    nothing = proj.cli("edit", one)
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr


def test_delete_runs_and_sweeps_with_their_files_never_a_running_one(proj):
    sid = proj.sweep(GRID)
    assert proj.agent(sid).returncode == 0
    store = proj.open()
    victim = store.runs(sid)[0]
    folder = Path(victim["run_dir"])
    assert folder.is_dir()
    asked = proj.cli("delete", victim["id"])
    assert asked.returncode == 2 and "add --yes" in asked.stderr and folder.is_dir()
    gone = json.loads(proj.cli("delete", victim["id"], "--yes", "--json", check=True).stdout)
    assert gone["deleted_runs"] == [victim["id"]] and not folder.exists()
    assert len(store.runs(sid)) == 2
    assert store.metric_rows(victim["id"]) == []
    assert proj.status(sid)["state"] == "running"  # its point is open again, and runs again
    assert proj.agent(sid).returncode == 0
    assert sorted(r["params"]["a"] for r in store.runs(sid)) == [1, 2, 3] and len(store.runs(sid)) == 3

    slow = proj.sweep(GRID.replace("lines: {value: 2}", "sleep: {value: 60}"))
    agent = proj.start_agent(slow)
    run = wait_for(lambda: next((r for r in store.runs(slow) if r["pid"]), None), timeout=30, what="a run")
    busy = proj.cli("delete", run["id"], "--yes")
    assert busy.returncode == 2 and "is running: stop it first" in busy.stderr
    busy_sweep = proj.cli("delete", slow, "--yes")
    assert busy_sweep.returncode == 2 and f"cancel it first (`sweeper cancel {slow}`)" in busy_sweep.stderr
    proj.cli("cancel", slow, check=True)
    agent.communicate(timeout=60)
    whole = json.loads(proj.cli("delete", slow, sid, "--yes", "--json", check=True).stdout)
    assert sorted(whole["deleted_sweeps"]) == sorted([slow, sid]) and whole["runs_of_deleted_sweeps"] == 4
    assert store.list_sweeps() == [] and store.runs(project=None) == []
    unknown = proj.cli("delete", "zzzzzzzz", "--yes")
    assert unknown.returncode == 2 and "no sweep or run 'zzzzzzzz'" in unknown.stderr


# ---- 5. a project's runs, and comparing experiments ----------------------------------------------


def _standalone(proj, project: str, config: dict, losses: list, name: str | None = None):
    import subprocess
    import sys

    from agentlib import env_for

    proj.write("solo.py", textwrap.dedent(f"""
        import sweeper
        sweeper.init(project={project!r}, config={config!r}, name={name!r})
        for v in {losses!r}:
            sweeper.log({{"loss": v, "acc": 1 - v}})
        sweeper.finish()
    """))
    done = subprocess.run([sys.executable, "solo.py"], cwd=proj.root, env=env_for(proj.store), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_projects_runs_keep_every_value_and_say_their_sweep(proj):
    sid = proj.sweep(GRID.replace("metric:", "project: lab\nmetric:"))
    assert proj.agent(sid).returncode == 0
    # A config key named like a logged metric: both must be seen (the metric used to vanish).
    _standalone(proj, "lab", {"loss": "l1", "lr": 0.1}, [0.5, 0.25], name="by-hand")
    rows = json.loads(proj.cli("runs", "--project", "lab", "--json", check=True).stdout)
    assert len(rows) == 4 and sorted({r["sweep_id"] for r in rows}, key=str) == sorted([None, sid], key=str)
    solo = next(r for r in rows if r["sweep_id"] is None)
    assert solo["params"] == {"loss": "l1", "lr": 0.1} and solo["summary"]["loss"] == 0.25
    assert solo["name"] == "by-hand" and "acc" in solo["summary"]
    table = proj.cli("runs", "--project", "lab", env={"COLUMNS": "200"}, check=True).stdout
    head = table.splitlines()[1].split()
    assert head[:3] == ["sweep", "id", "state"] and "loss" in head and "summary.loss" in head
    assert sid in table and "l1" in table and "0.25" in table
    picked = json.loads(proj.cli("runs", "--project", "lab", "--columns", "sweep,id,summary.loss", "--json",
                                 check=True).stdout)
    assert {"sweep": "", "id": solo["id"], "summary.loss": 0.25} in picked


def test_compare_sweeps_runs_and_projects_side_by_side(proj):
    import shutil

    shutil.copy(BOWL, proj.root / "bowl.py")
    text = BAYES.format(method="random", cap=3).replace("metric:", "project: lab\nmetric:")
    a, b = proj.sweep(text), proj.sweep(text.replace("lines: {value: 2}", "lines: {value: 3}"))
    assert proj.agent(a).returncode == 0 and proj.agent(b).returncode == 0
    _standalone(proj, "lab", {"x": 0.3, "y": 0.5, "lines": 2}, [0.2, 0.1], name="hand-tuned")
    found = json.loads(proj.cli("compare", a, b, "--json", check=True).stdout)
    best_a = json.loads(proj.cli("best", a, "--json", check=True).stdout)["run_id"]
    assert [r["sweep_id"] for r in found["runs"]] == [a, b] and found["runs"][0]["id"] == best_a
    assert found["differ"] == ["lines", "x", "y"] and found["same"] == {}
    assert found["metrics"][0] == "loss" and found["runs"][0]["metric"] == "loss"
    everything = json.loads(proj.cli("compare", "project:lab", "--json", check=True).stdout)
    assert len(everything["runs"]) == 7 and [r["name"] for r in everything["runs"]].count("hand-tuned") == 1
    solo = next(r for r in everything["runs"] if r["sweep_id"] is None)
    mixed = json.loads(proj.cli("compare", solo["id"], a, "--all", "--json", check=True).stdout)
    assert len(mixed["runs"]) == 4 and mixed["runs"][0]["summary"]["loss"] == 0.1
    table = proj.cli("compare", a, b, solo["id"], env={"COLUMNS": "200"}, check=True).stdout
    assert "hand-tuned" in table and "same in all" not in table and a in table
    for bad, why in (("zz", "not a run or sweep ID"), ("zzzzzzzz", "no run or sweep 'zzzzzzzz'"),
                     ("project:none", "project 'none' has no runs")):
        out = proj.cli("compare", bad)
        assert out.returncode == 2 and why in out.stderr, out.stderr


# ---- what a new user's review found ----------------------------------------------------------------


def test_deleting_a_sweep_its_agent_waits_on_ends_the_agent_cleanly(proj):
    sid = proj.sweep(GRID)
    proj.cli("pause", sid, check=True)
    agent = proj.start_agent(sid, env={"SWEEPER_PAUSE_POLL_SECONDS": "0.2", "SWEEPER_HEARTBEAT_SECONDS": "0.3"})
    store = proj.open()
    wait_for(lambda: store.live_agents(sid), timeout=30, what="the agent to register")
    asked = proj.cli("delete", sid, "--yes", check=True)
    assert "deleted sweep" in asked.stdout and "waiting agent will stop (exit 5)" in asked.stdout
    _, err = agent.communicate(timeout=30)
    assert agent.returncode == 5, err
    assert "Traceback" not in err and f"the sweep {sid} was deleted" in err


def test_enqueued_sets_run_even_when_the_run_cap_is_reached(proj):
    sid = proj.sweep(GRID.replace("method: grid", "method: random\nrun_cap: 2"))
    assert proj.agent(sid).returncode == 0
    done = proj.cli("enqueue", sid, "-p", "a=3.0", check=True)  # 3.0: the file lists 3
    assert "had finished and runs again" in done.stdout
    assert proj.agent(sid).returncode == 0
    runs = runs_of(proj, sid)
    assert len(runs) == 3 and runs[-1]["origin"] == "queued" and runs[-1]["params"]["a"] == 3
    store = proj.open()
    argv = json.loads((Path(store.get_run(runs[-1]["id"])["run_dir"]) / "probe.json").read_text())["argv"]
    assert "--a=3" in argv  # as the sweep writes it, not --a=3.0
    assert proj.status(sid)["state"] == "finished" and proj.status(sid)["progress"]["queued"] == 0


def test_update_warns_of_a_default_off_the_new_values_and_priors_already_learned(proj):
    sid = proj.sweep(GRID)
    assert proj.agent(sid).returncode == 0
    proj.write("more.yaml", GRID + "  d: {values: [0.0, 0.2]}\n")
    off = proj.cli("sweep", "more.yaml", "--update", sid, "--default", "d=0.5", check=True)
    assert "warning: --default d=0.5: not one of [0.0, 0.2]" in off.stderr and "a grid runs every point again" in off.stderr
    other = proj.sweep(GRID.replace("method: grid", "method: bayes"))
    first = proj.cli("sweep", "sweep.yaml", "--update", other, "--prior-sweep", sid)
    assert first.returncode == 0 and "learns from 3 more prior runs" in first.stdout, first.stderr
    assert "updated to revision" not in first.stdout  # the file is the same: only priors were added
    again = proj.cli("sweep", "sweep.yaml", "--update", other, "--prior-sweep", sid, check=True)
    assert "changes nothing" in again.stdout and "learns from those prior runs already" in again.stdout


def test_rerun_of_runs_that_cannot_run_again_exits_2_and_says_what_waits(proj):
    sid = proj.sweep(GRID.replace("lines: {value: 2}", "exit: {value: 1}"))
    assert proj.agent(sid, "--max-failures", "9").returncode == 8
    proj.cli("rerun", sid, check=True)
    waiting = proj.cli("rerun", sid, check=True)
    assert "nothing more to run again (3 already queued" in waiting.stdout
    slow = proj.sweep(GRID.replace("lines: {value: 2}", "sleep: {value: 60}"))
    agent = proj.start_agent(slow)
    store = proj.open()
    run = wait_for(lambda: next((r for r in store.runs(slow) if r["pid"]), None), timeout=30, what="a run")
    busy = proj.cli("rerun", slow, run["id"])
    assert busy.returncode == 2 and f"stop it first (`sweeper stop {run['id']}`)" in busy.stderr
    proj.cli("cancel", slow, check=True)
    agent.communicate(timeout=60)


def test_ids_of_the_other_kind_and_a_missing_store_are_told_apart(proj, tmp_path):
    sid = proj.sweep(GRID)
    assert proj.agent(sid, "--count", "1").returncode == 0
    (run,) = runs_of(proj, sid)
    wrong = proj.cli("cancel", run["id"])
    assert wrong.returncode == 2 and f"{run['id']} is a run of sweep {sid}" in wrong.stderr
    other = proj.cli("show", sid)
    assert other.returncode == 2 and f"{sid} is a sweep: `sweeper status {sid}`" in other.stderr
    elsewhere = Project(tmp_path / "empty")
    lost = elsewhere.cli("agent", sid, env={"SWEEPER_STORE": ""})
    assert lost.returncode == 2 and "no store here" in lost.stderr, lost.stderr
    assert not (elsewhere.root / ".sweeper").exists()  # an agent never makes an empty store
