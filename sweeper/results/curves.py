"""Runs' metric lines as curves: thinned by the database, one array per key, any key as x or y.

A page draws every run's curve of any logged key against any x: the step, an `epoch` or any
other logged key, the line number, or wall time. The store sends about `per_run` lines of
each run (store/reads.thinned_lines: every k-th line, the last, and the line where hyperband
stopped the run), and this module turns them into columns, one array per key, with None
where a line lacks the key: a page picks x and y from the same arrays.

Virtual keys every run has:
    _step     the line's step (`_step`, else the program's own integer "step", else its line number)
    _line     the line number, 0, 1, ...
    _runtime  seconds since the run started, by the time the agent stored the line
"""

from __future__ import annotations

import math

from .rows import flatten, line_step, parse_line

VIRTUAL = {"_step": "step", "_line": "line number", "_runtime": "wall time (s)"}
# About this many lines in all the curves of a page together: the report of 10,000 runs x 1,000
# lines stays a few MB and draws in seconds. A run never gets fewer than MIN_PER_RUN.
PAGE_LINES = 100_000
# The offline report carries every key of every line it keeps: about this many values in all.
SNAPSHOT_VALUES = 300_000
MIN_PER_RUN = 12
RUN_PAGE_LINES = 2_000


def per_run_budget(n_runs: int, total: int = PAGE_LINES) -> int:
    return max(MIN_PER_RUN, total // max(1, n_runs))


def _num(v):
    """A number as a curve needs it: 6 significant digits, as the pages show numbers (shorter
    JSON); NaN and inf as None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, int):
        return v
    if not math.isfinite(v):
        return None
    return float(f"{v:.6g}")


def columns(lines: list[dict], rows: list[dict], metric: str | None, keys=None) -> dict:
    """{run_id: {"seq": [...], key: [...], "stop": index or None}} from thinned lines; `_line`,
    and `_step` when it equals the line number, are not repeated: a page reads `seq` for them.

    keys: the keys wanted (virtual or logged, flattened "val.loss"); None: every numeric key
    (the offline report, where the reader may pick any). rows: the runs' page rows (for when
    each started and which hyperband band stopped it)."""
    by_id = {r["id"]: r for r in rows}
    wanted = None if keys is None else [k for k in dict.fromkeys(keys)]
    cheap = is_cheap(wanted, metric)
    out: dict = {}
    for mr in lines:
        rid = mr["run_id"]
        run = out.get(rid)
        if run is None:
            run = out[rid] = {"seq": [], "stop": None, **({k: [] for k in wanted} if wanted is not None else {})}
        n = len(run["seq"])
        row = by_id.get(rid) or {}
        band = row.get("band")
        if band is not None and mr["miter"] == band and run["stop"] is None:
            run["stop"] = n
        run["seq"].append(mr["seq"])
        data = None if cheap and (mr["step"] is not None or "_step" not in wanted) else parse_line(mr)
        values = _values(mr, data, metric, row.get("started_at"))
        if wanted is None:
            for k, v in values.items():
                col = run.get(k)
                if col is None:
                    col = run[k] = [None] * n
                col.append(v)
            for k, col in run.items():
                if k not in ("seq", "stop") and len(col) == n:
                    col.append(None)
        else:
            for k in wanted:
                run[k].append(values.get(k))
    for run in out.values():
        # A column that repeats the line numbers is left out: the page reads `seq` for it.
        for k in ("_line", "_step"):
            if run.get(k) == run["seq"]:
                del run[k]
    return out


def is_cheap(keys, metric: str | None) -> bool:
    """Whether the columns stored beside each line (the sweep metric's finite value, `_step`,
    the time) are all that `keys` need: then no line's JSON is read or parsed, except those
    without a `_step`."""
    return keys is not None and set(keys) <= {"_line", "_runtime", "_step", metric}


def _values(mr: dict, data: dict | None, metric: str | None, started: float | None) -> dict:
    values = {"_line": mr["seq"]}
    if mr["ts"] is not None and started is not None:
        values["_runtime"] = round(mr["ts"] - started, 3)
    if data is None:
        values["_step"] = mr["step"] if mr["step"] is not None else mr["seq"]
        if metric:
            values[metric] = _num(mr["mval"])
        return values
    values["_step"] = line_step(mr, data)
    for k, v in flatten(data).items():
        if k != "_step":
            x = _num(v)
            if x is not None:
                values[k] = x
    return values


def sweep_curves(store, sweep_id: str, rows: list[dict], metric: str | None, keys=None,
                 total: int = PAGE_LINES) -> dict:
    """Every live run's curves of a sweep, about `total` lines in all."""
    n = sum(1 for r in rows if r["n_lines"])
    budget = per_run_budget(n, total)
    lines = store.thinned_lines(budget, sweep_id=sweep_id, data=not is_cheap(keys, metric))
    return {"per_run": budget, "runs": columns(lines, rows, metric, keys)}


def run_curves(store, rows: list[dict], metric: str | None, keys=None, total: int = PAGE_LINES,
               per_run_max: int = RUN_PAGE_LINES) -> dict:
    """Curves of some runs (a run page, the compare view, the runs that changed on a live page)."""
    n = sum(1 for r in rows if r["n_lines"])
    budget = min(per_run_max, per_run_budget(n, total))
    lines = store.thinned_lines(budget, run_ids=[r["id"] for r in rows], data=not is_cheap(keys, metric))
    return {"per_run": budget, "runs": columns(lines, rows, metric, keys)}
