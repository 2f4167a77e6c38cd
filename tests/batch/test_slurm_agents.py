"""Sweeps run by Slurm job arrays on the local single-node cluster (.ci/slurm.sh), each task
`sweeper agent ID --count 1` against PostgreSQL: configs/slurm_array.sh exactly as the README
submits it. What is checked is what Slurm records for each task (state and exit code) and
what the store holds afterwards."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentlib import BIN, Project, wait_for
from slurmlib import cancel, require_slurm, submit, summary, task_states, wait_job

ROOT = Path(__file__).resolve().parent.parent.parent
ARRAY_SCRIPT = ROOT / "configs" / "slurm_array.sh"


@pytest.fixture
def cluster_project(tmp_path, pg_url):
    require_slurm()
    p = Project(tmp_path / "proj", store=pg_url)
    (tmp_path / "out").mkdir()
    return p


def _env(project: Project, sid: str, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(SWEEPER_STORE=project.store, SWEEP_ID=sid, PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.update(extra or {})
    return env


def _submit_array(project: Project, sid: str, tasks: str, extra_env: dict | None = None, *args) -> str:
    out = project.root.parent / "out"
    # The README's submission, less the GPU and memory requests the one-node test cluster cannot give.
    return submit(ARRAY_SCRIPT, f"--array={tasks}", f"--output={out}/%A_%a.out", "--time=10",
                  "--export=ALL", *args, env=_env(project, sid, extra_env), cwd=project.root)


def _by_task(tasks):
    return {t["array_task_id"]: (t["state"], t["exit_code"]) for t in tasks}


def _task_log(project: Project, task: dict) -> str:
    path = project.root.parent / "out" / f"{task['array_job_id']}_{task['array_task_id']}.out"
    return path.read_text() if path.exists() else "(no output file)"


def test_tasks_after_the_grid_is_used_up_complete_and_the_afterok_report_runs(cluster_project):
    p = cluster_project
    sid = p.sweep("program: probe.py\nmethod: grid\nmetric: {name: loss}\n"
                  "parameters:\n  x: {values: [1, 2, 3]}\n  lines: {value: 3}\n")
    array = _submit_array(p, sid, "0-4%2", {"PROBE_FAST": "1"})
    report = submit(None, f"--dependency=afterok:{array}", "--time=5", f"--output={p.root.parent}/out/report.out",
                    "--export=ALL", "--wrap", f"sweeper report {sid} -o {p.root}/report.html",
                    env=_env(p, sid), cwd=p.root)
    tasks = wait_job(array, timeout=180)
    assert _by_task(tasks) == {i: ("COMPLETED", 0) for i in range(5)}, summary(tasks)
    logs = [_task_log(p, t) for t in tasks]
    assert sum("done after 0 runs" in log for log in logs) == 2, logs  # the tasks that found nothing left
    (rep,) = wait_job(report, timeout=120)
    assert rep["state"] == "COMPLETED", summary([rep])
    assert (p.root / "report.html").stat().st_size > 100_000
    runs = p.open().runs(sid)
    assert sorted(r["grid_index"] for r in runs) == [0, 1, 2] and all(r["state"] == "finished" for r in runs)


def test_a_task_whose_program_crashes_is_failed_and_the_report_waits(cluster_project):
    p = cluster_project
    sid = p.sweep("program: probe.py\nmethod: grid\nparameters: {exit: {values: [0, 1, 0]}}\n")
    array = _submit_array(p, sid, "0-2%1", {"PROBE_FAST": "1"})
    report = submit(None, f"--dependency=afterok:{array}", "--time=5", "--export=ALL",
                    f"--output={p.root.parent}/out/report.out", "--wrap", "true", env=_env(p, sid), cwd=p.root)
    tasks = wait_job(array, timeout=180)
    states = _by_task(tasks)
    assert sorted(states.values()) == [("COMPLETED", 0), ("COMPLETED", 0), ("FAILED", 8)], summary(tasks)
    failed = next(t for t in tasks if t["state"] == "FAILED")
    assert "its run failed" in _task_log(p, failed)
    # afterok never runs the report after a failed task
    rep = wait_for(lambda: next((t for t in task_states(report) if t["reason"] == "DependencyNeverSatisfied"), None),
                   timeout=60, what="the report job to be held")
    assert rep["state"] == "PENDING"
    cancel(report)


def test_scancel_term_of_a_running_task_leaves_its_point_to_a_later_task(cluster_project):
    p = cluster_project
    # The first run holds on while the file `hold` exists; the runs after it are quick.
    p.write("hold", "")
    p.write("holding.py", "import os, sys, time\nprint('running', sys.argv[1:], flush=True)\n"
                          "while os.path.exists('hold'):\n    time.sleep(0.1)\n")
    sid = p.sweep("program: holding.py\nmethod: grid\nparameters:\n  x: {values: [1, 2, 3]}\n")
    array = _submit_array(p, sid, "0-3%1")
    store = p.open()
    first = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), timeout=90,
                     what="the first task's run to start")
    running = wait_for(lambda: next((t for t in task_states(array) if t["state"] == "RUNNING"), None),
                       timeout=30, what="the running task")
    time.sleep(1)
    cancel(running["id"], "TERM", scope="full", check=False)  # what preemption and `scancel --signal=TERM` do
    wait_for(lambda: store.get_run(first["id"])["state"] != "running", timeout=60, what="the run to end")
    (p.root / "hold").unlink()
    tasks = wait_job(array, timeout=240)
    states = _by_task(tasks)
    assert states[running["array_task_id"]] == ("FAILED", 143), summary(tasks)
    assert sorted(v for k, v in states.items() if k != running["array_task_id"]) == [("COMPLETED", 0)] * 3
    interrupted = store.get_run(first["id"])
    assert interrupted["state"] == "interrupted" and interrupted["superseded"] is True
    live = [r for r in store.runs(sid) if not r["superseded"]]
    assert sorted(r["grid_index"] for r in live) == [0, 1, 2] and all(r["state"] == "finished" for r in live)
    assert store.get_sweep(sid)["state"] == "finished"


def test_a_broken_program_stops_the_whole_array_at_the_failure_guard(cluster_project):
    p = cluster_project
    sid = p.sweep("program: probe.py\nmethod: random\nparameters: {exit: {value: 1}}\n")
    t0 = time.time()
    array = _submit_array(p, sid, "0-9%2", {"PROBE_FAST": "1"})
    tasks = wait_job(array, timeout=240)
    assert all(t["state"] == "FAILED" for t in tasks), summary(tasks)
    codes = [t["exit_code"] for t in tasks]
    runs = p.open().runs(sid)
    # three failed runs trip the guard (a fourth may have been in flight); every later task exits 6
    # at once, starting nothing
    assert 3 <= len(runs) <= 4, summary(tasks)
    assert codes.count(6) >= 10 - len(runs) and set(codes) <= {6, 8}, summary(tasks)
    assert p.open().get_sweep(sid)["state"] == "failing"
    late = [t for t in tasks if t["exit_code"] == 6][-1]
    assert "the sweep is failing" in _task_log(p, late) and "probe running" in _task_log(p, late)
    assert time.time() - t0 < 200
