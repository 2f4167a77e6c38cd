"""The program's side of a run under stress: a flood of output, a full disk, daemons that
escape the process group, a metrics file truncated or replaced, metric lines that choke
a JSON parser. Real `sweeper` executable, real SQLite store, real child programs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from agentlib import Project, pid_alive, wait_for


def one_run(project: Project, program: str, *args, timeout=60, params="{x: {value: 1}}", metric=True):
    sid = project.sweep(f"program: {program}\nmethod: random\n"
                        + ("metric: {name: loss}\n" if metric else "") + f"parameters: {params}\n")
    t0 = time.time()
    proc = project.agent(sid, "--count", "1", *args, timeout=timeout)
    took = time.time() - t0
    (run,) = project.open().runs(sid)
    return proc, run, took


def run_pids(run_id: str) -> list[int]:
    """Live processes whose environment says they belong to run_id."""
    needle = f"SWEEPER_RUN_ID={run_id}\0".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            env = b"\0" + Path(f"/proc/{name}/environ").read_bytes()
        except OSError:
            continue
        if b"\0" + needle in env and pid_alive(int(name)):
            found.append(int(name))
    return found


def zombie_children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == pid:
            found.append(int(name))
    return found


# ---- output: speed, every byte, whole last lines, prefixes ------------------------------

FLOOD = """
import sys
out = sys.stdout.buffer
for i in range(100_000):
    out.write(b"line %06d " % i + b"x" * 67 + b"\\n")   # 80 bytes a line: 8,000,000 bytes
out.flush()
"""


def test_output_is_read_at_pipe_speed_and_logged_whole(project):
    project.write("flood.py", FLOOD)
    proc, run, _ = one_run(project, "flood.py")
    assert proc.returncode == 0, proc.stderr
    assert run["state"] == "finished"
    # Bare, this program takes ~0.07 s; read a byte per system call it took ~10 s.
    assert run["ended_at"] - run["started_at"] < 2.0
    expected = b"".join(b"line %06d " % i + b"x" * 67 + b"\n" for i in range(100_000))
    assert (Path(run["run_dir"]) / "output.log").read_bytes() == expected
    assert proc.stdout.encode() == expected  # the echo got every byte too


def test_last_lines_are_whole_lines_after_a_flood(project):
    project.write("crash.py", """
import sys
for i in range(100_000):
    print(f"line {i}", flush=(i % 1000 == 0))
sys.stdout.write("last words without a newline")
sys.exit(3)
""")
    proc, run, _ = one_run(project, "crash.py", "--output", "none")
    assert proc.returncode == 8, proc.stderr
    assert run["state"] == "failed" and run["exit_code"] == 3
    assert run["error"].split("\n") == [f"line {i}" for i in range(99_981, 100_000)] + [
        "last words without a newline"]
    assert "last output:\n    line 99996\n" in proc.stderr


def test_prefixed_output_of_side_by_side_runs_keeps_its_lines_whole(project):
    # Unbuffered prints arrive in pieces (the text, then its newline), and two runs write at once.
    project.write("talk.py", """
import os, sys
run = os.environ["SWEEPER_RUN_ID"]
for i in range(3000):
    sys.stdout.write(f"{run} says")
    sys.stdout.flush()
    sys.stdout.write(f" {i}\\n")
    sys.stdout.flush()
sys.stdout.write(f"{run} ends")
""")
    sid = project.sweep("program: talk.py\nmethod: random\nparameters: {x: {value: 1}}\n")
    proc = project.agent(sid, "--gpus", "0,1", "--count", "2")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    pattern = re.compile(r"\[(\w+)\] (\w+) (says (\d+)|ends)")
    seen: dict[str, list] = {}
    for line in lines:
        m = pattern.fullmatch(line)
        assert m and m.group(1) == m.group(2), f"a mixed or cut line: {line!r}"
        seen.setdefault(m.group(1), []).append(m.group(4))
    assert len(seen) == 2
    for said in seen.values():
        assert said == [str(i) for i in range(3000)] + [None]


# ---- a full disk ----------------------------------------------------------------------


@pytest.fixture
def small_disk(project):
    """The store's run folders on a 1 MiB tmpfs."""
    runs = Path(project.store).parent / "runs"
    runs.mkdir(parents=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(runs)],
                           capture_output=True, text=True, check=False)
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (root is needed): {mount.stderr.strip()}")
    yield runs
    subprocess.run(["umount", "-l", str(runs)], check=False)


