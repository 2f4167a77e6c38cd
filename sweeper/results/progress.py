"""A sweep's state, progress and best run (`sweeper status`, `sweeper best`), as plain data."""

from __future__ import annotations

from . import rows as results


def best_run(sweep: dict, runs: list[dict]) -> dict | None:
    """The stored run (parameters nested, command kept) that is best by the sweep metric."""
    live = results.live_runs(runs)
    best = results.best_row(results.run_rows(sweep, live), results.sweep_metric(sweep))
    return None if best is None else next(r for r in live if r["id"] == best["id"])


def summarize(store, sweep: dict, limit: int | None = None) -> dict:
    """State, progress, counts, the best run and the runs table of a sweep, as plain data.

    limit: only the `limit` best runs and the running ones are read and listed (the counts and
    the best run still cover every run), so `status` costs the same at 100 runs or 10,000."""
    config = sweep["config"]
    metric = results.sweep_metric(sweep)
    if limit is None:
        runs = results.live_runs(store.runs(sweep["id"]))
        counts: dict = {}
        for r in runs:
            counts[r["state"]] = counts.get(r["state"], 0) + 1
    else:
        runs = store.top_runs(sweep["id"], metric.maximize, limit)
        counts = store.count_runs(sweep["id"])
    rows = results.sort_rows(results.run_rows(sweep, runs), metric)
    total = sum(counts.values())
    running = counts.get("running", 0)
    progress: dict = {"runs": total, "ended": total - running, "running": running}
    if config["method"] == "grid":
        from ..search import grid, space_of
        progress["grid_total"] = grid.size(space_of(sweep))
        progress["grid_done"] = len(grid.covered(runs)) if limit is None else store.grid_points_done(sweep["id"])
    if config.get("run_cap"):
        progress["run_cap"] = config["run_cap"]
    best = results.best_row(rows, metric)
    best_params = next((r["params"] for r in runs if best and r["id"] == best["id"]), None)
    progress["queued"] = len(store.queued(sweep["id"]))
    progress["priors"] = len(store.prior_runs(sweep["id"]))
    return {
        "id": sweep["id"], "name": sweep["name"], "project": sweep["project"], "method": config["method"],
        "state": sweep["state"], "reason": sweep.get("ended_reason"), "target_run_id": sweep.get("target_run_id"),
        "revision": sweep.get("revision") or 1,
        "metric": config.get("metric"), "progress": progress, "counts": counts,
        "best": None if best is None else {"id": best["id"], "value": best["best"], "params": best_params},
        "shown": len(rows),
        "runs": [{k: r[k] for k in ("id", "number", "state", "params", "best", "last", "duration", "stop_reason",
                                   "early_terminated", "n_lines", "host", "gpu")}
                 | {"is_best": best is not None and r["id"] == best["id"]} for r in rows],
        "_rows": rows, "_searched": results.searched_keys(sweep), "_best_row": best,
    }


def reproduce_command(sweep: dict, run: dict) -> list[str]:
    """The argv that ran `run` (as recorded), or the one the sweep's command would build for it."""
    if run.get("command"):
        return run["command"]
    from ..agents.command import build

    return build(sweep["config"]["command"], run["params"], sweep["config"].get("program"),
                 args_json_file="args.json")
