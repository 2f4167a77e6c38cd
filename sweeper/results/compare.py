"""Experiments side by side (`sweeper compare`, and the dashboard's compare view): runs from any
sweeps, standalone runs and projects in one table, with what differs between them.

A reference is a run ID, a sweep ID (its best run; every run of it with every_run=True), or
`project:NAME` (every run of the project, sweep runs and standalone ones alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import rows as results
from .format import with_iso


@dataclass
class Comparison:
    runs: list[dict]  # one record per run, in the order the references named them
    same: dict = field(default_factory=dict)  # flat parameter -> the value every run has
    differ: list[str] = field(default_factory=list)  # flat parameters whose values differ (or are missing somewhere)
    metrics: list[str] = field(default_factory=list)  # logged keys, the compared sweeps' metrics first
    sources: list[str] = field(default_factory=list)  # what each reference was, in words

    def to_dict(self) -> dict:
        return {"sources": self.sources, "same": self.same, "differ": self.differ, "metrics": self.metrics,
                "runs": self.runs}


class BadReference(LookupError):
    """A reference that names no run, sweep or project."""


def gather(store, refs, every_run: bool = False) -> Comparison:
    """Read the runs the references name and compare them."""
    from ..store import NotFound
    from ..store.ids import ID_RE

    sweeps: dict = {}

    def sweep_of(sweep_id):
        if sweep_id and sweep_id not in sweeps:
            sweeps[sweep_id] = store.get_sweep(sweep_id)
        return sweeps.get(sweep_id)

    chosen: list[dict] = []
    sources: list[str] = []
    for ref in refs:
        if ref.startswith("project:"):
            name = ref.split(":", 1)[1]
            store.reap_standalone(name)
            found = results.live_runs(store.runs(project=name))
            if not found:
                raise BadReference(f"project '{name}' has no runs in {store.display_url}")
            chosen += found
            sources.append(f"project {name} ({len(found)} runs)")
            continue
        if not ID_RE.match(ref):
            raise BadReference(f"'{ref}' is not a run or sweep ID (8 lowercase letters and digits) nor project:NAME")
        try:
            sweep = sweep_of(ref)
        except NotFound:
            sweep = None
        if sweep is not None:
            found = results.live_runs(store.runs(sweep["id"]))
            if every_run:
                chosen += found
                sources.append(f"sweep {sweep['id']} ({len(found)} runs)")
            else:
                from .progress import best_run
                best = best_run(sweep, found)
                if best is None:
                    raise BadReference(f"sweep {sweep['id']} has no run with a value of its metric yet: "
                                       "compare its runs with --all, or name runs")
                chosen.append(best)
                sources.append(f"sweep {sweep['id']} (its best run, {best['id']})")
            continue
        try:
            run = store.get_run(ref)
        except NotFound:
            raise BadReference(f"no run or sweep '{ref}' in {store.display_url}") from None
        chosen.append(run)
        sources.append(f"run {ref}")
    seen, unique = set(), []
    for run in chosen:
        if run["id"] not in seen:
            seen.add(run["id"])
            unique.append(run)
    return compare([(run, sweep_of(run.get("sweep_id"))) for run in unique], sources)


def compare(pairs: list[tuple[dict, dict | None]], sources: list[str] | None = None) -> Comparison:
    """(run, its sweep or None) pairs -> records and what their parameters share."""
    records = []
    for run, sweep in pairs:
        metric = results.sweep_metric(sweep) if sweep else results.Metric(None, False)
        row = results.run_row(run, metric)
        records.append(with_iso({
            "id": run["id"], "sweep_id": run.get("sweep_id"), "sweep_name": (sweep or {}).get("name"),
            "project": run.get("project"), "number": run.get("number"), "name": run.get("name"),
            "tags": row["tags"], "state": run["state"], "metric": metric.name,
            "goal": metric.goal if metric.name else None, "value": row["best"],
            "params": row["params"], "summary": {k: v for k, v in row["summary"].items() if not k.startswith("_")},
            "duration": row["duration"], "created_at": run.get("created_at")}))
    keys = sorted({k for r in records for k in r["params"]})
    same, differ = {}, []
    from ..sweepfile.space import value_key

    for key in keys:
        values = [r["params"].get(key, _MISSING) for r in records]
        if all(v is not _MISSING for v in values) and len({_safe_key(value_key, v) for v in values}) == 1:
            same[key] = values[0]
        else:
            differ.append(key)
    sweep_metrics = list(dict.fromkeys(r["metric"] for r in records if r["metric"]))
    logged = sorted({k for r in records for k in r["summary"]} - set(sweep_metrics))
    return Comparison(records, same, differ, [m for m in sweep_metrics if any(m in r["summary"] for r in records)]
                      + logged, list(sources or []))


_MISSING = object()


def _safe_key(value_key, v):
    try:
        return value_key(v)
    except TypeError:
        return repr(v)
