"""`sweeper agent` end to end: real CLI, real child processes, a real store."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from agentlib import Project, pid_alive, wait_for


def probe_of(store, run) -> dict:
    return json.loads((Path(run["run_dir"]) / "probe.json").read_text())


GRID = """
program: probe.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  b: {values: [x, y]}
  a: {min: 1, max: 3}
  lines: {value: 3}
"""


def test_grid_runs_in_wandb_order_then_exhausts(project):
    sid = project.sweep(GRID)
    first = project.agent(sid, "--count", "4")
    assert first.returncode == 0, first.stderr
    assert "ran --count 4" in first.stderr
    second = project.agent(sid)
    assert second.returncode == 0, second.stderr
    assert "grid exhausted" in second.stderr
    store = project.open()
    runs = sorted(store.runs(sid), key=lambda r: r["number"])
    # sorted by name (a, b, lines), last varies fastest
    assert [(r["params"]["a"], r["params"]["b"]) for r in runs] == [
        (1, "x"), (1, "y"), (2, "x"), (2, "y"), (3, "x"), (3, "y")]
    assert [r["grid_index"] for r in runs] == list(range(6))
    assert all(r["state"] == "finished" for r in runs)
    assert store.get_sweep(sid)["state"] == "finished"
    third = project.agent(sid)
    assert third.returncode == 0 and "grid exhausted" in third.stderr


def test_child_gets_args_env_and_records(project):
    sid = project.sweep("""
program: probe.py
method: grid
parameters:
  flag: {value: true}
  nope: {value: false}
  nothing: {value: null}
  lst: {value: [1, 2]}
  opt: {parameters: {lr: {value: 0.1}, name: {value: adam}}}
  hostile: {value: "$(touch pwned); reboot"}
""")
    proc = project.agent(sid, "--count", "1", env={"CUDA_VISIBLE_DEVICES": "3"})
    assert proc.returncode == 0, proc.stderr
    store = project.open()
    (run,) = store.runs(sid)
    probe = probe_of(store, run)
    assert probe["argv"] == ["--flag=True", "--hostile=$(touch pwned); reboot", "--lst=[1, 2]",
                             "--nope=False", "--nothing=None", "--opt={'lr': 0.1, 'name': 'adam'}"]
    assert not (project.root / "pwned").exists()
    env = probe["env"]
    assert env["SWEEPER_SWEEP_ID"] == sid and env["SWEEPER_RUN_ID"] == run["id"]
    assert env["SWEEPER_RUN_DIR"] == run["run_dir"]
    assert env["SWEEPER_METRICS"] == os.path.join(run["run_dir"], "metrics.jsonl")
    assert env["CUDA_VISIBLE_DEVICES"] == "3" and run["gpu"] == "3"
    assert probe["stdin_closed"] is True
    assert probe["pgid"] == probe["pid"]  # its own process group
    # what is recorded with the run
    assert run["pid"] == probe["pid"] and run["host"] and run["exit_code"] == 0
    assert run["started_at"] and run["ended_at"] >= run["started_at"]
    assert run["python_version"] and run["command"][2] == "probe.py"
    rd = Path(run["run_dir"])
    assert json.loads((rd / "params.json").read_text())["opt"] == {"lr": 0.1, "name": "adam"}
    assert json.loads((rd / "command.json").read_text()) == run["command"]
    assert "probe running" in (rd / "output.log").read_text()
    # echoed live, plain by default
    assert "probe running" in proc.stdout


def test_every_macro_through_a_real_child(project):
    sid = project.sweep("""
program: probe.py
method: grid
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args_no_hyphens}
  - ${args_append_hydra}
  - ${args_override_hydra}
  - ${args_no_boolean_flags}
  - ${args_json}
  - ${args_json_file}
  - --data=${envvar:DATA_ROOT}/x
  - ${args_no_equals}
parameters:
  t: {value: true}
  f: {value: false}
