"""Output meant for people (rich): the console, the runs table, status, importance, the sweeps list.

Machine output is plain JSON (common.emit_json); the numbers come from results/format.py.
"""

from __future__ import annotations

import math

from ..results.format import duration, number, printable, when


def safe(value) -> str:
    """A value from a sweep or a program, for rich: markup escaped, control characters (ESC,
    BEL, OSC title sequences...) written as escapes, so none reaches the terminal raw."""
    from rich.markup import escape

    return escape(printable(value))


def console(stderr: bool = False):
    import os
    import sys

    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # `sweeper status ID | head -1`: the reader has what it wanted. rich exits 1 here,
            # which kills `set -o pipefail` scripts; a closed pipe is a normal end.
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except OSError:
                pass
            raise SystemExit(0)

    stream = sys.stderr if stderr else sys.stdout
    # Piped into a file or a batch job's log there is no terminal to fit: rich would assume 80
    # columns and drop columns of the runs table. Use a wide page unless COLUMNS says otherwise.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    return _Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


PLAIN_ROWS = 500  # above this many rows the table is plain aligned text: rich measures every cell (12 s at 10,000)


def runs_table(shown: list[dict], keys: list[str], metric, best: dict | None, cols: list[str] | None = None,
               width: int | None = None, keep_first: int = 1):
    """The runs table of `sweeper runs` and `sweeper status`, from results.run_rows rows, fitted to
    `width` (the terminal's): the best-run marker, run, state and best value always stay; numbers
    are never cut (parameters show 4 significant digits, metrics 6); when the columns do not
    fit, the note is shortened, then the time, the last value and the parameters from the right
    are left out, and a line says which. With `cols` (--columns, or a project's), the first
    `keep_first` stay and the others are left out from the right; text is shortened first."""
    from ..results import rows as results

    if cols:
        cells = [[_plain_cell(results.cell(r, c), c) for c in cols] for r in shown]
        columns = []
        for i, c in enumerate(cols):
            numeric = all(_is_number_text(row[i]) for row in cells)
            prose = c in PROSE  # IDs, states, dates and numbers are never cut: their column is left out instead
            # Asked for by name: shortened only as far as the width needs (a stop reason's
            # value and threshold are at its end).
            columns.append(_Column(c, right=numeric, keep=i < keep_first, shrink=prose, min_width=min(len(c), 8),
                                   drop=100 + i / 1000))
    else:
        named = any(r.get("name") for r in shown)
        noted = any(_note(r) for r in shown)
        columns = [_Column("", min_width=1, keep=True), _Column("run", min_width=8, keep=True)]
        columns += [_Column("name", min_width=6, max_width=20, shrink=True, drop=70)] if named else []
        columns += [_Column("state", min_width=8, keep=True)]
        columns += [_Column(k, min_width=5, max_width=16, drop=50 + i / 1000) for i, k in enumerate(keys)]
        if metric.name:
            # Named in the line above the table; a long name would make the column wide for nothing.
            label = metric.name if len(metric.name) <= 10 else ""
            columns += [_Column(f"best {label}".strip(), right=True, keep=True),
                        _Column(f"last {label}".strip(), right=True, drop=80)]
        columns += [_Column("time", right=True, drop=90)]
        # Why a run ended, when one did not simply finish; omitted when no listed run has one.
        columns += [_Column("note", min_width=12, max_width=60, shrink=True, drop=100)] if noted else []
        cells = []
        for r in shown:
            row = ["*" if best is not None and r["id"] == best["id"] else "", r["id"]]
            row += [printable(r.get("name") or "")] if named else []
            row += [r["state"]] + [_param_cell(r["params"].get(k)) for k in keys]
            if metric.name:
                row += [number(r["best"]), number(r["last"])]
            cells.append(row + [duration(r["duration"])] + ([printable(_note(r))] if noted else []))
    bold = [best is not None and r["id"] == best["id"] for r in shown]
    state = None if cols else 2 + (1 if named else 0)
    return _fitted(columns, cells, bold, state_column=state, width=width)


PROSE = ("notes", "stop_reason", "name", "tags", "error")  # columns whose text may be shortened to fit


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text == ""
    return True


