"""Runs from elsewhere that a bayes sweep learns from (a warm start, as W&B's --prior_run).

A prior run joins the sweep's history as a finished observation of its parameters, never as
one of the sweep's own runs: it is not counted, numbered or shown as the sweep's. It must
fit the sweep's space (each searched parameter drawable from it; a constant that differs is
only noted) and have a value of the sweep's metric: its best value when its own sweep had the
same metric and goal, else the last value it logged under that name.
"""

from __future__ import annotations

import math

ENDED = ("finished", "stopped", "failed", "crashed", "interrupted")


def value_of(run: dict, metric: dict) -> float | None:
    """The run's value of `metric` ({name, goal}): finite, or None."""
    own = ((run.get("source_config") or {}).get("metric") or {})
    if own.get("name") == metric.get("name") and own.get("goal", "minimize") == metric.get("goal", "minimize"):
        value = run.get("best_value")
    else:
        value = (run.get("summary") or {}).get(metric.get("name"))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def candidates(store, run_ids=(), sweep_ids=()) -> list[dict]:
    """The runs named, and every ended live run of the sweeps named, each with `source_config`
    (its own sweep's config). `store` is a store.Store; NotFound for an unknown ID."""
    runs = [store.get_run(rid) for rid in run_ids]
    for ref in sweep_ids:
        other = store.get_sweep(ref)
        runs += [r for r in store.runs(other["id"], include_superseded=False) if r["state"] in ENDED]
    configs: dict = {}
    for r in runs:
        if r["sweep_id"] and r["sweep_id"] not in configs:
            configs[r["sweep_id"]] = store.get_sweep(r["sweep_id"])["config"]
        r["source_config"] = configs.get(r["sweep_id"])
    return runs


def check(config: dict, runs: list[dict]) -> tuple[list[str], dict, dict]:
    """Which of `runs` (with source_config) a sweep of `config` can learn from:
    (accepted IDs, {id: why not}, {id: note on constants that differ})."""
    from ..sweepfile.space import Space

    space = Space(config["parameters"])
    metric = config.get("metric") or {}
    accepted, refused, notes = [], {}, {}
    for run in runs:
        rid = run["id"]
        if not metric.get("name"):
            refused[rid] = "the sweep has no metric to learn"
        elif run["state"] not in ENDED:
            refused[rid] = f"it is {run['state']}: only ended runs are learned from"
        elif value_of(run, metric) is None and run["state"] in ("finished", "stopped"):
            refused[rid] = f"it has no value of {metric['name']}"
        else:
            params = run.get("params") or {}
            wrong = space.misfits(params, params=space.searchable)
            if wrong:
                refused[rid] = "its parameters do not fit the sweep's: " + "; ".join(wrong)
                continue
            odd = space.misfits(params, partial=True, params=[p for p in space if p.is_constant])
            if odd:
                notes[rid] = "; ".join(odd)
            accepted.append(rid)
    return accepted, refused, notes


def as_history(config: dict, runs: list[dict]) -> list[dict]:
    """Prior runs as the method reads its history: ended, numbered 0 (before the sweep's own),
    their value of the sweep's metric as best_value, marked prior."""
    metric = config.get("metric") or {}
    out = []
    for run in runs:
        if run["state"] not in ENDED:
            continue
        out.append(dict(run, number=0, superseded=False, prior=True, best_value=value_of(run, metric)))
    return out