""")
    assert project.agent(sid, "--count", "1", env={"DATA_ROOT": "/d"}).returncode == 0
    store = project.open()
    (run,) = store.runs(sid)
    argv = probe_of(store, run)["argv"]
    json_file = os.path.join(run["run_dir"], "args.json")
    assert argv == ["f=False", "t=True", "+f=False", "+t=True", "++f=False", "++t=True", "--t",
                    '{"f": false, "t": true}', json_file, "--data=/d/x", "--f", "False", "--t", "True"]
    assert json.loads(Path(json_file).read_text()) == {"f": False, "t": True}


def test_macros_and_envvars_as_wandbs_agent_expands_them(project):
    """Any whole element ${...} is a macro (W&B drops ${arg1}; it used to pass through), an unset
    ${envvar:NAME} gives NAME, a lower-case one is left as it is; `sweeper sweep` warns of both."""
    project.write("sweep.yaml", """
program: probe.py
method: random
command: ["${env}", "${interpreter}", "${program}", "${arg1}", "--u=${envvar:SWEEPER_TEST_UNSET}",
          "--l=${envvar:lower}", "${args}"]
parameters: {x: {value: 1}}
""")
    made = project.cli("sweep", "sweep.yaml", check=True)
    assert "unknown macro ${arg1}" in made.stderr and "${envvar:lower} is not written out" in made.stderr
    sid = made.stdout.strip().splitlines()[-1]
    assert project.agent(sid, "--count", "1").returncode == 0
    store = project.open()
    (run,) = store.runs(sid)
    assert probe_of(store, run)["argv"] == ["--u=SWEEPER_TEST_UNSET", "--l=${envvar:lower}", "--x=1"]


def test_a_quantized_draw_just_below_zero_keeps_its_sign(project):
    """W&B rounds q_* draws with numpy, which keeps the sign: its agent passes --p=-0.0."""
    sid = project.sweep("program: probe.py\nmethod: random\n"
                        "parameters: {p: {distribution: q_uniform, min: -0.4, max: 0.0, q: 1.0}}\n")
    assert project.agent(sid, "--count", "2").returncode == 0
    store = project.open()
    assert [probe_of(store, r)["argv"] for r in store.runs(sid)] == [["--p=-0.0"], ["--p=-0.0"]]


def test_git_commit_recorded(project):
    import subprocess
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=project.root, check=True)
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {x: {value: 1}}\n")
    assert project.agent(sid, "--count", "1").returncode == 0
    (run,) = project.open().runs(sid)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True).stdout.strip()
    assert run["git_commit"] == head
    assert run["git_dirty"] is False


def test_metrics_malformed_partial_nan(project):
    project.write("writer.py", r'''
import os, time
p = os.environ["SWEEPER_METRICS"]
with open(p, "a") as f:
    f.write('{"step": 0, "loss": 3.0}\n')
    f.write('this is not json\n')
    f.write('[1, 2]\n')
    f.write('{"step": 1, "loss": NaN, "note": "nan line"}\n')
    f.flush()
    f.write('{"step": 2, "lo')   # a partial line: must wait for its newline
    f.flush()
    time.sleep(0.6)
    f.write('ss": 1.5, "acc": Infinity}\n')
    f.write('{"step": 3, "loss": 2.0, "tag": "last"}')  # no final newline at all
''')
    sid = project.sweep("program: writer.py\nmethod: random\nmetric: {name: loss}\nparameters: {x: {value: 1}}\n")
    assert project.agent(sid, "--count", "1").returncode == 0
    store = project.open()
    (run,) = store.runs(sid)
    rows = store.metric_rows(run["id"])
    assert [json.loads(r["data"]).get("step") for r in rows] == [0, 1, 2, 3]
    assert run["malformed"] == 2 and run["n_lines"] == 4
    assert run["best_value"] == 1.5 and run["state"] == "finished"
    assert run["summary"]["tag"] == "last" and run["summary"]["loss"] == 2.0
    assert run["summary"]["acc"] == float("inf")
    assert [r["miter"] for r in rows] == [1, None, 2, 3]  # NaN is not an iteration
    log = (Path(run["run_dir"]) / "output.log").read_text()
    assert log.count("skipped a metrics line") == 1


def test_failed_run_and_max_failures(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 2}}\n")
    proc = project.agent(sid, "--max-failures", "2")
    assert proc.returncode == 6, proc.stderr
    assert "its last 2 runs failed" in proc.stderr and "probe running" in proc.stderr
    runs = project.open().runs(sid)
    assert [r["state"] for r in runs] == ["failed", "failed"]
    assert runs[0]["exit_code"] == 2 and "probe running" in runs[0]["error"]


def test_child_killed_by_signal(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {kill: {value: 9}}\n")
    proc = project.agent(sid, "--count", "1")
    assert proc.returncode == 8  # its only run failed
    (run,) = project.open().runs(sid)
    assert run["state"] == "failed" and run["signal"] == 9 and run["exit_code"] is None
    assert "SIGKILL" in run["stop_reason"]


def test_count_counts_failures(project):
    # A grid, so that some of the 5 runs fail and some do not whatever the sweep's ID (random
    # draws are seeded by it: all five could fail, and the agent would exit 8).
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {exit: {values: [0, 1]}, i: {values: [1, 2, 3]}}\n")
    proc = project.agent(sid, "--count", "5", "--max-failures", "100")
    assert proc.returncode == 0, proc.stderr
    runs = project.open().runs(sid)
    assert len(runs) == 5 and {r["state"] for r in runs} == {"finished", "failed"}


def test_run_cap_across_agents(project):
    sid = project.sweep("program: probe.py\nmethod: random\nrun_cap: 7\nparameters: {x: {min: 0.0, max: 1.0}}\n")
    procs = [project.start_agent(sid) for _ in range(3)]
    codes = [p.wait(60) for p in procs]
    assert codes == [0, 0, 0], [p.stderr.read() for p in procs]
    assert len(project.open().runs(sid)) == 7
    assert project.open().get_sweep(sid)["state"] == "finished"


def test_ctrl_c_stops_run_gracefully(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 30}, lines: {value: 2}}\n")
    agent = project.start_agent(sid)
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    wait_for(lambda: (Path(run["run_dir"]) / "probe.json").exists(), what="probe to start")
    agent.send_signal(signal.SIGINT)
    assert agent.wait(20) == 130
    run = store.get_run(run["id"])
    assert run["state"] == "interrupted" and "SIGINT" in run["stop_reason"]
    assert (Path(run["run_dir"]) / "terminated").exists()  # the program got SIGTERM and saved
    assert not pid_alive(run["pid"])
    assert len(store.metric_rows(run["id"])) == 2  # metrics kept


def test_sigterm_then_sigkill_after_grace(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 60}, trap: {value: 1}}\n")
    agent = project.start_agent(sid, "--grace", "1")
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    wait_for(lambda: (Path(run["run_dir"]) / "probe.json").exists(), what="probe to start")
    t0 = time.time()
    agent.send_signal(signal.SIGTERM)
    assert agent.wait(20) == 143
    assert 0.9 < time.time() - t0 < 10
    run = store.get_run(run["id"])
    assert run["state"] == "interrupted" and run["signal"] == 9
    assert "ignoring SIGTERM" in (Path(run["run_dir"]) / "output.log").read_text()


def test_second_ctrl_c_kills_at_once(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 60}, trap: {value: 1}}\n")
    agent = project.start_agent(sid, "--grace", "60")
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    wait_for(lambda: (Path(run["run_dir"]) / "probe.json").exists(), what="probe to start")
    agent.send_signal(signal.SIGINT)
    time.sleep(0.5)
    t0 = time.time()
    agent.send_signal(signal.SIGINT)
    assert agent.wait(20) == 130
    assert time.time() - t0 < 5
    assert store.get_run(run["id"])["state"] == "interrupted"


def test_kill_9_agent_kills_child_and_run_is_reclaimed(project, monkeypatch):
    sid = project.sweep("""
