"""Runs outside any sweep: `sweeper.init()` in a plain training script records a run in the
store under its project, so it can be listed and compared with the same commands.

Such a run is leased like a sweep run (store/leases.py): a daemon thread of the program
renews its heartbeat every SWEEPER_HEARTBEAT_SECONDS (3 s), and whoever reads the project's
runs marks it crashed once the heartbeat is older than SWEEPER_HEARTBEAT_TIMEOUT or its pid is
gone from this host (a SIGKILL, an OOM kill, a lost machine). A SIGTERM is recorded before the
program dies of it: the run is `crashed` (it did not fail on its own; something ended it, as
a SIGKILL would), its stop_reason and signal say so.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import sys
import threading
import time

HEARTBEAT_SECONDS = float(os.environ.get("SWEEPER_HEARTBEAT_SECONDS", "3"))


class Recorder:
    """The store's side of one standalone run: its metrics (a Tailer), its heartbeat, its end."""

    def __init__(self, store, run: dict, tailer):
        self.store = store
        self.run = run
        self.tailer = tailer
        self.pid = os.getpid()  # a fork of the program (a DataLoader worker) records nothing
        self.done = False
        self.failed = False
        self.signal: int | None = None  # the signal that ended it, if one did
        self.lost = False  # reaped by a reader while this process was away (stopped, store gone)
        self.stop_reason: str | None = None  # a user asked to stop it (`sweeper stop RUN_ID`)
        self.on_stop = None  # called with the reason: the runtime raises RunStopped at the next log()
        self._undo: list = []  # how to put back the hooks we installed
        self._beating = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name=f"heartbeat-{run['id']}", daemon=True)
        self._beat.start()

    def _heartbeat(self):
        while not self._beating.wait(HEARTBEAT_SECONDS):
            try:
                alive, stop = self.store.beat_run(self.run["id"])
                if not alive:
                    self._lose()
                    return
                if stop and self.stop_reason is None:
                    self.stop_reason = stop
                    if self.on_stop is not None:
                        self.on_stop(stop)
            except Exception:  # noqa: BLE001 - the store away for a while: the next beat tries again
                pass

    def _lose(self):
        if not self.lost:
            self.lost = True
            _say(f"run {self.run['id']} was marked crashed by the store (no heartbeat for "
                 f"SWEEPER_HEARTBEAT_TIMEOUT s: this process was stopped, or the store was away); "
                 "what it logs from here on is not recorded")

    def set_name(self, name: str | None):
        if not self.done and os.getpid() == self.pid:
            self.store.update_run(self.run["id"], name=name)

    def finish(self, exit_code: int = 0, state: str | None = None, **values):
        if self.done or os.getpid() != self.pid:
            return
        self.done = True
        for undo in reversed(self._undo):
            undo()
        self._beating.set()
        from ..store import LeaseLost, StoreError
        try:
            try:
                self.tailer.finish()
            except LeaseLost:  # reaped while away: the store keeps what it had
                self._lose()
            if self.lost:
                return
            if state is None and self.stop_reason is not None:
                state = "stopped"  # RunStopped ended it (or it ended on its own after the request)
                values.setdefault("stop_reason", self.stop_reason)
            if state is None and self.signal is not None and (exit_code or self.failed):
                state, values = "crashed", {**self._signal_values(), **values}  # its handler ended it
            state = state or ("failed" if (exit_code or self.failed) else "finished")
            if state != "crashed":
                values.setdefault("exit_code", exit_code or (1 if self.failed else 0))
            settled = self.store.finish_run(self.run["id"], state, **values)
            if settled and settled.get("lost"):
                self._lose()
        except StoreError as exc:  # the store went away: the program's end is not ours to break
            _say(f"run {self.run['id']} could not be recorded as ended: {exc}")

    # ---- the hooks that see the program end --------------------------------------------

    def install(self, finish):
        """sys.excepthook (an uncaught exception: failed), atexit (finish() if the program did
        not call it), SIGTERM (recorded, then the previous handler or the default: death)."""
        previous_hook = sys.excepthook

        def hook(kind, value, tb):
            self.failed = True
            previous_hook(kind, value, tb)

        sys.excepthook = hook
        self._undo.append(lambda: setattr(sys, "excepthook", previous_hook) if sys.excepthook is hook else None)

        def at_exit():
            if not self.done and os.getpid() == self.pid:
                if self.signal is not None:
                    self._end_by_signal()
                else:
                    finish(1 if self.failed else 0)

        atexit.register(at_exit)
        self._undo.append(lambda: atexit.unregister(at_exit))

        try:
            previous = signal.getsignal(signal.SIGTERM)
        except ValueError:
            return
        if previous == signal.SIG_IGN:
            return  # the program chose to ignore SIGTERM: it does not end the run

        def on_sigterm(signum, frame):
            if os.getpid() != self.pid:  # a fork of the program: not the run
                return _chain(previous, signum, frame)
            self.signal = signum
            if callable(previous):
                # The program's own handler decides whether the program ends; if it does
                # without finishing the run, at_exit records the signal.
                return previous(signum, frame)
            self._end_by_signal()
            _chain(previous, signum, frame)  # the default: the process dies of the signal

        try:
            signal.signal(signal.SIGTERM, on_sigterm)
        except ValueError:  # not the main thread: SIGTERM keeps what it had
            return

        def restore():
            if signal.getsignal(signal.SIGTERM) is on_sigterm:
                try:
                    signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
                except (ValueError, TypeError):
                    pass
        self._undo.append(restore)

    def _signal_values(self) -> dict:
        return {"signal": self.signal, "stop_reason": f"killed by {_signame(self.signal)}: the program was "
                                                      "ended by a signal, it did not fail on its own"}

    def _end_by_signal(self):
        self.finish(state="crashed", **self._signal_values())


def _chain(previous, signum, frame):
    """What SIGTERM did before us: a Python handler is called; the default is re-raised (the
    process dies of the signal, its parent sees -15)."""
    if callable(previous):
        return previous(signum, frame)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    time.sleep(5)  # the signal arrives at once; this is never reached
    os._exit(128 + signum)


def _signame(n) -> str:
    try:
        return signal.Signals(n).name
    except (ValueError, TypeError):
        return f"signal {n}"


def _say(msg: str) -> None:
    try:
        print(f"sweeper: {msg}", file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def start(cfg: dict, project: str | None, finish, name: str | None = None) -> tuple[str, str, Recorder]:
    """Record a run of `project` in the store: (run ID, run folder, its recorder).

    `finish` (runtime.finish) is called at exit if the program did not call it."""
    from ..agents.tail import Tailer, metrics_path
    from ..store import open_store

    store = open_store(os.environ.get("SWEEPER_STORE"))
    run = store.create_run(project=project, params=cfg, pid=os.getpid(), host=socket.gethostname(),
                           command=list(sys.argv), started_at=time.time(), name=name,
                           python_version=sys.version.split()[0])
    run_dir = store.runs_root / run["id"]
    run_dir.mkdir(parents=True, exist_ok=True)
    path = metrics_path(str(run_dir))
    open(path, "a").close()
    store.update_run(run["id"], run_dir=str(run_dir))
    os.environ["SWEEPER_METRICS"] = path
    tailer = Tailer(path, store, run, {}).start()
    recorder = Recorder(store, run, tailer)
    recorder.install(finish)
    return run["id"], str(run_dir), recorder
