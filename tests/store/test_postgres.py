"""Every command against a postgresql:// store, and an agent that loses its store."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from agentlib import Project, pid_alive, wait_for

pytestmark = pytest.mark.postgres


def test_every_command_on_postgres(tmp_path, pg_url):
    project = Project(tmp_path / "p", store=pg_url)
    sid = project.sweep("""
program: probe.py
method: grid
metric: {name: loss}
parameters:
  loss: {values: [2.0, 1.0, 3.0]}
  lines: {value: 2}
""")
    assert project.agent(sid, "--count", "2").returncode == 0
    st = project.status(sid)
    assert st["progress"]["grid_done"] == 2 and st["best"]["params"]["loss"] == 1.0
    assert "loss: 1.0" in project.cli("best", sid, check=True).stdout
    assert "probe running" in project.cli("logs", st["best"]["id"], check=True).stdout
    assert sid in project.cli("sweeps", check=True).stdout
    for verb, state in (("pause", "paused"), ("resume", "running"), ("stop", "finished")):
        out = project.cli(verb, sid, check=True).stdout
        assert f"now {state}" in out
    sid2 = project.sweep("program: probe.py\nmethod: random\nparameters: {x: {value: 1}}\n")
    assert "now canceled" in project.cli("cancel", sid2, check=True).stdout
    assert project.agent(sid2).returncode == 5
    # metrics are in the database, readable from anywhere
    store = project.open()
    best = store.get_run(st["best"]["id"])
    assert [json.loads(m["data"])["step"] for m in store.metric_rows(best["id"])] == [0, 1]


def test_agent_that_loses_the_store_stops_its_run_and_says_why(tmp_path, pg_url):
    ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", sorted(os.listdir("/etc/postgresql"))[-1], "main"]
    project = Project(tmp_path / "lost", store=pg_url)
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 120}}\n")
    agent = project.start_agent(sid, env={"SWEEPER_STORE_TIMEOUT": "3", "SWEEPER_HEARTBEAT_SECONDS": "0.5"})
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    wait_for(lambda: pid_alive(run["pid"]), what="program to start")
    subprocess.run(ctl + ["stop"], check=True, capture_output=True)
    try:
        code = agent.wait(60)
        err = agent.stderr.read()
    finally:
        subprocess.run(ctl + ["start"], check=True, capture_output=True)
        wait_for(lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0, timeout=60,
                 what="PostgreSQL back")
    assert code == 7, err
    assert "lost the store" in err and "Traceback" not in err
    assert not pid_alive(run["pid"])
    # Its result was never stored, so it is not reported finished; the next look marks it crashed.
    time.sleep(0.5)
    after = project.open().get_run(run["id"])
    assert after["state"] == "running"
    st = project.status(sid)
    assert st["runs"][0]["state"] == "crashed"
