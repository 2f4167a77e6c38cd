"""`sweeper report`: one self-contained HTML file about a sweep, that opens offline.

The figures are plotly figures built here and drawn by the plotly.js that the file embeds
(no CDN: the report must open on a laptop on a plane, and years from now). The runs table
is plain HTML. A brush on the parallel-coordinates axes filters that table too.

Every string that comes from the sweep (names, parameter values, metric keys) reaches the
page escaped: plotly renders its text as a subset of HTML, so text for plotly is
HTML-escaped too, and the JSON that carries the figures has every '<' written as \\u003c,
so no value can close its <script> element.
"""

from __future__ import annotations

import json
import time
from importlib import resources

from ..results import rows as results
from ..results.rows import Metric
from .escape import esc, script_json
from .figures import best_so_far_figure, curves_figure, importance_figure, parcoords_figure

# ---- gathering ---------------------------------------------------------------------------------


def gather(store, sweep: dict) -> dict:
    """Everything the report shows, read from the store once."""
    metric = results.sweep_metric(sweep)
    rows = results.run_rows(sweep, results.live_runs(store.runs(sweep["id"])))
    curves = {}
    if metric.name:
        for r in rows:
            if r["n_lines"]:
                curves[r["id"]] = results.metric_curve(store.metric_rows(r["id"]))
    return {"sweep": sweep, "metric": metric, "rows": rows, "curves": curves}


# ---- the page ----------------------------------------------------------------------------------


def runs_table(sweep: dict, rows: list[dict], metric: Metric, best_id: str | None) -> str:
    keys = results.searched_keys(sweep)
    head = ["#", "run", "state"] + keys
    if metric.name:
        head += [f"best {metric.name}", f"last {metric.name}"]
    head += ["duration", "note"]
    out = ["<table id='runs'><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    from ..results.format import duration

    for rank, r in enumerate(results.sort_rows(rows, metric), 1):
        classes = [f"state-{esc(r['state'])}"]
        if r["id"] == best_id:
            classes.append("best")
        if r["early_terminated"]:
            classes.append("et")
        cells = [str(rank), f"{esc(r['id'])} <span class='num'>#{esc(r['number'])}</span>", esc(r["state"])]
        cells += [esc(r["params"].get(k, "")) for k in keys]
        if metric.name:
            cells += [_num_cell(r["best"]), _num_cell(r["last"])]
        note = r["stop_reason"] or ("no metric lines" if not r["n_lines"] else "")
        cells += [esc(duration(r["duration"])), esc(note)]
        out.append(f"<tr data-run='{esc(r['id'])}' class='{' '.join(classes)}'>"
                   + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _num_cell(v) -> str:
    return "" if v is None else esc(v)


def summary_html(sweep: dict, rows: list[dict], metric: Metric, best: dict | None) -> str:
    counts: dict = {}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    bits = [f"<b>{esc(sweep['method'])}</b> sweep, <b>{esc(sweep['state'])}</b>"
            + (f" ({esc(sweep['ended_reason'])})" if sweep.get("ended_reason") else ""),
            f"{len(rows)} runs: " + ", ".join(f"{n} {esc(s)}" for s, n in sorted(counts.items()))]
    if metric.name:
        bits.append(f"metric <b>{esc(metric.name)}</b> ({metric.goal})")
    out = "<p class='facts'>" + " &middot; ".join(bits) + "</p>"
    if best is not None:
        params = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in best["params"].items())
        out += (f"<div class='bestbox'><div>Best run <b>{esc(best['id'])}</b> #{esc(best['number'])}: "
                f"{esc(metric.name)} = <b>{esc(best['best'])}</b></div><table>{params}</table></div>")
    elif metric.name:
        out += f"<p class='note'>No run has a value of {esc(metric.name)} yet.</p>"
    return out


def build(store, sweep: dict, now: float | None = None) -> str:
    """The whole report as one HTML string."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from ..results.importance import analyze

    data = gather(store, sweep)
    metric, rows = data["metric"], data["rows"]
    best = results.best_row(rows, metric)
    best_id = best["id"] if best else None
    analysis = analyze(sweep, rows, metric)

    par, par_ids = parcoords_figure(sweep, rows, metric)
    figures = {"parcoords": par, "importance": importance_figure(analysis),
               "curves": curves_figure(rows, data["curves"], metric, best_id),
               "bestsofar": best_so_far_figure(rows, metric)}
    parts = []
    for name, fig in figures.items():
        if fig is not None:
            fig.update_layout(template="plotly_white", font=dict(family="system-ui, sans-serif", size=12))
            parts.append(f'"{name}": ' + pio.to_json(fig, validate=False, pretty=False))
    parts.append('"parcoordsRuns": ' + json.dumps(par_ids))
    payload = "{" + ", ".join(parts) + "}"

    title = sweep.get("name") or f"sweep {sweep['id']}"
    page = resources.files("sweeper.report").joinpath("template.html").read_text(encoding="utf-8")
    notes = {
        "parcoords": "" if par else "Nothing to draw yet: no run has a value of the metric.",
        "importance": analysis.note or "",
        "curves": "" if figures["curves"] else "Nothing to draw yet: no run has logged the metric.",
        "bestsofar": "" if figures["bestsofar"] else "Nothing to draw yet.",
    }
    fill = {
        "TITLE": esc(title),
        "SWEEP_ID": esc(sweep["id"]),
        "GENERATED": esc(time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(now or time.time()))),
        "SUMMARY": summary_html(sweep, rows, metric, best),
        "RUNS_TABLE": runs_table(sweep, rows, metric, best_id),
        "N_RUNS": str(len(rows)),
        "DATA": script_json(payload),
        "PLOTLYJS": get_plotlyjs(),
        **{f"NOTE_{k.upper()}": esc(v) for k, v in notes.items()},
    }
    # One pass, so nothing substituted is ever scanned for another placeholder.
    import re

    return re.sub(r"@@([A-Z_]+)@@", lambda m: fill[m.group(1)], page)
