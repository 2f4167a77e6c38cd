"""Output meant for people (rich): the console, the runs table, status, importance, the sweeps list.

Machine output is plain JSON (common.emit_json); the numbers come from results/format.py.
"""

from __future__ import annotations

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


def runs_table(shown: list[dict], keys: list[str], metric, best: dict | None, cols: list[str] | None = None):
    """The runs table of `sweeper runs` and `sweeper status`, from results.run_rows rows."""
    from ..results import rows as results

    if cols:
        columns = [_Column(c, fold=True) for c in cols]
        cells = [[_plain_cell(results.cell(r, c), c) for c in cols] for r in shown]
    else:
        # Cells never wrap: a long value is cut with an ellipsis (--json and export have it whole).
        # On a narrow terminal the run ID, state and metric keep their width; parameters and the note give way.
        columns = [_Column("", min_width=1), _Column("run", min_width=8), _Column("state", min_width=8)]
        columns += [_Column(k, min_width=5, max_width=16) for k in keys]
        if metric.name:
            # number() writes at most 6 significant digits: "-0.000123457" is 12 characters.
            width = max([len(number(r[c])) for r in shown for c in ("best", "last")] + [4])
            header = f"best {metric.name}"
            columns += [_Column(header, right=True, min_width=max(width, min(len(header), 14))),
                        _Column("last", right=True, min_width=width)]
        columns += [_Column("time", right=True), _Column("note", min_width=6, max_width=60)]
        cells = []
        for r in shown:
            row = ["*" if best is not None and r["id"] == best["id"] else "", r["id"], r["state"]]
            row += [_plain_cell(r["params"].get(k)) for k in keys]
            if metric.name:
                row += [number(r["best"]), number(r["last"])]
            cells.append(row + [duration(r["duration"]), printable(_note(r))])
    bold = [best is not None and r["id"] == best["id"] for r in shown]
    if len(shown) > PLAIN_ROWS:
        return PlainTable(columns, cells)
    return _rich_table(columns, cells, bold, state_column=None if cols else 2)


class _Column:
    def __init__(self, header: str, right: bool = False, min_width: int | None = None,
                 max_width: int | None = None, fold: bool = False):
        self.header, self.right, self.min_width, self.max_width, self.fold = header, right, min_width, max_width, fold


def _rich_table(columns, cells, bold, state_column):
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for c in columns:
        if c.fold:
            table.add_column(safe(c.header), overflow="fold")
        else:
            table.add_column(safe(c.header), justify="right" if c.right else "left", no_wrap=True,
                             overflow="ellipsis", min_width=c.min_width, max_width=c.max_width)
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
        cut = [[_cut(v, c.max_width) for v, c in zip(row, self.columns)] for row in self.cells]
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


def _plain_cell(value, column: str = "") -> str:
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


def print_runs(sweep, rows, shown, metric, best, cols):

    from ..results import rows as results
    from .render import console, number, runs_table

    con = console()
    head = f"[bold]{'' if sweep['id'].startswith('project ') else 'sweep '}{safe(sweep['id'])}[/bold]"
    if sweep.get("name"):
        head += f" '{safe(sweep['name'])}'"
    head += (f"  {sweep['state']}" if sweep["state"] else "") + f"  {len(rows)} runs"
    if metric.name:
        head += f"  metric: {safe(metric.name)} ({metric.goal})"
        head += f"  best: {number(best['best'])} (run {best['id']})" if best else "  no value yet"
    con.print(head)
    if not shown:
        con.print("No runs" + (" match." if rows else f" yet. Start one with: sweeper agent {sweep['id']}"))
        return
    con.print(runs_table(shown, results.searched_keys(sweep), metric, best, cols))


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
        best = "no value" if record["best"] is None else f"best {number(record['best'])}" + (
            f" at step {record['best_step']}" if record["best_step"] is not None else "")
        line("metric", f"{safe(record['metric'])} ({record['goal']}): {best}, last {number(record['last'])}")
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
    columns = [_Column("run", min_width=8), _Column("sweep", min_width=8), _Column("name", max_width=16),
               _Column("state", min_width=8), _Column("metric", max_width=20), _Column("value", right=True)]
    columns += [_Column(k, min_width=5, max_width=16) for k in found.differ]
    columns += [_Column(k, right=True, min_width=5, max_width=16) for k in found.metrics]
    cells = []
    for r in found.runs:
        row = [r["id"], r["sweep_id"] or "-", printable(r["name"] or ""), r["state"], printable(r["metric"] or ""),
               number(r["value"])]
        row += [_plain_cell(r["params"].get(k)) for k in found.differ]
        row += [_plain_cell(r["summary"].get(k)) for k in found.metrics]
        cells.append(row)
    con.print(_rich_table(columns, cells, [False] * len(cells), state_column=3))
