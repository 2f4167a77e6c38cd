"""What each page shows, as plain JSON-able data: the dashboard serves it, the report embeds it.

One data path, two renderings (as datasette): `sweeper ui` answers /api/... with these dicts,
and `sweeper report` writes the same dicts into one HTML file that the same page script
draws offline. Nothing here escapes: values stay data, and the page shows them as text.

    overview(store)            every sweep and project, with state, counts and progress
    sweep_page(store, sweep)   a sweep: facts, progress and ETA, config, search space, rows
    page_rows(...)             runs as the pages' table rows (flat params and summary)
    run_page(store, run_id)    one run: parameters, summary, command, the log's tail
    runs_page(store, ids)      any runs, from any sweeps or projects, with a sweep column
    compare_page(store, refs)  the same from `sweeper compare`'s references (results/compare.py)
"""

from __future__ import annotations

import time

from . import rows as results
from .rows import Metric

LOG_TAIL_BYTES = 8_000


def page_row(row: dict, run: dict) -> dict:
    """A run as a row of the pages' tables: flat params and summary, one number (the claim
    order within its sweep; a standalone run has none), the note shown in the table."""
    note = row["stop_reason"] or ("no metric lines" if not row["n_lines"] and run["state"] != "running" else "")
    summary = {k: v for k, v in row["summary"].items() if not k.startswith("_")}
    return {
        "id": row["id"], "number": row["number"], "name": row["name"], "state": row["state"],
        "sweep": run.get("sweep_id"), "project": run.get("project"),
        "params": row["params"], "summary": summary, "best": row["best"], "last": row["last"],
        "duration": row["duration"], "n_lines": row["n_lines"], "note": note,
        "early_terminated": row["early_terminated"], "band": run.get("band"),
        "agent": run.get("agent_id"), "host": row["host"], "gpu": row["gpu"],
        "created_at": row["created_at"], "started_at": row["started_at"], "ended_at": row["ended_at"],
    }


def page_rows(sweep: dict, runs: list[dict], now: float | None = None) -> list[dict]:
    rows = results.run_rows(sweep, runs, now)
    return [page_row(r, run) for r, run in zip(rows, runs)]


def metric_keys(rows: list[dict], metric: Metric) -> list[str]:
    """Numeric keys the runs logged, the sweep metric first: what a curve's y (or x) can be."""
    keys = {k for r in rows for k, v in r["summary"].items() if results.is_number(v)}
    first = [metric.name] if metric.name in keys else []
    return first + sorted(keys - set(first))


# ---- the list of everything -------------------------------------------------------------------


def overview(store) -> dict:
    sweeps = []
    for s in store.sweep_overviews():
        counts = s.get("run_counts", {})
        total = sum(counts.values())
        metric = results.sweep_metric(s)
        best = store.best_value(s["id"], metric.maximize) if metric.name else None
        sweeps.append({"id": s["id"], "name": s["name"], "project": s["project"], "method": s["method"],
                       "state": s["state"], "reason": s.get("ended_reason"), "counts": counts, "runs": total,
                       "cap": _planned(s), "metric": metric.name, "goal": metric.goal,
                       "best": best[0] if best else None, "best_run": best[1] if best else None,
                       "created_at": s["created_at"], "updated_at": s["updated_at"]})
    return {"sweeps": sweeps, "projects": store.project_overviews(), "store": store.display_url}


def _planned(sweep: dict) -> int | None:
    """How many runs the sweep will make, when that is known: its run_cap, or its grid's size."""
    config = sweep["config"]
    cap = config.get("run_cap")
    if config["method"] == "grid":
        from ..search import grid, space_of

        size = grid.size(space_of(sweep))
        return min(size, cap) if cap else size
    return cap


# ---- a sweep ------------------------------------------------------------------------------------


def sweep_page(store, sweep: dict, now: float | None = None) -> dict:
    """The sweep page: its head (sweep_head) and every live run as a row."""
    now = now if now is not None else time.time()
    metric = results.sweep_metric(sweep)
    rows = page_rows(sweep, results.live_runs(store.runs(sweep["id"])), now)
    return sweep_head(store, sweep, now) | {
        "keys": results.searched_keys(sweep), "space": search_space(sweep),
        "metric_keys": metric_keys(rows, metric), "rows": rows}


def sweep_head(store, sweep: dict, now: float | None = None) -> dict:
    """Facts, counts, progress with an ETA, the best run: aggregated by the database, so a live
    page asks for it on every change at any sweep size."""
    now = now if now is not None else time.time()
    metric = results.sweep_metric(sweep)
    counts = store.count_runs(sweep["id"])
    best = store.best_value(sweep["id"], metric.maximize) if metric.name else None
    best_run = store.get_run(best[1]) if best else None
    return {"sweep": sweep_facts(sweep), "metric": {"name": metric.name, "goal": metric.goal},
            "counts": counts, "progress": progress(sweep, counts, *store.ended_durations(sweep["id"])),
            "best": None if best is None else {"id": best[1], "number": best_run["number"], "value": best[0]},
            "generated_at": now}