def _fitted(columns, cells, bold, state_column, width):
    """The table, with the columns that fit in `width`, and a line naming those left out."""
    if width is None:
        width = console().width
    keep, widths, dropped = _fit(columns, cells, width)
    columns = [columns[i] for i in keep]
    cells = [[row[i] for i in keep] for row in cells]
    for c, w in zip(columns, widths):
        c.width = w
    table = PlainTable(columns, cells) if len(cells) > PLAIN_ROWS else _rich_table(columns, cells, bold, state_column)
    if not dropped:
        return table
    from rich.console import Group
    from rich.text import Text

    note = (f"not shown in {width} columns: {', '.join(dropped)} (a wider terminal shows them; --columns "
            "picks columns, --json has every value)")
    return Group(table, Text(printable(note), style="dim"))


def _fit(columns, cells, width: int):
    """(indices of the columns kept, their widths, headers of those left out) for a table of
    `width` characters with two spaces between columns."""
    natural = []
    for i, c in enumerate(columns):
        w = max([len(c.header), c.min_width or 0] + [len(row[i]) for row in cells])
        natural.append(min(w, c.max_width) if c.max_width else w)
    keep = list(range(len(columns)))
    widths = dict(enumerate(natural))

    def total():
        return sum(widths[i] for i in keep) + 2 * (len(keep) - 1)

    for i in keep:  # text that may be shortened gives way first
        if columns[i].shrink and total() > width:
            widths[i] = max(columns[i].min_width or 1, widths[i] - (total() - width))
    dropped = []
    while total() > width:
        candidates = [i for i in keep if not columns[i].keep]
        if not candidates:
            break  # what must stay does not fit: rich squeezes the text columns
        out = max(candidates, key=lambda i: columns[i].drop)
        keep.remove(out)
        dropped.append(columns[out].header)
    return keep, [widths[i] for i in keep], sorted(dropped, key=lambda h: [c.header for c in columns].index(h))


class _Column:
    def __init__(self, header: str, right: bool = False, min_width: int | None = None,
                 max_width: int | None = None, keep: bool = False, shrink: bool = False, drop: float = 0):
        # keep: never left out; shrink: text that may be cut (to min_width) before columns are left
        # out; drop: the order columns are left out in, highest first.
        self.header, self.right, self.min_width, self.max_width = header, right, min_width, max_width
        self.keep, self.shrink, self.drop = keep, shrink, drop
        self.width: int | None = None


def _rich_table(columns, cells, bold, state_column):
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for c in columns:
        table.add_column(safe(c.header), justify="right" if c.right else "left", no_wrap=True,
                         overflow="ellipsis", min_width=c.width or c.min_width, max_width=c.width or c.max_width)
    for row, is_best in zip(cells, bold):
        shown = [_state(v) if i == state_column else escape(v) for i, v in enumerate(row)]
        table.add_row(*shown, style="bold" if is_best else None)
    return table


class PlainTable:
    """The runs table as aligned plain text, drawn in one pass: what rich's Table shows (two
    spaces between columns, cells cut with an ellipsis at their column's max width), for tables
    too long for rich to measure cell by cell."""

    def __init__(self, columns, cells):
        self.columns, self.cells = columns, cells

    def lines(self):
        cut = [[_cut(v, c.width or c.max_width) for v, c in zip(row, self.columns)] for row in self.cells]
        widths = [max([len(c.header), c.min_width or 0] + [len(r[i]) for r in cut])
                  for i, c in enumerate(self.columns)]
        for row in [[c.header for c in self.columns], *cut]:
            yield "  ".join(v.rjust(w) if c.right else v.ljust(w)
                            for v, w, c in zip(row, widths, self.columns)).rstrip()

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        first = True
        for line in self.lines():
            yield Segment(line + "\n", console.get_style("bold") if first else None)
            first = False


def _cut(text: str, width: int | None) -> str:
    return text if width is None or len(text) <= width else text[:width - 1] + "…"