def test_a_full_disk_cuts_the_log_not_the_run(project, small_disk):
    project.write("talky.py", """
import sys
out = sys.stdout.buffer
for i in range(50_000):
    out.write(b"%05d " % i + b"y" * 93 + b"\\n")   # 5,000,000 bytes
out.flush()
print("the end", flush=True)
""")
    proc, run, took = one_run(project, "talky.py", timeout=60, metric=False)
    assert proc.returncode == 0, proc.stderr
    assert took < 15, "the agent hung on a full disk"
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert run["state"] == "finished" and run["exit_code"] == 0
    assert "output.log was cut at" in run["stop_reason"] and "No space left on device" in run["stop_reason"]
    log = Path(run["run_dir"]) / "output.log"
    assert 0 < log.stat().st_size <= 1 << 20
    assert proc.stdout.count("[sweeper] could not write this run's output.log") == 1
    assert proc.stdout.rstrip().endswith("the end")  # the program was never blocked on its pipe


# ---- descendants that escape the group --------------------------------------------------

DAEMON = """
import os, sys, time
run_dir = os.environ["SWEEPER_RUN_DIR"]
pid_file = os.path.join(run_dir, "daemon.pid")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:          # the daemon: keeps the run's stdout, as a careless one does
        if os.fork() == 0:      # and has a child of its own
            time.sleep(120)
            os._exit(0)
        with open(pid_file + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(pid_file + ".tmp", pid_file)
        print("daemon up", flush=True)
        time.sleep(120)
        os._exit(0)
    os._exit(0)                 # never waited for: a zombie, then an orphan
while not os.path.exists(pid_file):
    time.sleep(0.01)
print("started a daemon", flush=True)
sleep = float(sys.argv[1].split("=")[1]) if len(sys.argv) > 1 else 0
time.sleep(sleep)
"""


def test_a_daemonized_grandchild_ends_with_its_run(project):
    project.write("daemon.py", DAEMON)
    # Two runs: the first leaves a daemon and exits; while the second sleeps, the first's
    # processes are gone and the agent holds no zombie of them.
    sid = project.sweep("program: daemon.py\nmethod: grid\nparameters: {sleep: {values: [0, 4]}}\n")
    agent = project.start_agent(sid, "--count", "2")
    store = project.open()
    wait_for(lambda: len(store.runs(sid)) == 2, timeout=30, what="the second run")
    first = min(store.runs(sid), key=lambda r: r["number"])
    assert first["state"] == "finished"
    assert first["ended_at"] - first["started_at"] < 2.5  # not 5 s waiting for the daemon's stdout
    daemon = int((Path(first["run_dir"]) / "daemon.pid").read_text())
    assert not pid_alive(daemon)
    assert run_pids(first["id"]) == []
    second = max(store.runs(sid), key=lambda r: r["number"])
    # The run's row comes with its claim, its folder when it starts: read it again until both.
    wait_for(lambda: (folder := store.get_run(second["id"])["run_dir"]) and (Path(folder) / "daemon.pid").exists(),
             what="the second daemon")
    time.sleep(0.3)
    assert zombie_children(agent.pid) == []
    assert agent.wait(30) == 0, agent.stderr.read()
    second = store.get_run(second["id"])
    assert second["state"] == "finished" and run_pids(second["id"]) == []
    assert second["ended_at"] - second["started_at"] < 4 + 2.5


def test_daemons_of_a_killed_agent_are_ended_by_its_reaper(project):
    project.write("daemon.py", DAEMON)
    sid = project.sweep("program: daemon.py\nmethod: random\nparameters: {sleep: {value: 60}}\n")
    agent = project.start_agent(sid)
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    pid_file = Path(run["run_dir"]) / "daemon.pid"
    wait_for(pid_file.exists, what="the daemon to start")
    daemon = int(pid_file.read_text())
    assert len(run_pids(run["id"])) == 3  # the program, the daemon, the daemon's child
    agent.kill()  # SIGKILL: the agent does nothing more; its reaper sees the pipe close
    agent.wait(10)
    wait_for(lambda: not pid_alive(daemon), timeout=10, what="the daemon to die with its agent")
    wait_for(lambda: run_pids(run["id"]) == [], timeout=10, what="every process of the run to die")


# ---- the metrics file -------------------------------------------------------------------

TRUNCATE = """
import json, os, time
p = os.environ["SWEEPER_METRICS"]
MODE = {mode!r}
first = [json.dumps({{"step": i, "loss": 10.0 - i}}) + "\\n" for i in range(5)]
later = [json.dumps({{"step": 5 + i, "loss": 4.0 - i * 0.5}}) + "\\n" for i in range(6)]
with open(p, "a") as f:
    f.writelines(first)
time.sleep(0.5)                         # the agent reads them (it looks every 20 ms)
if MODE == "truncate":                  # reopened with "w": the same file, cut to nothing
    with open(p, "w") as f:
        f.writelines(later)
else:                                   # another file renamed over it
    with open(p + ".new", "w") as f:
        f.writelines((first if MODE == "replace-with-history" else []) + later)
    os.replace(p + ".new", p)
"""


