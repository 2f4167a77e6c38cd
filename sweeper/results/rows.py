"""A sweep's results as plain rows: the runs table, its sort order, exports, metric history.

Pure functions over what the store returns (store.runs, store.metric_rows); nothing here
prints or imports anything heavy, so `sweeper runs` stays fast and the report, the
importance analysis and the exports all agree on what a run's numbers are.

Every function copes with a sweep that is still running, with failed, crashed and stopped
runs, with NaN metrics and with runs that logged nothing: a value that does not exist is
None, never a made-up number.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

# Columns of a flat run row that are not parameters or logged metrics, in display order.
FIXED_COLUMNS = ("id", "number", "state", "best", "last", "best_step", "duration", "n_lines",
                 "stop_reason", "early_terminated", "created_at", "started_at", "ended_at", "host",
                 "gpu", "superseded")
SORT_ALIASES = {"metric": "best"}


@dataclass(frozen=True)
class Metric:
    """The sweep's metric: its name (None when the sweep file has no metric:) and goal."""
    name: str | None
    maximize: bool

    @property
    def goal(self) -> str:
        return "maximize" if self.maximize else "minimize"

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b


def sweep_metric(sweep: dict) -> Metric:
    m = sweep["config"].get("metric") or {}
    return Metric(m.get("name"), m.get("goal") == "maximize")


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def is_finite(x) -> bool:
    return is_number(x) and math.isfinite(x)


