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


# JSON has no tuples, but a sweep from Python may list [1, 2] and (1, 2) as two values (W&B's
# grid counts them as two points, and its agent passes "[1, 2]" and "(1, 2)"): a tuple is kept
# as {TUPLE: [...]} and read back as a tuple. Nothing else is changed.
TUPLE = "__sweeper_tuple__"


def _typed(value):
    if isinstance(value, tuple):
        return {TUPLE: [_typed(v) for v in value]}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    return value


def _has_tuple(value) -> bool:
    if isinstance(value, tuple):
        return True
    if isinstance(value, list):
        return any(_has_tuple(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tuple(v) for v in value.values())
    return False


def _untyped(obj: dict):
    return tuple(obj[TUPLE]) if len(obj) == 1 and TUPLE in obj else obj


def dumps(value) -> str:
    return json.dumps(_typed(value) if _has_tuple(value) else value, default=str)


def loads(text: str):
    """JSON text from the store, tuples as they were written (dumps)."""
    if TUPLE in text:
        return json.loads(text, object_hook=_untyped)
    if _fast is not None:
        try:
            return _fast(text)
        except ValueError:  # NaN and Infinity, which json writes and orjson refuses
            pass
    return json.loads(text)


try:  # the `fast` extra: a bayes claim reads every run's parameters (BENCHMARKS.md, "Sweep size")
    from orjson import loads as _fast
except ImportError:
    _fast = None


def encode(values: dict) -> dict:
    """The runs table keeps params, command, summary and tags as JSON text."""
    out = dict(values)
    for key in JSON_COLUMNS:
        if out.get(key) is not None and not isinstance(out[key], str):
            out[key] = dumps(out[key])
    return out


def sweep_dict(row) -> dict:
    d = dict(row)
    d["config"] = loads(d["config"])
    if "grid_gaps" in d:  # SQLite gives its booleans as 0 and 1 to SQL text (store/sql.py)
        d["grid_gaps"] = bool(d["grid_gaps"])
    return d


def run_dict(row) -> dict:
    d = dict(row)
    for key in JSON_COLUMNS:
        if isinstance(d.get(key), str):
            d[key] = loads(d[key])
    d.setdefault("summary", None)
    d["tags"] = d.get("tags") or []
    d["superseded"] = bool(d.get("superseded"))
    if d.get("git_dirty") is not None:
        d["git_dirty"] = bool(d["git_dirty"])
    return d
