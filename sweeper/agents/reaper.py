"""A watchman that outlives its agent by a moment, to take the agent's runs down with it.

Each run is a process group. The kernel kills the run's first process when the agent
dies (PR_SET_PDEATHSIG), but not what that process started (a shell script's python, a
data loader's workers). The agent starts one reaper, tells it on a pipe which groups are
running (+PGID / -PGID lines), and when the pipe closes, because the agent exited or was
killed even by SIGKILL, the reaper kills every group still listed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the agent's to handle
    groups: set[int] = set()
    for line in sys.stdin:
        line = line.strip()
        if line[:1] in "+-" and line[1:].isdigit():
            (groups.add if line[0] == "+" else groups.discard)(int(line[1:]))
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


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

    def watch(self, pgid: int):
        self._send(f"+{pgid}")

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