def _param_cell(value) -> str:
    """A parameter in a table: 4 significant digits (--json, export and `show` have it whole)."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return _plain_cell(value)


def _plain_cell(value, column: str = "") -> str:
    if column == "tags" and isinstance(value, list):
        return printable(", ".join(map(str, value)))
    if column == "duration":
        return duration(value)
    if column in ("created_at", "started_at", "ended_at"):
        return when(value)
    return printable(value if isinstance(value, str) else number(value))


def _note(row) -> str:
    if row["early_terminated"]:
        return "early terminated (hyperband)"  # the whole reason is in --json and export
    if row["stop_reason"]:
        return row["stop_reason"]
    return "logged nothing" if not row["n_lines"] and row["state"] != "running" else ""


def _state(state: str) -> str:
    colour = {"running": "cyan", "finished": "green", "failed": "red", "crashed": "red", "interrupted": "magenta",
              "stopped": "yellow"}.get(state, "white")
    return f"[{colour}]{state}[/{colour}]"


def print_runs(sweep, rows, shown, metric, best, cols, total: int | None = None):
    """The runs table under a head line; total: the sweep's run count when `rows` is not every run."""

    from ..results import rows as results
    from .render import console, number, runs_table

    con = console()
    head = f"[bold]{'' if sweep['id'].startswith('project ') else 'sweep '}{safe(sweep['id'])}[/bold]"
    if sweep.get("name"):
        head += f" '{safe(sweep['name'])}'"
    head += (f"  {sweep['state']}" if sweep["state"] else "") + f"  {len(rows) if total is None else total} runs"
    if metric.name:
        head += f"  metric: {safe(metric.name)} ({metric.goal})"
        head += f"  best: {number(best['best'])} (run {best['id']})" if best else "  no value yet"
    con.print(head)
    project = sweep["id"].startswith("project ")
    if not shown:
        con.print("No runs" + (" match." if rows else f" in {safe(sweep['id'])}." if project else
                               f" yet. Start one with: sweeper agent {sweep['id']}"))
        return
    con.print(runs_table(shown, results.searched_keys(sweep), metric, best, cols, width=con.width,
                         keep_first=3 if project and cols and cols[:3] == ["sweep", "id", "state"] else 1))


def print_importance(sweep, analysis):
    import click
    from rich.table import Table

    if analysis.note:
        # Plain echo: a sentence for a person, never cut by rich's wrapping.
        click.echo(f"sweep {sweep['id']}: no parameter importance yet: {analysis.note}.")
        return
    con = console()
    con.print(f"[bold]sweep {sweep['id']}[/bold]: what drives {safe(analysis.metric)} ({analysis.goal}), "
              f"from {analysis.n_runs} runs")
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("parameter", overflow="fold")
    table.add_column("importance", justify="right")
    table.add_column("")
    table.add_column("correlation", justify="right")
    table.add_column("")
    for p in analysis.params:
        imp = p.importance or 0.0
        corr = p.correlation
        table.add_row(safe(p.key), f"{imp:.3f}", f"[blue]{_bar(imp, 20)}[/blue]",
                      "n/a" if corr is None else f"{corr:+.2f}",
                      "" if corr is None else _corr_bar(corr, 10))
    con.print(table)
    con.print("[dim]importance: share of a random forest predicting the metric; correlation: Spearman "
              "(+: the metric rises with the parameter)[/dim]")


