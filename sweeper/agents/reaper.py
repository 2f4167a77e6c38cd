"""A watchman that outlives its agent by a moment, to take the agent's runs down with it;
and the code that finds every process a run started, wherever it went.

Each run is a process group. The kernel kills the run's first process when the agent
dies (PR_SET_PDEATHSIG), but not what that process started (a shell script's python, a
data loader's workers), and a daemon that called setsid() has left the group and the
session. What every descendant keeps, through setsid and double forks, is its
environment: SWEEPER_RUN_ID, which the agent gives each run's program. So a run's
processes are those whose /proc/PID/environ holds that marker, plus those still in the
program's session (which also catches a descendant that cleared its environment but did
not setsid).

The agent starts one reaper, tells it on a pipe which runs are going (+PGID RUN_ID /
-PGID lines), and when the pipe closes, because the agent exited or was killed even by
SIGKILL, the reaper kills every group still listed and every process of those runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

MARKER = b"SWEEPER_RUN_ID="
KILL_SECONDS = 3.0  # how long to keep killing a run's processes (each kill is immediate)


def processes(first_pid: int | None = None):
    """(pid, ppid, state, session, start time in clock ticks) of every process in /proc that can
    be read; with first_pid, only of those whose pid is first_pid or later, unless pids have
    wrapped around since (then of all): a process started after first_pid's has a higher pid
    until the kernel's pids wrap, which needs pid_max (32,768 to 4,194,304) forks."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    if first_pid is not None and last_pid() < first_pid:
        first_pid = None
    for name in names:
        if name.isdigit() and (first_pid is None or int(name) >= first_pid):
            yield from _stat(int(name))


def last_pid() -> int:
    """The pid the kernel gave last (the last field of /proc/loadavg); 0 if unknown."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().rsplit(None, 1)[-1])
    except (OSError, ValueError, IndexError):
        return 0


def _stat(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        # the command name (2nd field) may hold spaces and parentheses: split after the last ')'
        fields = data[data.rindex(b")") + 2:].split()
        yield pid, int(fields[1]), fields[0], int(fields[3]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return  # it ended while we looked, or it is not ours to read


def started(pid: int) -> int:
    """The process's start time (clock ticks since boot); 0 if it cannot be read."""
    proc = next(_stat(pid), None)
    return proc[4] if proc else 0


def run_marker(pid: int) -> bytes | None:
    """The SWEEPER_RUN_ID in the process's environment as it was at its exec (None: it has
    none, or it cannot be read: gone, a zombie, another user's)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = b"\0" + f.read()
    except OSError:
        return None
    start = env.find(b"\0" + MARKER)
    if start < 0:
        return None
    start += len(MARKER) + 1
    end = env.find(b"\0", start)
    return env[start:] if end < 0 else env[start:end]


def kill_run(run_id: str | None, session: int | None, exclude=(), since: int = 0,
             seconds: float = KILL_SECONDS, first_pid: int | None = None) -> dict:
    """SIGKILL every live process of a run, again and again until none is left (a process
    may fork while we look; a killed parent's children show up reparented). A process is the
    run's if it carries the run's marker, or if it is in the program's session (or in a
    session one of the marked processes is in) and carries no other run's marker (so a pid
    reused by another run's program cannot pull that run in). Only processes started since
    the program did (`since`, its start time) are looked at: the others cannot be its
    descendants, and the environment of each is not read for nothing; `first_pid` (the
    program's pid, for a run short enough that pids cannot have wrapped twice) spares even
    reading the others' start times. Returns {pid: (ppid, session)}
    of the run's processes, zombies included, for the caller to reap its own children."""
    exclude = set(exclude) | {os.getpid()}
    mine = run_id.encode() if run_id else None
    sessions = {session} if session is not None else set()
    seen: dict[int, tuple] = {}
    deadline = time.monotonic() + seconds
    while True:
        live = 0
        for pid, ppid, state, sid, start in processes(first_pid):
            if pid in exclude or start < since:
                continue
            if state == b"Z":  # dead already; its environment is gone, its session is not
                if sid in sessions:
                    seen[pid] = (ppid, sid)
                continue
            marker = run_marker(pid)
            if not ((mine is not None and marker == mine) or (marker is None and sid in sessions)):
                continue
            if marker is not None:
                sessions.add(sid)
            seen[pid] = (ppid, sid)
            live += 1
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            except PermissionError:
                exclude.add(pid)  # not ours to kill; do not spin on it
        if not live or time.monotonic() > deadline:
            return seen
        time.sleep(0.01)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the agent's to handle
    runs: dict[int, tuple] = {}  # pgid -> its run's id, and when its program started
    for line in sys.stdin:
        sign, _, run_id = line.strip().partition(" ")
        if sign[:1] in "+-" and sign[1:].isdigit():
            if sign[0] == "+":
                pgid = int(sign[1:])
                runs[pgid] = (run_id or None, started(pgid))
            else:
                runs.pop(int(sign[1:]), None)
    for pgid in runs:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    # Then what left the groups: daemons (setsid, double fork) that still carry the run's marker.
    for pgid, (run_id, since) in runs.items():
        kill_run(run_id, pgid, since=since)


class Reaper:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "sweeper.agents.reaper"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, start_new_session=True, text=True, bufsize=1)

    def _send(self, line: str):
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def watch(self, pgid: int, run_id: str | None = None):
        self._send(f"+{pgid} {run_id}" if run_id else f"+{pgid}")

    def forget(self, pgid: int):
        self._send(f"-{pgid}")

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


if __name__ == "__main__":
    main()
