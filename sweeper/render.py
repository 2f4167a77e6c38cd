"""Small helpers for output meant for people (rich); machine output is plain JSON elsewhere."""

from __future__ import annotations

import math
import time


def console(stderr: bool = False):
    import os
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped into a file or a batch job's log there is no terminal to fit: rich would assume 80
    # columns and drop columns of the runs table. Use a wide page unless COLUMNS says otherwise.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def number(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:.6g}"
    return str(x)


def runs_table(shown: list[dict], keys: list[str], metric, best: dict | None, cols: list[str] | None = None):
    """The runs table of `sweeper runs` and `sweeper status`, from results.run_rows rows."""
    from rich.markup import escape
    from rich.table import Table

    from . import results

    table = Table(box=None, header_style="bold", pad_edge=False)
    if cols:
        for c in cols:
            table.add_column(escape(c), overflow="fold")
        for r in shown:
            flat = results.flat_row(r)
            table.add_row(*[_cell(flat.get(c), c) for c in cols],
                          style="bold" if best and r["id"] == best["id"] else None)
        return table
    # Cells never wrap: a long value is cut with an ellipsis (--json and export have it whole).
    # On a narrow terminal the run ID, state and metric keep their width; parameters and the note give way.
    for name, width in (("", 1), ("run", 8), ("state", 8)):
        table.add_column(name, no_wrap=True, min_width=width)
    for k in keys:
        table.add_column(escape(k), no_wrap=True, overflow="ellipsis", max_width=16, min_width=5)
    if metric.name:
        # number() writes at most 6 significant digits: "-0.000123457" is 12 characters.
        width = max([len(number(r[c])) for r in shown for c in ("best", "last")] + [4])
        header = f"best {metric.name}"
        table.add_column(escape(header), justify="right", no_wrap=True, min_width=max(width, min(len(header), 14)))
        table.add_column("last", justify="right", no_wrap=True, min_width=width)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("note", no_wrap=True, overflow="ellipsis", min_width=6)
    for r in shown:
        is_best = best is not None and r["id"] == best["id"]
        cells = ["*" if is_best else "", r["id"], _state(r["state"])]
        cells += [_cell(r["params"].get(k)) for k in keys]
        if metric.name:
            cells += [number(r["best"]), number(r["last"])]
        cells += [duration(r["duration"]), escape(_note(r))]
        table.add_row(*cells, style="bold" if is_best else None)
    return table


def _note(row) -> str:
    if row["early_terminated"]:
        return "early terminated (hyperband)"  # the whole reason is in --json and export
    if row["stop_reason"]:
        return row["stop_reason"]
    return "logged nothing" if not row["n_lines"] and row["state"] != "running" else ""


def _cell(value, column: str = "") -> str:
    from rich.markup import escape

    if column == "duration":
        return duration(value)
    if column in ("created_at", "started_at", "ended_at"):
        return when(value)
    return escape(value if isinstance(value, str) else number(value))


def _state(state: str) -> str:
    colour = {"running": "cyan", "finished": "green", "failed": "red", "crashed": "red",
              "stopped": "yellow"}.get(state, "white")
    return f"[{colour}]{state}[/{colour}]"
