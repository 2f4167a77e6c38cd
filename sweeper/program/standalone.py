"""Runs outside any sweep: `sweeper.init()` in a plain training script records a run in the
store under its project, so it can be listed and compared with the same commands."""

from __future__ import annotations

import atexit
import os
import socket
import sys
import time



class Recorder:
    def __init__(self, store, run: dict, tailer):
        self.store = store
        self.run = run
        self.tailer = tailer
        self.done = False
        self.failed = False

    def finish(self, exit_code: int = 0):
        if self.done:
            return
        self.done = True
        self.tailer.finish()
        state = "failed" if (exit_code or self.failed) else "finished"
        self.store.finish_run(self.run["id"], state, exit_code=exit_code or (1 if self.failed else 0))


def start(cfg: dict, project: str | None, finish) -> tuple[str, str, Recorder]:
    """Record a run of `project` in the store: (run ID, run folder, its recorder).

    `finish` (runtime.finish) is called at exit if the program did not call it."""
    from ..store import open_store
    from ..agents.tail import Tailer, metrics_path

    store = open_store(os.environ.get("SWEEPER_STORE"))
    run = store.create_run(project=project, params=cfg, pid=os.getpid(), host=socket.gethostname(),
                           command=list(sys.argv), started_at=time.time(),
                           python_version=sys.version.split()[0])
    run_dir = store.runs_root / run["id"]
    run_dir.mkdir(parents=True, exist_ok=True)
    path = metrics_path(str(run_dir))
    open(path, "a").close()
    store.update_run(run["id"], run_dir=str(run_dir))
    os.environ["SWEEPER_METRICS"] = path
    tailer = Tailer(path, store, run, {}).start()
    recorder = Recorder(store, run, tailer)

    previous_hook = sys.excepthook

    def hook(kind, value, tb):
        recorder.failed = True
        previous_hook(kind, value, tb)

    sys.excepthook = hook

    def at_exit():
        if not recorder.done:
            finish(1 if recorder.failed else 0)

    atexit.register(at_exit)
    return run["id"], str(run_dir), recorder
