"""The program's process: started in its own process group, tied to the agent's life.

The child gets PR_SET_PDEATHSIG(SIGKILL), so if the agent dies, even by SIGKILL, the
kernel kills the child: no orphaned GPU jobs. The death signal fires when the *thread*
that started the child ends, so a child must be started by a thread that outlives it
(the agent's slot threads do). spawn.py sets it.

What the program starts ends with its run, even a daemon (setsid, double fork): the agent
is a child subreaper, so orphaned descendants become its children rather than init's,
and when the program exits, every process of its run (reaper.kill_run: its marker
SWEEPER_RUN_ID, its session) is killed and those that became the agent's children are
reaped. Zombies are reaped only by pid, only when they are known to be the run's and not
a Popen child of this process, so no subprocess ever loses its exit status to us.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from .reaper import kill_run, started
from .spawn import die_with_parent, libc, spawn

_PR_SET_CHILD_SUBREAPER = 36
READ_BYTES = 64 << 10  # one read of the program's output: pipe speed, not a system call per byte
TAIL_BYTES = 256 << 10  # the output kept in memory for last_lines (a failed run's error)
DRAIN_SECONDS = 5.0  # after the run's processes are killed, how long to wait for the pipe's end
SHORT_RUN_S = 10.0  # a run this short cannot have seen its pids wrap around twice: see end_descendants
_programs: set[int] = set()  # pids of programs not yet waited for: never killed nor reaped by another run
_subreaper = False
_relay_fds: set[int] = set()  # fds the relays of running forked functions hold (see ForkedFunction)


def _become_subreaper():
    """Orphaned descendants of our programs reparent to this process, not to init: they stay
    ours to find and to reap. Process-wide and once; harmless for the rest of the process."""
    global _subreaper
    if libc is not None and not _subreaper:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        _subreaper = True


class ForkedFunction:
    """A Python function run in a forked process, with Popen's interface.

    Forking (not spawning) lets a notebook's `train` run without being pickled, and a run's
    GPU memory is returned when its process ends, so it cannot leak into the next run.

    The run's stdout and stderr are a pipe, whatever sys.stdout is here. When this process's
    sys.stdout is not a file (a notebook's OutStream, contextlib.redirect_stdout), the agent
    cannot echo bytes to it: a relay thread copies the output, as text, to that object (the
    cell shows the run) and on to the pipe the agent reads (output.log keeps it all).
    """

    def __init__(self, function, env: dict, cwd: str):
        read_end, write_end = os.pipe()
        text_out = _text_stdout()
        pid = os.fork()
        if pid == 0:  # the run
            code = 1
            try:
                os.setsid()
                die_with_parent()
                os.close(read_end)
                for fd in list(_relay_fds):  # another run's relay: its pipe must end with that run
                    try:
                        os.close(fd)
                    except OSError:
                        pass
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
        if text_out is not None:
            read_end = _relay(read_end, text_out, pid)
        self.stdout = os.fdopen(read_end, "rb")
        self.returncode = None
        self._reaping = threading.Lock()

    # The launcher waits for the run while a stop (hyperband, a signal) polls it from another
    # thread: only one of them may reap it (a second waitpid gets ECHILD), so reaping and
    # setting returncode happen together under _reaping, as subprocess.Popen does it.

    def poll(self):
        with self._reaping:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout=None):
        if timeout is None:
            if self.returncode is None:
                try:  # block until it ends, leaving it to be reaped by poll()
                    os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
                except ChildProcessError:
                    pass  # another thread reaped it; poll() waits for it to say so
            while self.poll() is None:  # pragma: no cover - only if waitid woke early
                time.sleep(0.01)
            return self.returncode
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode


def _text_stdout():
    """This process's sys.stdout when it is a text-only object (no .buffer to write bytes to)."""
    out = sys.stdout
    if out is None or getattr(out, "buffer", None) is not None:
        return None
    return out if callable(getattr(out, "write", None)) else None


def _relay(source: int, out, pid: int) -> int:
    """Copy what arrives on fd `source` to the text stream `out` and to a new pipe; return the
    new pipe's read end. Never stops reading before the end, so the run never blocks on it."""
    import codecs

    read_end, write_end = os.pipe()
    _relay_fds.update((source, write_end))
    decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def show(text: str):
        nonlocal out
        if out is None or not text:
            return
        try:
            out.write(text)
            out.flush()
        except Exception:  # noqa: BLE001 - a closed StringIO, a kernel gone: keep feeding the log
            out = None

    def pump():
        sink = write_end
        try:
            while True:
                try:
                    chunk = os.read(source, READ_BYTES)
                except OSError:
                    break
                if not chunk:
                    break
                show(decoder.decode(chunk))
                view = memoryview(chunk)
                while sink is not None and view:
                    try:
                        view = view[os.write(sink, view):]
                    except OSError:  # the agent closed its end: keep draining the run
                        _relay_fds.discard(sink)
                        os.close(sink)
                        sink = None
            show(decoder.decode(b"", final=True))
        finally:
            _relay_fds.difference_update((source, write_end))
            os.close(source)
            if sink is not None:
                os.close(sink)

    threading.Thread(target=pump, name=f"relay-{pid}", daemon=True).start()
    return read_end


def _run_function(function, env: dict) -> int:
    import traceback

    from ..program import runtime

    # Whatever stood for them here (a notebook's OutStream, a StringIO, a file), the run's
    # output goes to fds 1 and 2, the pipe: print(), C libraries and subprocesses alike.
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr
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
        self.run_id = env.get("SWEEPER_RUN_ID")  # the marker each of its descendants inherits
        _become_subreaper()
        self.log = open(log_path, "ab", buffering=0)
        try:
            if callable(argv):
                self.proc = ForkedFunction(argv, env, cwd)
            else:
                self.proc = spawn(argv, env, cwd)
        except BaseException:
            self.log.close()
            raise
        self.pid = self.proc.pid
        _programs.add(self.pid)
        self._since = started(self.pid)  # its descendants start after it: older processes are not looked at
        self.started = time.time()
        self.terminated_by_us: str | None = None  # why we stopped it, if we did
        self.stop_state: str | None = None  # the state its run gets for it: stopped or interrupted
        self.log_error: str | None = None  # why output.log stops short (a full disk), if it does
        self._logged = 0  # bytes in output.log
        self._echo = echo
        self._recent = bytearray()  # the last TAIL_BYTES or so of output, for last_lines
        self._trimmed = False  # _recent lost its beginning: its first line is cut
        self._eof = False
        self._reader = threading.Thread(target=self._pump, name=f"output-{self.pid}", daemon=True)
        self._reader.start()

    # ---- output -------------------------------------------------------------------

    def _pump(self):
        """Copy the output as it comes, in big reads: to the echo, to memory, to output.log.
        Never stops before the pipe's end, whatever fails, so the program never blocks on it."""
        fd = self.proc.stdout.fileno()
        try:
            while True:
                try:
                    chunk = os.read(fd, READ_BYTES)
                except OSError:
                    break
                if not chunk:
                    break
                self._keep(chunk)
                self._show(chunk)
                self._write_log(chunk)
        finally:
            self._eof = True
            if self._recent and not self._recent.endswith(b"\n"):
                self._show(b"\n")  # the terminal's next line starts clean (and a prefixed echo shows its last line)
            self.proc.stdout.close()
            self._close_log()

    def _keep(self, chunk: bytes):
        # bytearray appends and slices run under the GIL: last_lines may read it from another thread
        recent = self._recent
        recent += chunk
        if len(recent) > 2 * TAIL_BYTES:
            del recent[:len(recent) - TAIL_BYTES]
            self._trimmed = True

    def _show(self, data: bytes):
        if self._echo is not None:
            try:
                self._echo(data)
            except (OSError, ValueError):
                self._echo = None  # our stdout went away; keep logging to the file

    def _write_log(self, chunk: bytes):
        log = self.log
        if log is None:
            return
        view = memoryview(chunk)
        try:
            while view:  # an unbuffered write may take part of it (a disk filling up)
                n = log.write(view)
                self._logged += n
                view = view[n:]
        except ValueError:  # closed under us: nothing more goes to the file
            self.log = None
        except OSError as exc:  # ENOSPC, EIO, EFBIG...: the log stops here, the run goes on
            why = exc.strerror or str(exc)
            self.log_error = f"output.log was cut at {self._logged} bytes: {why}"
            self._close_log()
            self._show((b"" if chunk.endswith(b"\n") else b"\n")
                       + f"[sweeper] could not write this run's output.log ({why}); the rest of its "
                         "output is not kept\n".encode())

    def _close_log(self):
        log, self.log = self.log, None
        if log is not None:
            try:
                log.close()
            except OSError:
                pass

    def last_lines(self, n: int = 10) -> str:
        """The last n whole lines of output (a line still being written is not one yet, until
        the output ends without its newline)."""
        data = bytes(self._recent)
        if not self._eof:
            data = data[:data.rfind(b"\n") + 1]
        if self._trimmed:  # its first line lost its beginning, unless it is all there is
            first = data.find(b"\n")
            if 0 <= first < len(data) - 1:
                data = data[first + 1:]
        pos = len(data) - 1 if data.endswith(b"\n") else len(data)
        for _ in range(n):
            pos = data.rfind(b"\n", 0, pos)
            if pos < 0:
                break
        return data[pos + 1:].decode("utf-8", "replace")

    # ---- the process and what it started --------------------------------------------

    def poll(self):
        return self.proc.poll()

    def wait(self, timeout=None):
        code = self.proc.wait(timeout)
        _programs.discard(self.pid)
        self.end_descendants()
        # Its processes are gone, so the pipe has ended; DRAIN_SECONDS is for a process we
        # could not tell was the run's (one that cleared its environment and left the session).
        self._reader.join(timeout=DRAIN_SECONDS)
        return code

    def end_descendants(self):
        """Kill every process the program left behind (its group, its session, whatever
        carries its run's marker), and reap those that became our children."""
        self.signal_group(signal.SIGKILL)
        if libc is None:
            return
        # A short run's descendants all have pids above its program's (one wraparound is seen
        # by processes(); a second would need pid_max forks in SHORT_RUN_S): the rest of /proc
        # need not be read, a millisecond per run on a busy node.
        short = time.time() - self.started < SHORT_RUN_S
        found = kill_run(self.run_id, self.pid, exclude=set(_programs), since=self._since,
                         first_pid=self.pid if short else None)
        me = os.getpid()
        for pid, (ppid, _sid) in found.items():
            # Ours only by reparenting (the run's processes are never our Popen children, and
            # the program's own status was taken by its wait above): safe to reap by pid.
            if ppid == me and pid not in _programs:
                _reap(pid)

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


def _reap(pid: int, seconds: float = 1.0):
    """Collect a killed child's exit status, once it has one (SIGKILL is not instant)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() > deadline:
            return
        time.sleep(0.005)