def sweep_facts(sweep: dict) -> dict:
    import json

    return {"id": sweep["id"], "name": sweep["name"], "project": sweep["project"], "entity": sweep.get("entity"),
            "method": sweep["method"], "state": sweep["state"], "reason": sweep.get("ended_reason"),
            "created_at": sweep["created_at"], "source": sweep.get("source"),
            "config": sweep["config"], "config_text": sweep.get("config_raw") or json.dumps(sweep["config"])}


def search_space(sweep: dict) -> list[dict]:
    """Each parameter: its key, distribution, and its range or values, as the sweep file says."""
    from ..sweepfile.space import Space

    out = []
    for p in Space(sweep["config"]["parameters"]):
        spec = {k: v for k, v in p.spec.items() if k in ("min", "max", "values", "value", "probabilities",
                                                         "mu", "sigma", "q", "a", "b")}
        out.append({"key": p.key, "distribution": p.distribution, "searched": not p.is_constant, **spec})
    return out


def progress(sweep: dict, counts: dict, n_timed: int, mean_s: float | None) -> dict:
    """Runs planned and ended; an ETA from the ended runs' mean duration and how many run at once."""
    planned = _planned(sweep)
    total = sum(counts.values())
    running = counts.get("running", 0)
    out = {"runs": total, "ended": total - running, "running": running, "planned": planned, "eta_s": None}
    if planned and n_timed and mean_s is not None and sweep["state"] == "running" and running:
        # The running runs are partly done: count each as half a run left.
        left = max(0.0, planned - (total - running) - running / 2)
        out["eta_s"] = left * mean_s / running
    return out


# ---- runs of any sweeps -------------------------------------------------------------------------


def runs_page(store, run_ids, sources=None) -> dict:
    """Runs from any sweeps and projects (the compare view), in the order given: rows with a
    sweep column, every parameter key of any of them, what they share and what differs
    (results/compare.py, as `sweeper compare` says it), the numeric keys they logged."""
    from .compare import compare

    order = {rid: i for i, rid in enumerate(dict.fromkeys(run_ids))}
    runs = sorted(store.runs_by_id(run_ids), key=lambda r: order[r["id"]])
    sweeps = {sid: store.get_sweep(sid) for sid in {r["sweep_id"] for r in runs if r["sweep_id"]}}
    comparison = compare([(run, sweeps.get(run["sweep_id"])) for run in runs], sources)
    rows = [page_row(results.run_row(run, results.sweep_metric(sweeps.get(run["sweep_id"]) or _STANDALONE)), run)
            for run in runs]
    numeric = {k for r in rows for k, v in r["summary"].items() if results.is_number(v)}
    return {"rows": rows, "param_keys": sorted({k for r in rows for k in r["params"]}), "differ": comparison.differ,
            "same": comparison.same, "metric_keys": [k for k in comparison.metrics if k in numeric],
            "sources": comparison.sources,
            "sweeps": {sid: {"name": s["name"], "project": s["project"],
                             "metric": results.sweep_metric(s).name, "goal": results.sweep_metric(s).goal}
                       for sid, s in sweeps.items()}}


def compare_page(store, refs) -> dict:
    """The compare view of references as `sweeper compare` takes them: run IDs, sweep IDs (the
    sweep's best run), project:NAME (every run of the project)."""
    from .compare import gather

    comparison = gather(store, refs)
    return runs_page(store, [r["id"] for r in comparison.runs], comparison.sources)


def project_page(store, project: str | None) -> dict:
    """A project's runs, standalone and of its sweeps, in one table with a sweep column."""
    store.reap_standalone(project)  # a killed script is not shown running (results.project_rows)
    runs = results.live_runs(store.runs(project=project)) if project is not None else store.standalone_runs(None)
    page = runs_page(store, [r["id"] for r in runs])
    page["project"] = project
    page["sweep_list"] = [{"id": s["id"], "name": s["name"], "state": s["state"]}
                          for s in store.sweep_overviews() if s["project"] == project]
    return page


_STANDALONE = {"id": None, "config": {"method": None, "parameters": {}}}  # no metric, no parameters declared


def run_page(store, run_id: str) -> dict:
    from .logs import LogNotHere, output_path
    from .progress import reproduce_command

    run = store.get_run(run_id)
    sweep = store.get_sweep(run["sweep_id"]) if run["sweep_id"] else None
    page = runs_page(store, [run_id])
    row = page["rows"][0]
    try:
        command = reproduce_command(sweep, run) if sweep else run.get("command")
    except Exception:  # noqa: BLE001 - a command that cannot be rebuilt is left out, not an error page
        command = run.get("command")
    from .format import shell_join

    try:
        path = output_path(run)
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - LOG_TAIL_BYTES))
            tail = f.read().decode("utf-8", "replace")
        log = {"tail": tail, "cut": size > LOG_TAIL_BYTES, "path": path}
    except (LogNotHere, OSError) as exc:
        log = {"tail": None, "cut": False, "path": None, "why": str(exc)}
    return {"row": row, "sweep": sweep_facts(sweep) if sweep else None,
            "metric": page["sweeps"].get(run["sweep_id"], {}).get("metric"),
            "goal": page["sweeps"].get(run["sweep_id"], {}).get("goal"),
            "metric_keys": page["metric_keys"], "params_nested": run["params"],
            "command": shell_join(command) if command else None, "log": log,
            "error": run.get("error"), "exit_code": run.get("exit_code"), "git_commit": run.get("git_commit"),
            "python_version": run.get("python_version")}


