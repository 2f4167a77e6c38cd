"""Sweeps from Python: sweeper.sweep, sweeper.agent(function=...), init/config/log/finish."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import sweeper
from sweeper.store import open_store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def store_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "s" / "sweeper.db")
    monkeypatch.setenv("SWEEPER_STORE", path)
    return path


def script(tmp_path, body: str) -> subprocess.CompletedProcess:
    f = tmp_path / "script.py"
    f.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, str(f)], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_sweep_validates_like_the_cli(store_path):
    with pytest.raises(sweeper.SweepConfigError) as err:
        sweeper.sweep({"method": "grid", "paramters": {}, "metric": {"name": "x", "goal": "maximise"}})
    text = str(err.value)
    assert "did you mean 'parameters'" in text and "did you mean 'maximize'" in text
    assert len(err.value.problems) == 3  # unknown key, missing parameters, bad goal
    assert open_store(store_path).list_sweeps() == []
    sid = sweeper.sweep({"method": "random", "parameters": {"lr": {"min": 1e-4, "max": 0.1}}}, project="p")
    assert open_store(store_path).get_sweep(f"p/{sid}")["project"] == "p"


def test_agent_runs_a_function_per_run(store_path, tmp_path):
    sid = sweeper.sweep({
        "method": "grid", "metric": {"name": "acc", "goal": "maximize"},
        "parameters": {"lr": {"values": [0.1, 0.2, 0.3]}, "opt": {"parameters": {"m": {"value": 0.9}}}},
    })

    def train():
        run = sweeper.init(config={"lr": 99, "epochs": 2, "opt": {"m": 0.0, "nesterov": True}})
        cfg = sweeper.config
        assert cfg.epochs == 2 and cfg["opt"]["nesterov"] is True  # defaults kept
        assert cfg.opt.m == 0.9  # the sweep's value wins
        with open(os.path.join(run.dir, "seen.json"), "w") as f:
            json.dump({"id": run.id, "lr": cfg.lr, "pid": os.getpid()}, f)
        for epoch in range(cfg.epochs):
            sweeper.log({"epoch": epoch, "acc": cfg.lr * (epoch + 1)})
        print("trained with", cfg.lr)
        sweeper.finish()

    code = sweeper.agent(sid, function=train, count=2)
    assert code == 0
    runs = open_store(store_path).runs(sid)
    assert [r["state"] for r in runs] == ["finished", "finished"]
    seen = [json.load(open(os.path.join(r["run_dir"], "seen.json"))) for r in runs]
    assert [s["lr"] for s in seen] == [0.1, 0.2] and [s["id"] for s in seen] == [r["id"] for r in runs]
    assert all(s["pid"] != os.getpid() for s in seen)  # each run in its own process
    assert [r["best_value"] for r in runs] == [0.2, 0.4]
    assert "trained with 0.1" in open(os.path.join(runs[0]["run_dir"], "output.log")).read()
    assert sweeper.agent(sid, function=train) == 0  # the last point, then the grid is exhausted
    # A function has no command line to print: said plainly, not as "<function ...>".
    best = subprocess.run([sys.executable, "-m", "sweeper", "best", sid, "--format", "command"],
                          capture_output=True, text=True, timeout=60)
    assert best.returncode == 1 and not best.stdout, best.stdout
    assert "ran the Python function" in best.stderr and "has no command line" in best.stderr
    assert "Traceback" not in best.stderr


def test_exception_marks_failed_and_agent_goes_on(store_path):
    sid = sweeper.sweep({"method": "grid", "parameters": {"x": {"values": [1, 2, 3]}}})

    def train():
        sweeper.init()
        if sweeper.config.x == 2:
            raise ValueError("bad x")

    assert sweeper.agent(sid, function=train) == 0
    runs = sorted(open_store(store_path).runs(sid), key=lambda r: r["number"])
    assert [r["state"] for r in runs] == ["finished", "failed", "finished"]
    assert "ValueError: bad x" in runs[1]["error"] and "Traceback" in runs[1]["error"]


def test_hyperband_reaches_a_function_as_runstopped(store_path):
    sid = sweeper.sweep({
        "method": "grid", "metric": {"name": "loss"},
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
        "parameters": {"base": {"values": [1.0, 9.0]}},
    })

    def train():
        run = sweeper.init()
        try:
            for i in range(40):
                sweeper.log({"loss": sweeper.config.base / (i + 1)})
                time.sleep(0.05)
        except sweeper.RunStopped:
            open(os.path.join(run.dir, "checkpoint"), "w").write("saved")
            raise

    assert sweeper.agent(sid, function=train) == 0
    good, bad = sorted(open_store(store_path).runs(sid), key=lambda r: r["number"])
    assert good["state"] == "finished" and good["n_lines"] == 40
    assert bad["state"] == "stopped" and bad["band"] == 2
    assert os.path.exists(os.path.join(bad["run_dir"], "checkpoint"))
    assert bad["n_lines"] < 40


def test_standalone_run_recorded_under_project(store_path, tmp_path):
    proc = script(tmp_path, """
        import sweeper
        run = sweeper.init(config={"lr": 0.5, "epochs": 3}, project="plain")
        for e in range(sweeper.config.epochs):
            sweeper.log({"epoch": e, "loss": 1.0 / (e + 1)})
        print(run.id)
        sweeper.finish()
    """)
    assert proc.returncode == 0, proc.stderr
    run_id = proc.stdout.strip()
    st = open_store(store_path)
    (run,) = st.runs(project="plain")
    assert run["id"] == run_id and run["sweep_id"] is None and run["state"] == "finished"
    assert run["params"] == {"lr": 0.5, "epochs": 3}
    assert [json.loads(m["data"])["loss"] for m in st.metric_rows(run_id)] == [1.0, 0.5, 1 / 3]
    assert run["summary"]["epoch"] == 2
    listed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "sweeper"), "runs", "--project", "plain",
                             "--json"], cwd=tmp_path, capture_output=True, text=True, check=True)
    (row,) = json.loads(listed.stdout)  # nested, as `sweeper runs ID --json`
    assert row["id"] == run_id and row["params"]["lr"] == 0.5 and row["summary"]["loss"] == pytest.approx(1 / 3)
    assert row["sweep_id"] is None


def test_logs_of_a_standalone_run_say_it_was_not_recorded(store_path, tmp_path):
    # Nothing captures a standalone run's stdout: `sweeper logs` says so, instead of sending the
    # user to look for the file on another machine.
    proc = script(tmp_path, """
        import sweeper
        run = sweeper.init(project="plain")
        sweeper.log({"loss": 1.0})
        print(run.id)
        sweeper.finish()
    """)
    assert proc.returncode == 0, proc.stderr
    run_id = proc.stdout.strip()
    logs = subprocess.run([os.path.join(os.path.dirname(sys.executable), "sweeper"), "logs", run_id],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert logs.returncode == 1 and "Traceback" not in logs.stderr
    assert "standalone run" in logs.stderr and "not recorded" in logs.stderr
    assert "not on this machine" not in logs.stderr


def test_standalone_run_that_raises_is_failed(store_path, tmp_path):
    proc = script(tmp_path, """
        import sweeper
        sweeper.init(project="plain")
        sweeper.log({"loss": 1.0})
        raise RuntimeError("boom")
    """)
    assert proc.returncode == 1
    (run,) = open_store(store_path).runs(project="plain")
    assert run["state"] == "failed" and run["n_lines"] == 1


def test_ctrl_c_stops_a_function_agent_cleanly(store_path, tmp_path):
    sid = sweeper.sweep({"method": "random", "parameters": {"x": {"value": 1}}})
    f = tmp_path / "agent_script.py"
    f.write_text(textwrap.dedent(f"""
        import time, sweeper
        def train():
            sweeper.init()
            print("started", flush=True)
            for i in range(600):
                sweeper.log({{"i": i}})
                time.sleep(0.05)
        raise SystemExit(sweeper.agent("{sid}", function=train))
    """))
    proc = subprocess.Popen([sys.executable, str(f)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 130
    (run,) = open_store(store_path).runs(sid)
    assert run["state"] == "interrupted" and "SIGINT" in run["stop_reason"]
    assert run["n_lines"] > 0


def test_importing_sweeper_is_light():
    code = ("import sys, sweeper; sweeper.config.get('x'); "
            "heavy = [m for m in ('numpy', 'sqlalchemy', 'torch', 'sklearn', 'yaml', 'jsonschema', 'rich', 'click')"
            " if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_list_and_tuple_values_are_two_grid_points_as_in_wandb(store_path, tmp_path):
    """From Python a grid may list [1, 2] and (1, 2): W&B counts two points and its agent passes
    --shape=[1, 2] and --shape=(1, 2). The store keeps the tuple a tuple (JSON has none)."""
    import shutil

    shutil.copy(os.path.join(ROOT, "tests", "agentprogs", "probe.py"), tmp_path / "probe.py")
    sid = sweeper.sweep({"program": "probe.py", "method": "grid",
                         "parameters": {"shape": {"values": [[1, 2], (1, 2), [1, 2], (1, 2)]}}})
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "sweeper"), "agent", sid], cwd=tmp_path,
                          env=dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "grid exhausted" in done.stderr, done.stderr
    runs = open_store(store_path).runs(sid)
    assert [r["params"]["shape"] for r in runs] == [[1, 2], (1, 2)]
    argv = [json.loads(open(os.path.join(r["run_dir"], "probe.json")).read())["argv"] for r in runs]
    assert [a for a in argv] == [["--shape=[1, 2]"], ["--shape=(1, 2)"]]


def test_sweep_takes_wandbs_prior_runs(store_path, tmp_path):
    proc = script(tmp_path, """
        import sweeper
        run = sweeper.init(project="p", config={"lr": 0.01, "wd": 3})
        sweeper.log({"loss": 0.5})
        sweeper.finish()
        print(run.id)
    """)
    assert proc.returncode == 0, proc.stderr
    rid = proc.stdout.strip()
    config = {"program": "train.py", "method": "bayes", "metric": {"name": "loss"},
              "parameters": {"lr": {"min": 0.001, "max": 0.1}}}
    sid = sweeper.sweep(config, prior_runs=[rid])
    assert [p["id"] for p in open_store(store_path).prior_runs(sid)] == [rid]
    with pytest.warns(UserWarning, match=f"prior run {rid} left out: .*lr: 0.01 is outside"):
        other = sweeper.sweep(dict(config, parameters={"lr": {"min": 0.5, "max": 1.0}}), prior_runs=[rid])
    assert open_store(store_path).prior_runs(other) == []
