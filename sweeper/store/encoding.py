"""How rows become dicts and back: JSON columns, booleans, the states a run and a sweep can be in."""

from __future__ import annotations

import json

# interrupted: stopped by a signal to its agent (Ctrl+C, SIGTERM, SIGHUP: preemption, scancel);
# like crashed, its grid point is run again.
TERMINAL = ("finished", "failed", "crashed", "stopped", "interrupted")
RERUN = ("crashed", "interrupted")  # states whose grid point another run takes over
# failing: the failure guard tripped (failed runs in a row); `resume` clears it.
SWEEP_STATES = ("running", "paused", "finished", "canceled", "failing")


JSON_COLUMNS = ("params", "command", "summary", "tags")  # runs' columns kept as JSON text


def dumps(value) -> str:
    return json.dumps(value, default=str)


def encode(values: dict) -> dict:
    """The runs table keeps params, command, summary and tags as JSON text."""
    out = dict(values)
    for key in JSON_COLUMNS:
        if out.get(key) is not None and not isinstance(out[key], str):
            out[key] = dumps(out[key])
    return out


def sweep_dict(row) -> dict:
    d = dict(row)
    d["config"] = json.loads(d["config"])
    return d


def run_dict(row) -> dict:
    d = dict(row)
    for key in JSON_COLUMNS:
        if isinstance(d.get(key), str):
            d[key] = json.loads(d[key])
    d.setdefault("summary", None)
    d["tags"] = d.get("tags") or []
    d["superseded"] = bool(d.get("superseded"))
    return d
