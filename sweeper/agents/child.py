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


class ForkedFunction:
    """A Python function run in a forked process, with Popen's interface.

    Forking (not spawning) lets a notebook's `train` run without being pickled, and a run's
    GPU memory is returned when its process ends, so it cannot leak into the next run.
    """

    def __init__(self, function, env: dict, cwd: str):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the run
            code = 1
            try:
                os.setsid()
                _die_with_parent()
                os.close(read_end)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(write_end, 1)
                os.dup2(write_end, 2)
                os.chdir(cwd)
                code = _run_function(function, env)
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid = pid
        self.stdout = os.fdopen(read_end, "rb")
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            if timeout is None:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            else:
                deadline = time.monotonic() + timeout
                while self.poll() is None:
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(str(self.pid), timeout)
                    time.sleep(0.01)
        return self.returncode


def _run_function(function, env: dict) -> int:
    import traceback

    from ..program import runtime

    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, runtime._on_sigterm)
    runtime._reset_for_child(env)
    try:
        function()
        return 0
    except runtime.RunStopped as exc:
        print(f"[sweeper] {exc}", flush=True)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the run's failure, reported with its traceback
        traceback.print_exc()
        return 1
    finally:
        runtime.finish()
        sys.stdout.flush()
        sys.stderr.flush()


class Child:
    def __init__(self, argv, env: dict, cwd: str, log_path: str, echo=None):
        """Start argv (or a callable, forked); stdout and stderr go, combined, to log_path and echo()."""
        self.argv = argv
        self.log = open(log_path, "ab", buffering=0)
        if callable(argv):
            self.proc = ForkedFunction(argv, env, cwd)
        else:
            self.proc = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent, bufsize=0)
        self.pid = self.proc.pid
        self.started = time.time()
        self.terminated_by_us: str | None = None  # why we stopped it, if we did
        self.stop_state: str | None = None  # the state its run gets for it: stopped or interrupted
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

    def stop(self, reason: str, grace: float, kill_now: threading.Event | None = None,
             state: str = "stopped") -> None:
        """SIGTERM to the child's group; SIGKILL after `grace` seconds (or at once on kill_now).
        The first reason given is the one recorded."""
        if self.terminated_by_us is None:
            self.terminated_by_us = reason
            self.stop_state = state
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