program: probe.py
method: grid
parameters:
  sleep: {value: 60}
  spawn: {value: 1}
  k: {values: [1, 2]}
""")
    agent = project.start_agent(sid)
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    probe_path = Path(run["run_dir"]) / "probe.json"
    wait_for(probe_path.exists, what="probe to start")
    child_pid = json.loads(probe_path.read_text())["pid"]
    agent.kill()  # SIGKILL: no handler runs
    agent.wait(10)
    grandchild = json.loads(probe_path.read_text())["grandchild"]
    wait_for(lambda: not pid_alive(child_pid), timeout=10, what="the child to die with its agent")
    wait_for(lambda: not pid_alive(grandchild), timeout=10, what="the child's own child to die too")
    # Another agent on this host sees the dead agent at once and claims the point again.
    proc = project.agent(sid, "--count", "1", env={"PROBE_FAST": "1"}, timeout=120)
    runs = store.runs(sid)
    crashed = store.get_run(run["id"])
    assert crashed["state"] == "crashed" and crashed["superseded"] is True
    again = [r for r in runs if r["grid_index"] == crashed["grid_index"] and r["id"] != run["id"]]
    assert len(again) == 1, proc.stderr


def test_pause_resume_stop(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {x: {min: 0.0, max: 1.0}}\n")
    assert project.cli("pause", sid).returncode == 0
    proc = project.agent(sid, "--count", "3", "--exit-on-pause")
    assert proc.returncode == 4 and "paused" in proc.stderr
    assert project.cli("pause", sid).returncode == 2  # already paused
    assert project.cli("resume", sid).returncode == 0
    assert project.agent(sid, "--count", "2").returncode == 0
    assert project.cli("stop", sid).returncode == 0
    proc = project.agent(sid, "--count", "3")
    assert proc.returncode == 0 and "stopped by the user" in proc.stderr
    assert len(project.open().runs(sid)) == 2


def test_stop_lets_running_run_finish(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 2.5}}\n")
    agent = project.start_agent(sid, env={"SWEEPER_HEARTBEAT_SECONDS": "0.3"})
    store = project.open()
    wait_for(lambda: store.runs(sid), what="run to start")
    assert project.cli("stop", sid).returncode == 0
    assert agent.wait(30) == 0
    (run,) = store.runs(sid)
    assert run["state"] == "finished"


def test_cancel_stops_running_runs(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 60}}\n")
    agent = project.start_agent(sid, env={"SWEEPER_HEARTBEAT_SECONDS": "0.5"})
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    t0 = time.time()
    assert project.cli("cancel", sid).returncode == 0
    assert agent.wait(30) == 5
    assert time.time() - t0 < 10
    run = store.get_run(run["id"])
    assert run["state"] == "stopped" and "canceled" in run["stop_reason"]


def test_gpus_run_in_parallel(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 1}}\n")
    t0 = time.time()
    proc = project.agent(sid, "--gpus", "0,1,2", "--count", "3")
    took = time.time() - t0
    assert proc.returncode == 0, proc.stderr
    runs = project.open().runs(sid)
    assert sorted(r["gpu"] for r in runs) == ["0", "1", "2"]
    assert took < 2.9  # three one-second runs side by side, not one after another
    assert "[" in proc.stdout and "] probe running" in proc.stdout  # prefixed output


def test_parallel_agents_never_share_a_grid_point(tmp_path, store_url):
    project = Project(tmp_path / "parallel", store=store_url)
    sid = project.sweep("""
