"""One run as a record for people and scripts (`sweeper show`): what it ran with, how it ended."""

from __future__ import annotations

from . import rows as results
from .format import with_iso


def run_record(sweep: dict | None, run: dict) -> dict:
    """Everything stored about `run`, nested; `sweep` is its sweep (None for a standalone run)."""
    metric = results.sweep_metric(sweep) if sweep else results.Metric(None, False)
    row = results.run_row(run, metric)
    command = run.get("command")
    if not command and sweep is not None:
        from .progress import reproduce_command
        command = reproduce_command(sweep, run)
    record = {
        "id": run["id"], "sweep_id": run.get("sweep_id"), "project": run.get("project"), "number": run.get("number"),
        "name": run.get("name"), "state": run["state"], "tags": run.get("tags") or [], "notes": run.get("notes"),
        "origin": run.get("origin"), "superseded": bool(run.get("superseded")),
        "metric": metric.name, "goal": metric.goal if metric.name else None,
        "best": row["best"], "best_step": row["best_step"], "last": row["last"],
        # Flat keys (optimizer.lr, val.loss), as in `runs --json` and exports.
        "params": row["params"], "summary": row["summary"],
        "stop_reason": run.get("stop_reason"), "band": run.get("band"), "exit_code": run.get("exit_code"),
        "signal": run.get("signal"), "error": run.get("error"),
        "created_at": run.get("created_at"), "started_at": run.get("started_at"), "ended_at": run.get("ended_at"),
        "duration": row["duration"], "n_lines": row["n_lines"],
        "host": run.get("host"), "gpu": run.get("gpu"), "agent_id": run.get("agent_id"), "pid": run.get("pid"),
        "run_dir": run.get("run_dir"), "git_commit": run.get("git_commit"), "git_dirty": run.get("git_dirty"),
        "python_version": run.get("python_version"), "command": command,
    }
    return with_iso(record)
