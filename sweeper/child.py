"""The program's process: started in its own process group, tied to the agent's life.

The child gets PR_SET_PDEATHSIG(SIGKILL), so if the agent dies, even by SIGKILL, the
kernel kills the child: no orphaned GPU jobs. The death signal fires when the *thread*
that started the child ends, so a child must be started by a thread that outlives it
(the agent's slot threads do).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent():  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Child:
    def __init__(self, argv: list[str], env: dict, cwd: str, log_path: str, echo=None):
        """Start argv; its stdout and stderr go, combined, to log_path and to echo(bytes_line)."""
        self.argv = argv
        self.log = open(log_path, "ab", buffering=0)
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent, bufsize=0)
        self.pid = self.proc.pid
        self.started = time.time()
        self.terminated_by_us: str | None = None  # why we stopped it, if we did
        self._echo = echo
        self._tail: list[bytes] = []
        self._reader = threading.Thread(target=self._pump, name=f"output-{self.pid}", daemon=True)
        self._reader.start()

    def _pump(self):
        stream = self.proc.stdout
        for line in iter(stream.readline, b""):
            self.log.write(line)
            self._tail.append(line)
            if len(self._tail) > 40:
                del self._tail[:20]
            if self._echo is not None:
                try:
                    self._echo(line)
                except (OSError, ValueError):
                    self._echo = None  # our stdout went away; keep logging to the file
        stream.close()

    def last_lines(self, n: int = 10) -> str:
        return b"".join(self._tail[-n:]).decode("utf-8", "replace")

    def poll(self):
        return self.proc.poll()

    def wait(self, timeout=None):
        code = self.proc.wait(timeout)
        self._reader.join(timeout=5)
        self.log.close()
        return code

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, reason: str, grace: float, kill_now: threading.Event | None = None) -> None:
        """SIGTERM to the child's group; SIGKILL after `grace` seconds (or at once on kill_now)."""
        if self.terminated_by_us is None:
            self.terminated_by_us = reason
        if self.proc.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.proc.poll() is None and time.monotonic() < deadline:
            if kill_now is not None and kill_now.is_set():
                break
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.signal_group(signal.SIGKILL)

    @property
    def exit_code(self) -> int | None:
        rc = self.proc.returncode
        return rc if rc is not None and rc >= 0 else None

    @property
    def exit_signal(self) -> int | None:
        rc = self.proc.returncode
        return -rc if rc is not None and rc < 0 else None