program: probe.py
method: grid
parameters:
  a: {min: 1, max: 10}
  b: {min: 1, max: 10}
""")
    procs = [project.start_agent(sid, "--output", "none") for _ in range(4)]
    outs = [(p.wait(300), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in outs), outs
    assert not any("locked" in err for _, err in outs)
    runs = project.open().runs(sid)
    assert len(runs) == 100
    points = [(r["params"]["a"], r["params"]["b"]) for r in runs]
    assert len(set(points)) == 100
    assert sorted(r["grid_index"] for r in runs) == list(range(100))
    assert all(r["state"] == "finished" for r in runs)


def test_unknown_sweep_and_missing_program(project):
    proc = project.agent("zzzzzzzz")
    assert proc.returncode == 2 and "no sweep 'zzzzzzzz'" in proc.stderr
    assert "sweeper sweep FILE" in proc.stderr  # what makes one
    assert not (project.root / ".sweeper").exists()  # and no empty store left behind
    sid = project.sweep("program: nothere.py\nmethod: random\nparameters: {x: {value: 1}}\n")
    proc = project.agent(sid)
    assert proc.returncode == 2 and "program 'nothere.py' not found" in proc.stderr
    assert project.open().runs(sid) == []


def test_runtime_helper_in_a_program(project):
    project.write("helper_prog.py", """
import sweeper
assert sweeper.config.lr == sweeper.config["lr"] == sweeper.config.get("lr")
assert sweeper.config.opt.momentum == 0.9
assert sweeper.config.get("missing", 7) == 7
for i in range(3):
    sweeper.log({"acc": sweeper.config.lr * i}, step=i)
