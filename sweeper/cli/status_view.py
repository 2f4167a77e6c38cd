"""`sweeper status`: the sweep's state, progress and runs table, once or live (--watch)."""

from __future__ import annotations

import time

from ..results import progress
from ..results import rows as results
from .render import console as make_console
from .render import number, runs_table


def watch(store, sweep_id: str, interval: float = 1.0, console=None, limit: int | None = None) -> None:
    """A live view that refreshes as runs start, log and end; returns when the sweep is over."""
    from rich.console import Group
    from rich.live import Live

    con = console or make_console()

    def frame():
        store.reap(sweep_id)
        report = progress.summarize(store, store.get_sweep(sweep_id), limit=limit)
        return report, Group(_bar(report), *_parts(report))

    report, view = frame()
    with Live(view, console=con, refresh_per_second=4, transient=False) as live:
        while True:
            done = report["state"] in ("finished", "canceled") and not report["progress"]["running"]
            if done:
                return
            time.sleep(interval)
            report, view = frame()
            live.update(view)


def _bar(report: dict):
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    p = report["progress"]
    if "grid_total" in p:
        total, done, label = p["grid_total"], p["grid_done"], f"{p['grid_done']}/{p['grid_total']} grid points"
    elif "run_cap" in p:
        total, done, label = p["run_cap"], p["runs"], f"{p['runs']}/{p['run_cap']} runs (run_cap)"
    else:
        total, done, label = None, p["ended"], f"{p['ended']} runs ended, {p['running']} running"
    grid = Table.grid(padding=(0, 1))
    grid.add_row(ProgressBar(total=total, completed=done, width=40), label)
    return grid


def render(report: dict, console=None) -> None:

    con = console or make_console()
    for part in _parts(report):
        con.print(part)


def _parts(report: dict) -> list:
    from .render import safe as escape
    from rich.text import Text


    out: list = []
    metric = report["metric"] or {}
    p = report["progress"]
    head = f"[bold]sweep {report['id']}[/bold]"
    if report["name"]:
        head += f" '{escape(report['name'])}'"
    head += f"  {report['method']}  [bold]{report['state']}[/bold]"
    if report.get("revision", 1) > 1:
        head += f"  revision {report['revision']}"
    if report["reason"]:
        head += f" ({escape(report['reason'])})"
    out.append(Text.from_markup(head))
    if "grid_total" in p:
        line = f"grid: {p['grid_done']}/{p['grid_total']} points"
    else:
        line = f"runs: {p['runs']}" + (f" of run_cap {p['run_cap']}" if "run_cap" in p else "")
    line += "   " + ", ".join(f"{n} {s}" for s, n in sorted(report["counts"].items())) if report["counts"] else ""
    if p.get("queued"):
        line += f"   {p['queued']} queued (`sweeper enqueue {report['id']} --list`)"
    if p.get("priors"):
        line += f"   learns from {p['priors']} prior run{'s' if p['priors'] != 1 else ''}"
    out.append(line)
    if metric:
        goal = metric.get("goal", "minimize")
        best = report["best"]
        out.append(f"metric: {escape(metric['name'])} ({goal})"
                   + (f"   best: {number(best['value'])} (run {best['id']})" if best else "   no value yet"))
    if not report["runs"]:
        out.append("No runs yet. Start one with: sweeper agent " + report["id"])
        return out
    out.append(runs_table(report["_rows"], report["_searched"], results.sweep_metric({"config": report}),
                          report["_best_row"]))
    hidden = p["runs"] - report["shown"]
    if hidden > 0:
        which = "the best by the metric" if metric.get("name") else "the first ones"
        out.append(f"{report['shown']} of {p['runs']} runs listed: {which} and the running ones ({hidden} more: "
                   f"--all, or --limit N; `sweeper runs {report['id']}` lists and sorts them all)")
    return out
