"""`sweeper report`: the dashboard's sweep page as one offline file, a snapshot of the store.

The data is what `sweeper ui` serves for the page (results/views.sweep_page, the importance
analysis, and every run's curves of every logged key, thinned by the database to about
results/curves.PAGE_LINES lines in all); the same page script draws it, with plotly.js
inline, so the file opens on a plane, years from now. Choosing x and y, brushing, sorting
and comparing runs work offline too; only the live parts (updates, control) are left out.
"""

from __future__ import annotations

import json
import time

from ..results import curves, views
from ..results import rows as results
from ..results.rows import strict_json
from .shell import page


def snapshot(store, sweep: dict, now: float | None = None) -> dict:
    """What the report holds: the sweep page's data, its importance analysis and curves."""
    from ..results.importance import analyze

    now = now if now is not None else time.time()
    data = views.sweep_page(store, sweep, now)
    metric = results.sweep_metric(sweep)
    analysis = analyze(sweep, results.run_rows(sweep, results.live_runs(store.runs(sweep["id"])), now), metric)
    # Every logged key of each line kept, and its wall time: fewer lines the more keys there are.
    lines = max(curves.MIN_PER_RUN, curves.SNAPSHOT_VALUES // (len(data["metric_keys"]) + 1))
    return {"sweep": data, "importance": analysis.to_dict(),
            "curves": curves.sweep_curves(store, sweep["id"], data["rows"], metric.name, total=lines)}


def build(store, sweep: dict, now: float | None = None) -> str:
    """The whole report as one HTML string."""
    now = now if now is not None else time.time()
    boot = {"mode": "snapshot", "route": f"/sweep/{sweep['id']}", "snapshot": snapshot(store, sweep, now)}
    stamp = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(now))
    title = (sweep.get("name") or f"sweep {sweep['id']}") + " · sweeper report"
    footer = (f"Made by sweeper report at {stamp}, from {store.display_url}. This file is self-contained: "
              "it opens without a network. `sweeper ui` shows the same pages live.")
    return page(title, json.dumps(strict_json(boot), separators=(",", ":")), inline=True, footer=footer)
