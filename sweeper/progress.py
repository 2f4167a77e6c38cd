"""A sweep's state, progress and runs (`sweeper status`), built on results.py's rows."""

from __future__ import annotations

import time

from . import results


def best_run(sweep: dict, runs: list[dict]) -> dict | None:
    """The stored run (parameters nested, command kept) that is best by the sweep metric."""
    live = results.live_runs(runs)
    best = results.best_row(results.run_rows(sweep, live), results.sweep_metric(sweep))
    return None if best is None else next(r for r in live if r["id"] == best["id"])


def summarize(store, sweep: dict) -> dict:
    runs = results.live_runs(store.runs(sweep["id"]))
    config = sweep["config"]
    metric = results.sweep_metric(sweep)
    rows = results.sort_rows(results.run_rows(sweep, runs), metric)
    counts: dict = {}
    for r in runs:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    running = counts.get("running", 0)
    progress: dict = {"runs": len(runs), "ended": len(runs) - running, "running": running}
    if config["method"] == "grid":
        from .methods import grid
        from .space import Space
        progress["grid_total"] = grid.size(Space(config["parameters"]))
        progress["grid_done"] = len(grid.covered(runs))
    if config.get("run_cap"):
        progress["run_cap"] = config["run_cap"]
    best = results.best_row(rows, metric)
    best_params = next((r["params"] for r in runs if best and r["id"] == best["id"]), None)
    return {
        "id": sweep["id"], "name": sweep["name"], "project": sweep["project"], "method": config["method"],
        "state": sweep["state"], "reason": sweep.get("ended_reason"), "target_run_id": sweep.get("target_run_id"),
        "metric": config.get("metric"), "progress": progress, "counts": counts,
        "best": None if best is None else {"id": best["id"], "value": best["best"], "params": best_params},
        "runs": [{k: r[k] for k in ("id", "number", "state", "params", "best", "last", "duration", "stop_reason",
                                   "early_terminated", "n_lines", "host", "gpu")}
                 | {"is_best": best is not None and r["id"] == best["id"]} for r in rows],
        "_rows": rows, "_searched": results.searched_keys(sweep), "_best_row": best,
    }


def watch(store, sweep_id: str, interval: float = 1.0, console=None) -> None:
    """A live view that refreshes as runs start, log and end; returns when the sweep is over."""
    from rich.console import Group
    from rich.live import Live

    from .render import console as make_console

    con = console or make_console()

    def frame():
        store.reap(sweep_id)
        report = summarize(store, store.get_sweep(sweep_id))
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
    from .render import console as make_console

    con = console or make_console()
    for part in _parts(report):
        con.print(part)


def _parts(report: dict) -> list:
    from rich.markup import escape
    from rich.text import Text

    from .render import number, runs_table

    out: list = []
    metric = report["metric"] or {}
    p = report["progress"]
    head = f"[bold]sweep {report['id']}[/bold]"
    if report["name"]:
        head += f" '{escape(report['name'])}'"
    head += f"  {report['method']}  [bold]{report['state']}[/bold]"
    if report["reason"]:
        head += f" ({escape(report['reason'])})"
    out.append(Text.from_markup(head))
    if "grid_total" in p:
        line = f"grid: {p['grid_done']}/{p['grid_total']} points"
    else:
        line = f"runs: {p['runs']}" + (f" of run_cap {p['run_cap']}" if "run_cap" in p else "")
    line += "   " + ", ".join(f"{n} {s}" for s, n in sorted(report["counts"].items())) if report["counts"] else ""
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
    return out