""")
    sid = project.sweep("""
program: helper_prog.py
method: grid
metric: {name: acc, goal: maximize}
parameters:
  lr: {value: 0.5}
  opt: {parameters: {momentum: {value: 0.9}}}
""")
    proc = project.agent(sid, "--count", "1")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    (run,) = project.open().runs(sid)
    assert run["state"] == "finished" and run["best_value"] == 1.0 and run["best_step"] == 2


def test_status_and_best(project):
    sid = project.sweep("""
program: probe.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  loss: {values: [3.0, 1.0, 2.0]}
  lines: {value: 2}
""")
    assert project.agent(sid).returncode == 0
    st = project.status(sid)
    assert st["progress"]["grid_total"] == 3 and st["progress"]["grid_done"] == 3
    assert st["best"]["params"]["loss"] == 1.0 and st["best"]["value"] == 0.5
    assert [r["best"] for r in st["runs"]] == [0.5, 1.0, 1.5]
    assert st["runs"][0]["is_best"] and st["runs"][0]["last"] == 0.5
    human = project.cli("status", sid, check=True).stdout
    assert "grid: 3/3 points" in human and "finished" in human
    best_yaml = project.cli("best", sid, check=True).stdout
    assert "loss: 1.0" in best_yaml
    assert json.loads(project.cli("best", sid, "--format", "json", check=True).stdout) == {"lines": 2, "loss": 1.0}
    cmd = project.cli("best", sid, "--format", "command", check=True).stdout.strip()
    assert cmd.endswith("probe.py --lines=2 --loss=1.0")
    run_id = st["best"]["id"]
    logs = project.cli("logs", run_id, check=True).stdout
    assert "probe running" in logs


def test_retry_failed_runs_failed_grid_points_again(project):
    project.write("flaky.py", """
import os, sys
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "failed_once")
x = sys.argv[1].split("=")[1]
if x == "2" and not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit(1)
""")
    sid = project.sweep("program: flaky.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3]}}\n")
    assert project.agent(sid).returncode == 0
    store = project.open()
    assert sorted(r["state"] for r in store.runs(sid)) == ["failed", "finished", "finished"]
    # Without --retry-failed the grid is done; with it the failed point runs again.
    assert project.agent(sid).returncode == 0 and len(store.runs(sid)) == 3
    proc = project.agent(sid, "--retry-failed")
    assert proc.returncode == 0, proc.stderr
    runs = store.runs(sid)
    live = [r for r in runs if not r["superseded"]]
    assert len(runs) == 4 and sorted(r["grid_index"] for r in live) == [0, 1, 2]
    assert all(r["state"] == "finished" for r in live)
    assert [r["state"] for r in runs if r["superseded"]] == ["failed"]
    assert store.get_sweep(sid)["state"] == "finished"


def test_logs_follow_a_running_run(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 1.5}}\n")
    agent = project.start_agent(sid)
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["run_dir"]), None), what="run to start")
    follow = project.cli("logs", run["id"], "-f", timeout=30)
    assert follow.returncode == 0 and "probe running" in follow.stdout
    assert store.get_run(run["id"])["state"] != "running"  # -f returned once the run ended
    agent.kill()
    agent.wait()
    assert project.cli("logs", "nosuchrn").returncode == 2


def test_status_watch_without_a_terminal_prints_once(project):
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {x: {value: 1}}\n")
    proc = project.cli("status", sid, "--watch", timeout=20)
    assert proc.returncode == 0 and f"sweep {sid}" in proc.stdout and "No runs yet" in proc.stdout


def test_sweep_finishes_when_its_last_run_ends(project):
    """--count that stops exactly at run_cap (or at the last grid point): status says finished."""
    sid = project.sweep("program: probe.py\nmethod: random\nrun_cap: 3\nparameters: {x: {min: 0.0, max: 1.0}}\n")
    assert project.agent(sid, "--count", "3").returncode == 0
    st = project.status(sid)
    assert st["state"] == "finished" and "run_cap reached" in st["reason"]
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2]}}\n")
    assert project.agent(sid, "--count", "2").returncode == 0
    assert project.status(sid)["state"] == "finished"
