"""A run's output (the program's stdout and stderr), read back from its run folder."""

from __future__ import annotations

import os
import socket
import time


class LogNotHere(LookupError):
    """The run's output is on another machine, the run never started, or it was never recorded
    (a standalone run: only an agent captures a program's output)."""


def output_path(run: dict) -> str:
    path = os.path.join(run["run_dir"] or "", "output.log")
    if run.get("sweep_id") is None and not os.path.exists(path):
        # sweeper.init() outside a sweep runs in the user's own process: nothing captured its
        # stdout, so no machine has the file; "not on this machine" would send them looking.
        raise LogNotHere(f"run {run['id']} is a standalone run (sweeper.init() outside a sweep): its output "
                         "was not recorded, as only an agent captures a program's stdout and stderr; "
                         "its metrics are in `sweeper show " + run["id"] + "`")
    if not run["run_dir"] or not os.path.exists(path):
        where = f" on host {run['host']}" if run["host"] and run["host"] != socket.gethostname() else ""
        raise LogNotHere(f"run {run['id']}'s output is kept{where} at {path or '(not started)'}; "
                         "it is not on this machine")
    return path


def chunks(path: str, still_running=None, poll: float = 0.2):
    """The file's bytes in chunks; with `still_running()`, keep following until it says False."""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 16)
            if chunk:
                yield chunk
                continue
            if still_running is None or not still_running():
                rest = f.read()
                if rest:
                    yield rest
                return
            time.sleep(poll)
