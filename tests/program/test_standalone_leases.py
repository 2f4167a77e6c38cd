"""Standalone runs (sweeper.init() outside a sweep) that are killed do not stay `running`
(issue 15, item 3.5): SIGTERM is recorded before the program dies of it; after a SIGKILL (or a
stop longer than the lease) the next reader of the project's runs marks the run crashed."""

from __future__ import annotations

import signal
import time

import pytest

LOOP = """
    import sys, time, sweeper
    run = sweeper.init(config={"lr": 0.1}, project="plain")
    for i in range(100000):
        sweeper.log({"i": i})
        if i == 2:
            print(run.id, flush=True)
        time.sleep(0.05)
"""


def _started(proc) -> str:
    line = proc.stdout.readline().strip()
    assert line, proc.stderr.read()
    return line


def _wait_lines(place, run_id, n, seconds=10):
    deadline = time.monotonic() + seconds
    st = place.open()
    while st.get_run(run_id)["n_lines"] < n:
        assert time.monotonic() < deadline, "the run's metrics never reached the store"
        time.sleep(0.1)


def test_sigterm_is_recorded_then_the_program_dies_of_it(place):
    proc = place.popen("loop.py", LOOP)
    run_id = _started(proc)
    _wait_lines(place, run_id, 3)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == -signal.SIGTERM  # the default behaviour, re-raised
    run = place.open().get_run(run_id)
    assert run["state"] == "crashed" and run["signal"] == signal.SIGTERM and run["exit_code"] is None
    assert "killed by SIGTERM" in run["stop_reason"] and "did not fail on its own" in run["stop_reason"]
    assert run["n_lines"] >= 3 and run["ended_at"] is not None  # what it logged before is kept


def test_sigterm_chains_to_the_programs_own_handler(place):
    proc = place.popen("handler.py", """
        import signal, sys, time, sweeper
        def on_term(signum, frame):
            print("saving", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, on_term)
        run = sweeper.init(project="plain")
        print(run.id, flush=True)
        while True:
            sweeper.log({"x": 1})
            time.sleep(0.05)
    """)
    run_id = _started(proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 3 and proc.stdout.readline().strip() == "saving"
    run = place.open().get_run(run_id)
    assert run["state"] == "crashed" and run["signal"] == signal.SIGTERM


def test_a_program_that_survives_sigterm_finishes_normally(place):
    proc = place.popen("survive.py", """
        import signal, time, sweeper
        got = []
        signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
        run = sweeper.init(project="plain")
        print(run.id, flush=True)
        while not got:
            time.sleep(0.05)
        sweeper.log({"after": 1})
        sweeper.finish()
    """)
    run_id = _started(proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    run = place.open().get_run(run_id)
    assert run["state"] == "finished" and run["exit_code"] == 0 and run["summary"] == {"after": 1}


def test_sigkill_is_reaped_by_the_next_reader(place):
    proc = place.popen("loop.py", LOOP)
    run_id = _started(proc)
    _wait_lines(place, run_id, 3)
    proc.kill()
    proc.wait(10)
    # The store's read API writes nothing: the run is still recorded running...
    (state,) = [r["state"] for r in place.open().runs(project="plain")]
    assert state == "running"
    (row,) = place.runs_json("plain")  # `sweeper runs --project plain` looks: the pid is gone
    assert row["id"] == run_id and row["state"] == "crashed"
    run = place.open().get_run(run_id)
    assert run["state"] == "crashed" and "its process is gone" in run["stop_reason"] and run["n_lines"] >= 3


def _stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def test_a_stopped_program_loses_its_lease_and_a_live_one_keeps_it(place):
    # It stops itself when it is idle (its lines stored, between heartbeats), never in the
    # middle of a store write: a writer stopped holding SQLite's lock would stall every writer.
    stopped = place.popen("stopped.py", """
        import os, signal, time, sweeper
        run = sweeper.init(project="plain")
        sweeper.log({"i": 0})
        time.sleep(1.0)
        print(run.id, flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)
        for i in range(1, 100000):
            sweeper.log({"i": i})
            time.sleep(0.05)
    """)
    live = place.popen("live.py", LOOP, SWEEPER_HEARTBEAT_SECONDS="0.2")
    stopped_id, live_id = _started(stopped), _started(live)
    try:
        deadline = time.monotonic() + 10
        while not _stopped(stopped.pid):  # its pid is alive: only the heartbeat tells
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(2.5)
        rows = {r["id"]: r for r in place.runs_json("plain", SWEEPER_HEARTBEAT_TIMEOUT="2")}
        assert rows[stopped_id]["state"] == "crashed"
        assert rows[live_id]["state"] == "running"  # it heartbeat every 0.2 s
        assert "no heartbeat" in place.open().get_run(stopped_id)["stop_reason"]
        # Back from its stop, the program goes on; the store keeps its verdict and the program
        # says so instead of failing.
        stopped.send_signal(signal.SIGCONT)
        time.sleep(4.0)  # its next heartbeat learns it
        assert stopped.poll() is None
    finally:
        for p in (stopped, live):
            p.send_signal(signal.SIGCONT)
            p.send_signal(signal.SIGTERM)
            p.wait(20)
    st = place.open()
    assert st.get_run(stopped_id)["state"] == "crashed" and st.get_run(stopped_id)["n_lines"] == 1
    assert st.get_run(live_id)["signal"] == signal.SIGTERM
    assert "was marked crashed by the store" in stopped.stderr.read()


def test_forked_worker_of_the_program_records_nothing(place):
    """A fork of the program (a DataLoader worker) that gets SIGTERM or exits leaves the run alone."""
    proc = place.popen("fork.py", """
        import os, signal, time, sweeper
        run = sweeper.init(project="plain")
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        pid = os.fork()
        if pid == 0:
            raise SystemExit(0)  # a worker that exits the normal way: atexit runs in it
        os.waitpid(pid, 0)
        print(run.id, flush=True)
        sweeper.log({"x": 1})
        sweeper.finish()
    """)
    run_id = _started(proc)
    assert proc.wait(20) == 0, proc.stderr.read()
    run = place.open().get_run(run_id)
    assert run["state"] == "finished" and run["n_lines"] == 1


@pytest.mark.parametrize("how", ["exit", "exception"])
def test_a_run_that_ends_by_itself_is_not_reaped(place, how):
    body = "raise SystemExit(0)" if how == "exit" else "raise ValueError('x')"
    proc = place.python("ends.py", f"""
        import sweeper
        sweeper.init(project="plain")
        sweeper.log({{"x": 1}})
        {body}
    """)
    (row,) = place.runs_json("plain")
    assert row["state"] == ("finished" if how == "exit" else "failed"), proc.stderr


@pytest.mark.postgres
def test_sigkill_is_reaped_on_postgres(place, pg_url):
    proc = place.popen("loop.py", LOOP, SWEEPER_STORE=pg_url)
    run_id = _started(proc)
    proc.kill()
    proc.wait(10)
    (row,) = place.runs_json("plain", SWEEPER_STORE=pg_url)
    assert row["id"] == run_id and row["state"] == "crashed"