def flatten(nested: dict | None, prefix: str = "") -> dict:
    """{"opt": {"lr": 0.1}, "bs": 8} -> {"opt.lr": 0.1, "bs": 8}, as W&B names nested keys."""
    out: dict = {}
    for key, value in (nested or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def parameter_keys(sweep: dict) -> list[str]:
    """Every leaf parameter of the sweep, by flattened key (constants included)."""
    from ..sweepfile.space import Space

    return [p.key for p in Space(sweep["config"]["parameters"])]


def searched_keys(sweep: dict) -> list[str]:
    """The parameters the sweep varies: the ones worth a column by default."""
    from ..sweepfile.space import Space

    return [p.key for p in Space(sweep["config"]["parameters"]).searchable]


def live_runs(runs: list[dict]) -> list[dict]:
    """Runs that stand for their parameter set: a crashed grid point run again replaces its old run."""
    return [r for r in runs if not r.get("superseded")]


# ---- the runs table --------------------------------------------------------------------------


def run_row(run: dict, metric: Metric, now: float | None = None) -> dict:
    """One run as a row: identity, state, flattened params and summary, the metric, timings."""
    summary = flatten(run.get("summary"))
    started, ended = run.get("started_at"), run.get("ended_at")
    if started is None:
        duration = None
    else:
        duration = (ended if ended is not None else (now or time.time())) - started
    return {
        "id": run["id"],
        "sweep_id": run.get("sweep_id"),  # JSON only; "sweep" in a project's table (cell())
        "number": run.get("number"),
        "name": run.get("name"),  # JSON only: a parameter called "name" keeps its column in flat rows
        "tags": list(run.get("tags") or []),  # JSON only, as name
        "notes": run.get("notes"),  # JSON only, as name
        "origin": run.get("origin"),  # JSON only: None (the method), "queued" or "rerun"
        "state": run["state"],
        "params": flatten(run.get("params")),
        # The tailer keeps only finite values as best; the last value may be NaN or missing.
        "best": run.get("best_value"),
        "last": summary.get(metric.name) if metric.name else None,
        "best_step": run.get("best_step"),
        "summary": summary,
        "duration": duration,
        "n_lines": run.get("n_lines") or 0,
        "stop_reason": run.get("stop_reason"),
        # Only a hyperband decision sets band; a run stopped by Ctrl+C or cancel has none.
        "early_terminated": run.get("band") is not None,
        "created_at": run.get("created_at"),
        "started_at": started,
        "ended_at": ended,
        "host": run.get("host"),
        "gpu": run.get("gpu"),
        "superseded": bool(run.get("superseded")),
    }


def run_rows(sweep: dict, runs: list[dict], now: float | None = None) -> list[dict]:
    metric = sweep_metric(sweep)
    now = now if now is not None else time.time()
    return [run_row(r, metric, now) for r in runs]


def flat_row(row: dict) -> dict:
    """A run row as one flat dict, for CSV and for --columns / --sort.

    Parameters keep their plain flattened key ("optimizer.lr"), as do logged metrics; a
    metric whose key is taken (a parameter, or a fixed column such as "id") becomes
    "summary.<key>", so no value ever hides another.
    """
    out = {k: row[k] for k in FIXED_COLUMNS}
    for key, value in row["params"].items():
        out[key if key not in out else f"params.{key}"] = value
    for key, value in row["summary"].items():
        out[key if key not in out else f"summary.{key}"] = value
    return out


# Columns a table can show beside flat_row's (--columns); not in CSV, where a parameter may be named so.
EXTRA_COLUMNS = ("sweep", "name", "tags", "notes")


def cell(row: dict, column: str):
    """A row's value for a table column: a flat_row key, its sweep's ID, or its name, tags, notes."""
    if column == "sweep":
        return row.get("sweep_id") or ""
    if column in ("name", "tags", "notes") and column not in row["params"]:
        return row.get(column)
    return flat_row(row).get(column)


def flat_columns(sweep: dict, rows) -> list[str]:
    """Column names of the flat rows, in a stable order: fixed, parameters, then metrics A-Z.
    rows: any iterable of rows, read once (an export streams them)."""
    seen_params: set = set()
    seen_flat: set = set()
    for r in rows:
        seen_params.update(r["params"])
        seen_flat.update(flat_row(r))
    params = parameter_keys(sweep)
    params += sorted(seen_params - set(params))
    param_cols = [k if k not in FIXED_COLUMNS else f"params.{k}" for k in params]
    taken = set(FIXED_COLUMNS) | set(param_cols)
    metric_cols = sorted(seen_flat - taken)
    return list(FIXED_COLUMNS) + param_cols + metric_cols


# ---- sorting -----------------------------------------------------------------------------------


def sort_rows(rows: list[dict], metric: Metric, key: str | None = None, reverse: bool = False) -> list[dict]:
    """Rows sorted by `key` (default: the sweep metric, best first by its goal).

    The sweep metric, by its name or as "best"/"metric", sorts by its goal; any other key
    ascends. `reverse` flips the order of the values, but runs without a value, and NaN,
    always come last: they are never the best.
    """
    key = SORT_ALIASES.get(key, key) if key else "best"
    by_goal = key in ("best", metric.name)
    if key == metric.name:
        key = "best"
    descending = (metric.maximize if by_goal else False) != reverse
    numbers, text, absent = [], [], []
    for row in rows:
        value = flat_row(row).get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            absent.append(row)
        elif is_number(value):
            numbers.append((float(value), row))
        else:
            text.append((_text(value), row))
    # Python's sort is stable, with reverse too: ties keep run order.
    numbers.sort(key=lambda vr: vr[0], reverse=descending)
    text.sort(key=lambda vr: vr[0], reverse=descending)
    # A key that mixes numbers and text sorts each group on its own, numbers first.
    return [r for _, r in numbers] + [r for _, r in text] + absent


def sort_key_exists(rows: list[dict], metric: Metric, key: str) -> bool:
    key = SORT_ALIASES.get(key, key)
    return key == metric.name or any(key in flat_row(r) for r in rows) or key in FIXED_COLUMNS


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def best_row(rows: list[dict], metric: Metric) -> dict | None:
    """The run with the best finite value of the sweep metric; None before any has one."""
    scored = [r for r in rows if is_finite(r["best"])]
    if not scored or metric.name is None:
        return None
    return sort_rows(scored, metric)[0]


def filter_state(rows: list[dict], states: tuple[str, ...] | list[str]) -> list[dict]:
    return [r for r in rows if r["state"] in states] if states else list(rows)


def first_and_running(rows: list[dict], limit: int | None) -> list[dict]:
    """The first `limit` rows, and every running row after them: a run in progress is never
    hidden by a limit (status --limit reads the same from the store: Store.top_runs)."""
    if limit is None:
        return list(rows)
    return rows[:limit] + [r for r in rows[limit:] if r["state"] == "running"]


def filter_tags(rows: list[dict], tags) -> list[dict]:
    """Rows that carry every one of `tags`."""
    return [r for r in rows if set(tags) <= set(r.get("tags") or ())] if tags else list(rows)


# ---- exports -----------------------------------------------------------------------------------


def export_record(row: dict) -> dict:
    """A run for JSON / JSON Lines: the run row as is, nested, so that parameters and metrics
    can never collide; each timestamp also in ISO 8601 (created_at_iso...)."""
    from .format import with_iso

    return with_iso(row)


def strict_json(value):
    """Make a value valid JSON (RFC 8259): NaN and infinities, which it cannot hold, become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def csv_cell(value) -> str:
    """A value as CSV text: numbers as Python writes them (nan, inf), lists and dicts as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return str(value)


# ---- metric history ----------------------------------------------------------------------------


def line_step(metric_row: dict, data: dict):
    """The step of a metric line: its `_step` (as sweeper.log writes it), else the program's own
    integer "step" key, else its line number: curves need an x for every line."""
    if metric_row.get("step") is not None:
        return metric_row["step"]
    step = data.get("step")
    if isinstance(step, int) and not isinstance(step, bool):
        return step
    return metric_row["seq"]


def parse_line(metric_row: dict) -> dict:
    """The JSON line as the program wrote it (NaN and Infinity tokens parse as floats)."""
    try:
        data = json.loads(metric_row["data"])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def history_rows(run_id: str, metric_rows: list[dict]):
    """Every metric line of a run, flat: run_id, seq, step, then each logged key."""
    for mr in metric_rows:
        data = parse_line(mr)
        row = {"run_id": run_id, "seq": mr["seq"], "step": line_step(mr, data)}
        for key, value in flatten(data).items():
            if key == "_step":
                continue  # it is the step column
            if key == "step" and value == row["step"]:
                continue
            row[key if key not in row else f"metrics.{key}"] = value
        yield row


def metric_curve(metric_rows: list[dict]) -> tuple[list, list]:
    """(steps, values) of the sweep metric over a run's lines, finite values only.

    The store keeps each line's finite sweep-metric value (mval) and `_step`, so most lines
    need no JSON parsing: only a line without `_step` is parsed, for the program's own "step".
    Lines where the metric is missing, NaN or infinite are left out, as W&B's charts do.
    """
    steps, values = [], []
    for mr in metric_rows:
        if mr["mval"] is None:
            continue
        steps.append(mr["step"] if mr["step"] is not None else line_step(mr, parse_line(mr)))
        values.append(mr["mval"])
    return steps, values


def best_so_far(rows: list[dict], metric: Metric) -> list[dict]:
    """Over run order (claim number): each run's best value and the best of all runs up to it."""
    out, best = [], None
    for r in sorted(rows, key=lambda r: (r["number"] is None, r["number"] or 0, r["created_at"] or 0)):
        v = r["best"]
        if is_finite(v) and (best is None or metric.better(v, best)):
            best = v
        out.append({"id": r["id"], "number": r["number"], "value": v if is_finite(v) else None,
                    "best_so_far": best})
    return out


# ---- a project's runs ----------------------------------------------------------------------------


def project_rows(store, project: str) -> tuple[dict, list[dict]]:
    """A project's runs (sweep runs and standalone ones), under a stand-in for a sweep: no
    parameters declared, no metric. Its standalone runs whose program is gone (killed, its
    heartbeat stopped) are marked crashed first, so no killed script is shown `running`."""
    store.reap_standalone(project)
    found = live_runs(store.runs(project=project))
    pseudo = {"id": f"project {project}", "name": None, "state": "",
              "config": {"method": None, "parameters": {}}}
    return pseudo, run_rows(pseudo, found)


def project_columns(rows) -> list[str]:
    """A project's table: the sweep, the run, its parameters, then every metric it logged, named
    as flat_row names them (a metric named like a parameter is summary.<key>: never hidden)."""
    params = sorted({k for r in rows for k in r["params"]})
    param_cols = [k if k not in FIXED_COLUMNS else f"params.{k}" for k in params]
    taken = set(FIXED_COLUMNS) | set(param_cols)
    metrics = sorted({k for r in rows for k in flat_row(r) if k not in taken
                      and not k.split(".")[-1].startswith("_")})
    return ["sweep", "id", "state"] + param_cols + metrics + ["duration"]