def _bar(fraction: float, width: int) -> str:
    """A bar of block characters, with eighths for the last cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else "")


def _corr_bar(corr: float, width: int) -> str:
    colour = "red" if corr > 0 else "green"
    return f"[{colour}]{_bar(abs(corr), width)}[/{colour}]"


def sweeps_table(rows: list[dict]):
    """`sweeper sweeps`: one line per sweep with its run counts."""
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for col in ("ID", "name", "project", "method", "state", "runs", "created"):
        table.add_column(col)
    for s in rows:
        counts = s["run_counts"]
        total = sum(counts.values())
        detail = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        table.add_row(s["id"], safe(s["name"] or ""), safe(s["project"] or ""), s["method"], s["state"],
                      f"{total}" + (f" ({detail})" if detail else ""), when(s["created_at"]))
    return table


def print_run(record: dict):
    """`sweeper show`: one run as labelled lines, values escaped."""
    from ..results import rows as results
    from ..results.format import shell_join

    con = console()
    where = f"#{record['number']} of sweep {record['sweep_id']}" if record["sweep_id"] else "standalone run"
    if record.get("project"):
        where += f", project {safe(record['project'])}"
    extra = " (superseded by a later run of its parameters)" if record["superseded"] else ""
    con.print(f"[bold]run {record['id']}[/bold]  {where}  {_state(record['state'])}{extra}")

    def line(label, value):
        if value not in (None, "", [], {}):
            con.print(f"  [bold]{label:<9}[/bold] {value}")

    line("name", safe(record.get("name") or ""))
    line("tags", safe(", ".join(record["tags"])))
    line("notes", safe(record.get("notes") or ""))
    line("origin", {"queued": "enqueued by a user", "rerun": "a rerun of an earlier run's parameters"}
         .get(record.get("origin") or "", ""))
    if record["metric"]:
        if record["best"] is not None:
            shown = f"best {number(record['best'])}" + (
                f" at step {record['best_step']}" if record["best_step"] is not None else "")
            shown += f", last {safe(number(record['last']))}"
        elif record["last"] is not None:  # NaN or another value that is not a finite number
            shown = f"no finite value, last {safe(number(record['last']))}"
        else:
            shown = "not logged"
        line("metric", f"{safe(record['metric'])} ({record['goal']}): {shown}")
    for i, (key, value) in enumerate(results.flatten(record["params"]).items()):
        line("params" if i == 0 else "", f"{safe(key)} = {safe(number(value) if not isinstance(value, str) else value)}")
    summary = {k: v for k, v in results.flatten(record["summary"]).items() if not k.startswith("_")}
    for i, (key, value) in enumerate(summary.items()):
        line("summary" if i == 0 else "", f"{safe(key)} = {safe(number(value) if not isinstance(value, str) else value)}")
    ended = record.get("stop_reason") or ("" if not record["exit_code"] else f"exit code {record['exit_code']}")
    line("ended", safe(ended))
    ran = when(record.get("started_at") or record.get("created_at"))
    if record.get("duration") is not None:
        ran += f", {duration(record['duration'])}"
    if record.get("host"):
        ran += f", on {safe(record['host'])}" + (f" (GPU {safe(record['gpu'])})" if record.get("gpu") else "")
    line("ran", ran)
    if record.get("command"):
        line("command", safe(shell_join(record["command"])))
    if record.get("error") and record["state"] in ("failed", "crashed"):
        con.print("  [bold]error[/bold]")
        for text in record["error"].rstrip().splitlines()[-10:]:
            con.print("    " + safe(text))


def print_comparison(found):
    """`sweeper compare`: what was compared, what every run shares, then a row per run."""
    con = console()
    con.print("[bold]compared[/bold]: " + safe("; ".join(found.sources)))
    if found.same:
        shared = "  ".join(f"{k}={v if isinstance(v, str) else number(v)}" for k, v in found.same.items())
        con.print("[bold]same in all[/bold]: " + safe(shared))
    # Left out first: the logged metrics, the run's name, its metric's name; the parameters that
    # differ (what a comparison is for) go after those, from the right; then state and sweep.
    columns = [_Column("run", min_width=8, keep=True), _Column("sweep", min_width=8, drop=40),
               _Column("name", max_width=16, shrink=True, min_width=6, drop=70), _Column("state", min_width=8, drop=50),
               _Column("metric", max_width=20, shrink=True, min_width=6, drop=65), _Column("value", right=True, keep=True)]
    columns += [_Column(k, min_width=5, max_width=16, drop=60 + i / 1000) for i, k in enumerate(found.differ)]
    columns += [_Column(k, right=True, min_width=5, max_width=16, drop=90 + i / 1000)
                for i, k in enumerate(found.metrics)]
    cells = []
    for r in found.runs:
        row = [r["id"], r["sweep_id"] or "-", printable(r["name"] or ""), r["state"], printable(r["metric"] or ""),
               number(r["value"])]
        row += [_param_cell(r["params"].get(k)) for k in found.differ]
        row += [_plain_cell(r["summary"].get(k)) for k in found.metrics]
        cells.append(row)
    con.print(_fitted(columns, cells, [False] * len(cells), state_column=3, width=con.width))
