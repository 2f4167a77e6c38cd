"""Faults slower than a kill (issue 14): a store that stops answering for longer than the
heartbeat timeout, an SQLite write lock held by another process, an agent stopped past its
lease, a host cut off from the database. Each asserts docs/reliability.md's invariant: every
grid point finished exactly once, never two runs of one point at the same time, no orphaned
program."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from agentlib import Project, env_for, exe, pid_alive, probe_running, wait_for
from faultlib import FreezableProxy, Host, assert_each_point_once, netns_reason

# Leases short enough for a test: judged after 6 s without a heartbeat, renewed every 0.5 s.
FAST = {"SWEEPER_HEARTBEAT_TIMEOUT": "6", "SWEEPER_HEARTBEAT_SECONDS": "0.5", "SWEEPER_STORE_TIMEOUT": "120"}


def grid(points: int, sleep: float) -> str:
    return (f"program: probe.py\nmethod: grid\nmetric: {{name: loss}}\nparameters:\n"
            f"  i: {{min: 1, max: {points}}}\n  sleep: {{value: {sleep}}}\n  lines: {{value: 3}}\n")


def _run_agents(project: Project, sid: str, n: int, env: dict, during=None, timeout: float = 240):
    procs = [project.start_agent(sid, "--output", "none", env=env) for _ in range(n)]
    if during is not None:
        during()
    codes = [p.wait(timeout) for p in procs]
    errs = [p.stderr.read() for p in procs]
    return codes, errs


def test_an_sqlite_write_lock_held_past_the_heartbeat_timeout_runs_nothing_twice(tmp_path):
    project = Project(tmp_path / "proj")
    sid = project.sweep(grid(24, 1.0))
    store = project.open()

    def hold_the_lock():
        wait_for(lambda: len(store.runs(sid)) >= 4, timeout=60, what="runs to start")
        conn = sqlite3.connect(project.store, timeout=60, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(14)  # more than twice the heartbeat timeout
        conn.execute("COMMIT")
        conn.close()

    codes, errs = _run_agents(project, sid, 4, FAST, during=hold_the_lock)
    assert codes == [0, 0, 0, 0], errs
    counts = assert_each_point_once(store, sid, 24)
    assert counts == {"finished": 24}, counts  # nobody was taken for dead


@pytest.mark.postgres
def test_a_postgresql_that_stops_answering_past_the_heartbeat_timeout_runs_nothing_twice(tmp_path, pg_url):
    proxy = FreezableProxy(("127.0.0.1", 5432))
    url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    project = Project(tmp_path / "proj", store=url)
    try:
        sid = project.sweep(grid(24, 1.0))
        store = Project(tmp_path / "direct", store=pg_url).open()

        def outage():
            wait_for(lambda: len(store.runs(sid)) >= 4, timeout=60, what="runs to start")
            proxy.freeze()
            time.sleep(14)
            proxy.thaw()

        codes, errs = _run_agents(project, sid, 4, FAST, during=outage)
        assert codes == [0, 0, 0, 0], errs
        counts = assert_each_point_once(store, sid, 24)
        assert counts == {"finished": 24}, counts
    finally:
        proxy.close()


def _group_of(pid: int) -> int:
    return os.getpgid(pid)


def test_an_agent_stopped_past_its_lease_records_nothing_over_the_run_that_replaced_it(tmp_path):
    """SIGSTOP of the agent and its program (a suspended laptop): another agent takes the point
    over once the lease runs out; when the stopped one wakes up it kills its program, records
    nothing, and the point is finished once."""
    project = Project(tmp_path / "proj")
    sid = project.sweep(grid(4, 4.0))
    store = project.open()
    # In a session of its own, so that stopping its group stops nothing else.
    sleeper = subprocess.Popen([exe(), "agent", sid, "--output", "none"], cwd=project.root,
                               env=env_for(project.store, FAST), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    run = probe_running(store, sid)
    groups = {_group_of(sleeper.pid), _group_of(run["pid"])}
    assert os.getpgid(0) not in groups
    for group in groups:
        os.killpg(group, signal.SIGSTOP)
    try:
        time.sleep(7.5)  # past the 6 s lease
        other = project.agent(sid, "--output", "none", env=FAST, timeout=120)
        assert other.returncode == 0, other.stderr
    finally:
        for group in groups:
            os.killpg(group, signal.SIGCONT)
    assert sleeper.wait(60) == 0
    err = sleeper.stderr.read()
    assert "is no longer this agent's" in err and "was not recorded" in err, err
    old = store.get_run(run["id"])
    assert old["state"] == "crashed" and old["superseded"] is True
    assert not pid_alive(run["pid"])
    assert_each_point_once(store, sid, 4)


@pytest.mark.postgres
def test_a_host_cut_off_from_the_database_loses_its_run_to_another_host(tmp_path, pg_url):
    """Two agents on two hosts (network namespaces with their own hostnames) reach PostgreSQL
    through a proxy on their veth links. One host is cut off (its link down) for longer than the
    lease: the other host re-runs its point; healed, the cut-off agent learns its lease is gone,
    kills its program and records nothing."""
    reason = netns_reason()
    if reason:
        pytest.skip(reason)
    hosts = [Host(1), Host(2)]
    proxies = [FreezableProxy(("127.0.0.1", 5432), host=h.gateway) for h in hosts]
    try:
        base = Project(tmp_path / "proj", store=pg_url)
        sid = base.sweep(grid(6, 3.0))
        store = base.open()
        agents = []
        for i, (h, px) in enumerate(zip(hosts, proxies)):
            url = pg_url.replace("127.0.0.1:5432", f"{h.gateway}:{px.port}")
            env = env_for(url, FAST)
            agents.append(subprocess.Popen(h.command([exe(), "agent", sid, "--output", "none"], hostname=f"host{i}"),
                                           cwd=base.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True))
        first = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"] and r["host"] == "host0"), None),
                         timeout=60, what="a run on host0")
        hosts[0].cut()
        time.sleep(10)  # past the lease: host1 takes host0's point over
        hosts[0].heal()
        codes = [a.wait(180) for a in agents]
        errs = [a.stderr.read() for a in agents]
        assert codes[1] == 0, errs[1]
        assert codes[0] in (0, 7), errs[0]  # it may give up on the store, or finish the rest
        old = store.get_run(first["id"])
        assert old["state"] == "crashed" and old["superseded"] is True, old
        assert not pid_alive(first["pid"])
        if codes[0] != 0:  # whatever host0 left, one more agent finishes
            again = base.agent(sid, "--output", "none", env=FAST, timeout=120)
            assert again.returncode == 0, again.stderr
        assert_each_point_once(store, sid, 6)
    finally:
        for px in proxies:
            px.close()
        for h in hosts:
            h.remove()
