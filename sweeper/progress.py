"""A sweep's state, progress and runs table (`sweeper status`), and its best run."""

from __future__ import annotations

import math
import time


def metric_of(sweep: dict) -> tuple[str | None, bool]:
    m = sweep["config"].get("metric") or {}
    return m.get("name"), m.get("goal") == "maximize"


def rank_key(run: dict, maximize: bool):
    v = run.get("best_value")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return (1, 0.0)
    return (0, -v if maximize else v)


def best_run(sweep: dict, runs: list[dict]) -> dict | None:
    _, maximize = metric_of(sweep)
    scored = [r for r in runs if r.get("best_value") is not None]
    return min(scored, key=lambda r: rank_key(r, maximize)) if scored else None


def flat_params(params: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in (params or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_params(value, name + "."))
        else:
            out[name] = value
    return out


def summarize(store, sweep: dict) -> dict:
    runs = [r for r in store.runs(sweep["id"]) if not r["superseded"]]
    name, maximize = metric_of(sweep)
    config = sweep["config"]
    counts: dict = {}
    for r in runs:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    ended = sum(n for s, n in counts.items() if s != "running")
    progress: dict = {"runs": len(runs), "ended": ended, "running": counts.get("running", 0)}
    if config["method"] == "grid":
        from .methods import grid
        from .space import Space
        space = Space(config["parameters"])
        progress["grid_total"] = grid.size(space)
        progress["grid_done"] = len(grid.covered(runs) - {None})
    if config.get("run_cap"):
        progress["run_cap"] = config["run_cap"]
    best = best_run(sweep, runs)
    now = time.time()
    rows = []
    for r in sorted(runs, key=lambda r: rank_key(r, maximize)):
        start, end = r.get("started_at"), r.get("ended_at")
        last = (r.get("summary") or {}).get(name) if name else None
        rows.append({
            "id": r["id"], "number": r["number"], "state": r["state"], "params": flat_params(r["params"]),
            "best": r.get("best_value"), "last": last,
            "duration": (end or now) - start if start else None,
            "stop_reason": r.get("stop_reason"), "host": r.get("host"), "gpu": r.get("gpu"),
            "is_best": best is not None and r["id"] == best["id"],
        })
    return {
        "id": sweep["id"], "name": sweep["name"], "project": sweep["project"], "method": config["method"],
        "state": sweep["state"], "reason": sweep.get("ended_reason"), "target_run_id": sweep.get("target_run_id"),
        "metric": config.get("metric"), "progress": progress, "counts": counts,
        "best": None if best is None else {"id": best["id"], "value": best["best_value"], "params": best["params"]},
        "runs": rows,
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
    from rich.table import Table
    from rich.text import Text

    from .render import duration, number

    from rich.markup import escape

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
    keys = sorted({k for r in report["runs"] for k in r["params"]})
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("")
    table.add_column("run")
    table.add_column("state")
    for k in keys:
        table.add_column(k, overflow="fold")
    if metric:
        table.add_column(f"best {metric['name']}", justify="right")
        table.add_column("last", justify="right")
    table.add_column("time", justify="right")
    table.add_column("note", overflow="fold")
    for r in report["runs"]:
        cells = ["*" if r["is_best"] else "", f"{r['id']} #{r['number']}", _state(r["state"])]
        cells += [_cell(r["params"].get(k)) for k in keys]
        if metric:
            cells += [number(r["best"]), number(r["last"])]
        cells += [duration(r["duration"]), r["stop_reason"] or ""]
        table.add_row(*cells, style="bold" if r["is_best"] else None)
    out.append(table)
    return out


def _state(state: str) -> str:
    colour = {"running": "cyan", "finished": "green", "failed": "red", "crashed": "red",
              "stopped": "yellow"}.get(state, "white")
    return f"[{colour}]{state}[/{colour}]"


def _cell(value) -> str:
    from rich.markup import escape

    from .render import number
    return escape(number(value)) if not isinstance(value, str) else escape(value)
