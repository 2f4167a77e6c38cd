"""Faults: agents killed at random moments, a PostgreSQL restart, a store that cannot be written."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from agentlib import Project, pid_alive, wait_for

GRID = """
program: probe.py
method: grid
metric: {name: loss}
parameters:
  a: {min: 1, max: 12}
  b: {min: 1, max: 10}
  lines: {value: 3}
  sleep: {values: [0.05, 0.3]}
"""
POINTS = 12 * 10 * 2


def chaos(project: Project, sid: str, agents: int = 8, kills: int = 12, seed: int = 7):
    rng = random.Random(seed)
    procs = [project.start_agent(sid, "--output", "none") for _ in range(agents)]
    killed = 0
    while killed < kills:
        time.sleep(rng.uniform(0.1, 0.6))
        alive = [p for p in procs if p.poll() is None]
        if not alive:
            break
        victim = rng.choice(alive)
        if rng.random() < 0.7:  # mostly agents caught with a run going, else any moment
            busy = _agents_with_running_runs(project, sid)
            candidates = [p for p in alive if p.pid in busy]
            if candidates:
                victim = rng.choice(candidates)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed += 1
        procs.append(project.start_agent(sid, "--output", "none"))
    for p in procs:
        p.wait(300)
    # Whatever the killed agents left (crashed points) is picked up by one more agent.
    final = project.agent(sid, "--output", "none", timeout=300)
    assert final.returncode == 0, final.stderr
    return killed


def _agents_with_running_runs(project: Project, sid: str) -> set[int]:
    from sqlalchemy import select
    from sweeper.store.tables import agents, runs

    store = project.open()
    try:
        q = (select(agents.c.pid).select_from(runs.join(agents, agents.c.id == runs.c.agent_id))
             .where(runs.c.sweep_id == sid, runs.c.state == "running"))
        return set(store._tx(lambda c: [pid for (pid,) in c.execute(q)], write=False))
    finally:
        store.dispose()


def check_consistent(project: Project, sid: str):
    store = project.open()
    runs = store.runs(sid)
    live = [r for r in runs if not r["superseded"]]
    # every grid point run exactly once, none skipped
    assert sorted(r["grid_index"] for r in live) == list(range(POINTS))
    assert all(r["state"] == "finished" for r in live), {r["state"] for r in live}
    # what was superseded had crashed with its agent
    assert all(r["state"] == "crashed" for r in runs if r["superseded"])
    # no program outlived its agent
    assert not [r["pid"] for r in runs if r["pid"] and pid_alive(r["pid"])]
    # every metric line that a finished run wrote is in the store
    for r in live:
        assert r["n_lines"] == 3 and len(store.metric_rows(r["id"])) == 3
    assert store.get_sweep(sid)["state"] == "finished"
    return runs


@pytest.mark.slow
def test_random_sigkills_lose_nothing(tmp_path, store_url):
    project = Project(tmp_path / "chaos", store=store_url)
    sid = project.sweep(GRID)
    killed = chaos(project, sid)
    runs = check_consistent(project, sid)
    assert killed >= 8
    assert any(r["superseded"] for r in runs)  # some runs really were caught mid-flight


@pytest.mark.postgres
def test_postgres_restart_while_agents_run(tmp_path, pg_url):
    ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", sorted(os.listdir("/etc/postgresql"))[-1], "main"]
    project = Project(tmp_path / "pgr", store=pg_url)
    sid = project.sweep("""
program: probe.py
method: grid
parameters:
  a: {min: 1, max: 40}
  sleep: {value: 0.1}
  lines: {value: 2}
""")
    agents = [project.start_agent(sid, "--output", "none", env={"SWEEPER_STORE_TIMEOUT": "60"}) for _ in range(3)]
    store = project.open()
    wait_for(lambda: len(store.runs(sid)) >= 6, what="some runs")
    subprocess.run(ctl + ["restart"], check=True, capture_output=True)
    outs = [(a.wait(240), a.stderr.read()) for a in agents]
    assert all(code == 0 for code, _ in outs), outs
    final = project.agent(sid, "--output", "none", timeout=240)
    assert final.returncode == 0, final.stderr
    runs = [r for r in project.open().runs(sid) if not r["superseded"]]
    assert sorted(r["grid_index"] for r in runs) == list(range(40))
    assert all(r["state"] == "finished" and r["n_lines"] == 2 for r in runs)


def test_password_never_shown(tmp_path):
    project = Project(tmp_path / "pw", store="postgresql://someone:s3cretpw@127.0.0.1:1/nowhere")
    proc = project.cli("sweeps", env={"SWEEPER_STORE_TIMEOUT": "1"}, timeout=60)
    assert proc.returncode != 0
    assert "s3cretpw" not in proc.stdout + proc.stderr
    assert "someone:***@127.0.0.1:1/nowhere" in proc.stderr


def query(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()  # a file left open would keep the filesystem busy


@pytest.fixture
def small_disk(tmp_path):
    """A real, tiny filesystem (tmpfs) to fill up or make read-only; needs root and mount."""
    where = tmp_path / "disk"
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {proc.stderr.strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_read_only_store_is_a_clear_error_and_nothing_is_lost(tmp_path, small_disk):
    project = Project(tmp_path / "ro", store=str(small_disk / "sweeper.db"))
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3]}, lines: {value: 2}}\n")
    assert project.agent(sid, "--count", "1").returncode == 0
    db = project.store
    before = query(db, "SELECT id, state, n_lines FROM runs")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        proc = project.agent(sid, "--count", "1")
        assert proc.returncode == 1, proc.stderr
        assert "read-only" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT id, state, n_lines FROM runs") == before


def test_full_disk_is_a_clear_error_and_nothing_is_lost(tmp_path, small_disk):
    project = Project(tmp_path / "full", store=str(small_disk / "sweeper.db"))
    sid = project.sweep("program: probe.py\nmethod: grid\nparameters: {x: {values: [1, 2, 3]}, lines: {value: 2}}\n")
    assert project.agent(sid, "--count", "1").returncode == 0
    db = project.store
    before = query(db, "SELECT id, state, n_lines FROM runs")
    with open(small_disk / "filler", "wb", buffering=0) as f:  # every byte left; unbuffered: close() has nothing to flush
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    proc = project.agent(sid, "--count", "1")
    assert proc.returncode == 1, proc.stderr
    assert ("No space left" in proc.stderr or "full" in proc.stderr) and "Traceback" not in proc.stderr
    os.remove(small_disk / "filler")
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT id, state, n_lines FROM runs")[:len(before)] == before