@pytest.mark.parametrize("mode", ["truncate", "replace", "replace-with-history"])
def test_a_truncated_or_replaced_metrics_file_loses_no_line(project, mode):
    project.write("rewrite.py", TRUNCATE.format(mode=mode))
    proc, run, _ = one_run(project, "rewrite.py")
    assert proc.returncode == 0, proc.stderr
    rows = project.open().metric_rows(run["id"])
    assert [json.loads(r["data"])["step"] for r in rows] == list(range(11))  # none lost, none twice
    assert [r["seq"] for r in rows] == list(range(11))  # seq goes on counting after the rewrite
    assert run["n_lines"] == 11 and run["malformed"] == 0 and run["state"] == "finished"
    assert run["best_value"] == 1.5 and run["best_step"] == 10  # its seq: the lines have no _step
    assert [r["miter"] for r in rows] == list(range(1, 12))
    log = (Path(run["run_dir"]) / "output.log").read_text()
    note = "[sweeper] the metrics file was truncated or replaced; reading it from the start"
    assert log.count(note) == (0 if mode == "replace-with-history" else 1)


DEEP = """
import json, os
with open(os.environ["SWEEPER_METRICS"], "a") as f:
    f.write(json.dumps({"step": 0, "loss": 2.0}) + "\\n")
    f.write('{"step": 1, "loss": 0.1, "deep": ' + "[" * 1000 + "]" * 1000 + "}\\n")
    f.write(json.dumps({"step": 2, "loss": 1.0}) + "\\n")
"""


def test_a_metric_line_nested_1000_deep_is_malformed_not_fatal(project):
    project.write("deep.py", DEEP)
    proc, run, _ = one_run(project, "deep.py")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert run["state"] == "finished"
    rows = project.open().metric_rows(run["id"])
    assert [json.loads(r["data"])["step"] for r in rows] == [0, 2]
    assert run["malformed"] == 1 and run["n_lines"] == 2 and run["best_value"] == 1.0


def test_huge_numbers_and_deep_but_parsable_lines(project):
    project.write("odd.py", """
import os
nest = lambda d: "[" * d + "]" * d
with open(os.environ["SWEEPER_METRICS"], "a") as f:
    f.write('{"step": 0, "loss": 1' + "0" * 400 + '}\\n')      # an int no float can hold
    f.write('{"step": 1, "loss": 3.0, "deep": ' + nest(150) + '}\\n')   # parses, but too deep to keep
    f.write('{"step": 2, "loss": 2.0, "deep": ' + nest(50) + '}\\n')
    f.write('{"step": 3, "loss": 1e999, "acc": -1e999}\\n')        # infinities by overflow
""")
    proc, run, _ = one_run(project, "odd.py")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and run["state"] == "finished"
    rows = project.open().metric_rows(run["id"])
    assert [json.loads(r["data"])["step"] for r in rows] == [0, 2, 3]
    assert [r["mval"] for r in rows] == [None, 2.0, None]
    assert run["malformed"] == 1 and run["best_value"] == 2.0
    assert run["summary"]["acc"] == float("-inf") and run["summary"]["step"] == 3


def test_signals_still_reach_the_program_group(project):
    """The subreaper and the descendant sweep change nothing for a program stopped by Ctrl+C."""
    sid = project.sweep("program: probe.py\nmethod: random\nparameters: {sleep: {value: 30}, spawn: {value: 1}}\n")
    agent = project.start_agent(sid)
    store = project.open()
    run = wait_for(lambda: next((r for r in store.runs(sid) if r["pid"]), None), what="run to start")
    probe = Path(run["run_dir"]) / "probe.json"
    wait_for(probe.exists, what="probe to start")
    grandchild = json.loads(probe.read_text())["grandchild"]
    agent.send_signal(signal.SIGINT)
    assert agent.wait(20) == 130
    assert store.get_run(run["id"])["state"] == "interrupted"
    assert not pid_alive(grandchild) and run_pids(run["id"]) == []


def test_a_forked_function_is_reaped_once_while_a_stop_polls_it(tmp_path):
    """sweeper.agent(function=...): the launcher waits for the run while a stop (hyperband, a
    signal) polls it from another thread; whichever reaps it, neither fails with ECHILD
    ("No child processes") and both see the run's exit status."""
    import threading
    import time as _time

    from sweeper.agents.child import ForkedFunction

    def train():
        _time.sleep(0.2)
        raise SystemExit(3)

    for _ in range(5):
        run = ForkedFunction(train, dict(os.environ), str(tmp_path))
        errors, seen = [], []
        done = threading.Event()

        def stop_thread():
            try:
                while not done.is_set():
                    code = run.poll()
                    if code is not None:
                        seen.append(code)
                        return
            except BaseException as exc:  # noqa: BLE001 - what the test looks for
                errors.append(exc)

        poller = threading.Thread(target=stop_thread)
        poller.start()
        try:
            code = run.wait()
        finally:
            done.set()
            poller.join()
            run.stdout.close()
        assert errors == [] and code == 3 and seen in ([3], [])
