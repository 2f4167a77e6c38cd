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

import html
import json
import time
from importlib import resources

from . import results
from .results import Metric, is_finite

# Beyond this many points in all curves together, each run's curve is thinned evenly (its
# last point always kept): the page must stay quick at 1,000 runs x 1,000 lines.
MAX_CURVE_POINTS = 150_000
# Above this many points, curves are drawn with WebGL (scattergl) rather than SVG.
WEBGL_POINTS = 20_000
STATE_COLOURS = {"finished": "#4c78a8", "running": "#54a24b", "failed": "#e45756", "crashed": "#e45756",
                 "stopped": "#9d9d9d"}
BEST_COLOUR = "#f58518"


def esc(value) -> str:
    """Text for HTML and for plotly (which renders <b>, <br> ... in text): shown as written."""
    return html.escape(_text(value), quote=True)


def _text(value) -> str:
    if isinstance(value, str):
        return value
    from .render import number

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return json.dumps(value, default=str) if isinstance(value, (list, dict)) else str(value)


def script_json(obj_json: str) -> str:
    """JSON text made safe inside <script>: no '</script>', no '<!--', whatever the values."""
    return (obj_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


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


# ---- figures -----------------------------------------------------------------------------------


def parcoords_figure(sweep: dict, rows: list[dict], metric: Metric):
    """Every searched parameter and the metric, one line per run with a metric value."""
    import plotly.graph_objects as go

    from .space import LOG_SCALED, Space

    scored = [r for r in rows if is_finite(r["best"])]
    if not scored or not metric.name:
        return None, []
    dims = []
    for p in Space(sweep["config"]["parameters"]).searchable:
        values = [r["params"].get(p.key) for r in scored]
        dims.append(_dimension(p.key, values, log=p.distribution in LOG_SCALED))
    best = [r["best"] for r in scored]
    dims.append(dict(label=esc(metric.name), values=best))
    # The metric's own axis is the colour key: no colour bar.
    line = dict(color=best, colorscale="Viridis", reversescale=not metric.maximize, showscale=False)
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line,
                                 labelangle=-20 if len(dims) > 6 else 0, labelside="top"))
    # The first axis's tick labels sit left of the plot: leave them room (up to a point).
    first = dims[0].get("ticktext") or []
    left = min(220, max(60, 10 + 7 * max((len(t) for t in first), default=0)))
    fig.update_layout(margin=dict(l=left, r=60, t=90, b=30), height=460)
    return fig, [r["id"] for r in scored]


def _dimension(key: str, values: list, log: bool) -> dict:
    import math

    numeric = all(results.is_number(v) for v in values)
    if numeric and log and all(v > 0 for v in values):
        # Parallel coordinates have no log axes: plot log10 and label the ticks in real units.
        logs = [math.log10(v) for v in values]
        lo, hi = math.floor(min(logs)), math.ceil(max(logs))
        ticks = list(range(lo, hi + 1))
        return dict(label=esc(key), values=logs, tickvals=ticks, ticktext=[f"{10.0 ** t:g}" for t in ticks])
    if numeric:
        return dict(label=esc(key), values=[float(v) for v in values])
    # Categorical: one tick per value, in a stable order.
    from .space import value_key

    levels: list = []
    keys: list = []
    for v in values:
        k = value_key(v)
        if k not in keys:
            keys.append(k)
            levels.append(v)
    order = sorted(range(len(levels)), key=lambda i: _text(levels[i]))
    code = {keys[i]: n for n, i in enumerate(order)}
    return dict(label=esc(key), values=[code[value_key(v)] for v in values], tickvals=list(range(len(order))),
                # Unlike every other text in plotly, parcoords tick labels are set as plain text
                # (d3's .text()): escaping them would show the entities.
                ticktext=[_text(levels[i]) for i in order])


def importance_figure(analysis):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    params = analysis.params[::-1]  # plotly draws the first bar at the bottom
    if not params:
        return None
    names = [esc(p.key) for p in params]
    titles = ("importance (random forest)", f"Spearman correlation with {esc(analysis.metric)}")
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04, subplot_titles=titles)
    fig.add_trace(go.Bar(x=[p.importance or 0.0 for p in params], y=names, orientation="h",
                         marker_color="#4c78a8", name="importance",
                         hovertemplate="%{y}: %{x:.3f}<extra></extra>"), row=1, col=1)
    corr = [p.correlation for p in params]
    fig.add_trace(go.Bar(x=[c if c is not None else 0.0 for c in corr], y=names, orientation="h",
                         marker_color=["#e45756" if (c or 0) > 0 else "#54a24b" for c in corr],
                         text=["" if c is not None else "n/a" for c in corr], textposition="outside",
                         name="correlation", hovertemplate="%{y}: %{x:.3f}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(range=[0, 1], row=1, col=1)
    fig.update_xaxes(range=[-1, 1], zeroline=True, row=1, col=2)
    fig.update_layout(showlegend=False, height=max(220, 60 + 28 * len(params)), margin=dict(l=140, r=30, t=70, b=30))
    return fig


def curves_figure(rows: list[dict], curves: dict, metric: Metric, best_id: str | None):
    """The metric over steps for every run: one trace per group (many runs, one trace: fast)."""
    import plotly.graph_objects as go

    total = sum(len(s) for s, _ in curves.values())
    if not total:
        return None
    keep_every = max(1, -(-total // MAX_CURVE_POINTS))
    scatter = go.Scattergl if total > WEBGL_POINTS else go.Scatter
    groups: dict = {}
    ends: list = []
    by_id = {r["id"]: r for r in rows}
    for rid, (steps, values) in curves.items():
        r = by_id[rid]
        if not steps or rid == best_id:
            continue
        group = "early terminated" if r["early_terminated"] else r["state"]
        xs, ys, labels = groups.setdefault(group, ([], [], []))
        idx = list(range(0, len(steps), keep_every))
        if idx[-1] != len(steps) - 1:
            idx.append(len(steps) - 1)
        label = esc(f"run {rid} #{r['number']}")
        xs.extend([steps[i] for i in idx] + [None])
        ys.extend([values[i] for i in idx] + [None])
        labels.extend([label] * len(idx) + [""])
        if r["early_terminated"]:
            ends.append((steps[-1], values[-1], esc(f"run {rid} #{r['number']}: {r['stop_reason'] or ''}")))
    # Many runs draw a cloud: fainter lines keep its density readable.
    opacity = max(0.15, min(0.6, 4 / max(1, len(curves)) ** 0.5))
    fig = go.Figure()
    order = ["finished", "running", "stopped", "failed", "crashed", "early terminated"]
    for group in sorted(groups, key=lambda g: order.index(g) if g in order else len(order)):
        xs, ys, labels = groups[group]
        et = group == "early terminated"
        # numpy arrays travel as base64 typed arrays: a third of the JSON, and no per-point
        # validation in plotly.py. NaN (the gap between two runs) breaks the line there.
        fig.add_trace(scatter(x=_floats(xs), y=_floats(ys), text=labels, mode="lines", name=group, connectgaps=False,
                              line=dict(color=STATE_COLOURS.get(group, "#b279a2") if not et else "#9d9d9d",
                                        width=1, dash="dot" if et else None),
                              opacity=opacity, hovertemplate="%{text}<br>step %{x}: %{y:.6g}<extra></extra>"))
    if ends:
        fig.add_trace(scatter(x=[e[0] for e in ends], y=[e[1] for e in ends], text=[e[2] for e in ends],
                              mode="markers", name="early terminated here",
                              marker=dict(symbol="x", size=8, color="#e45756"),
                              hovertemplate="%{text}<extra></extra>"))
    if best_id and curves.get(best_id) and curves[best_id][0]:
        steps, values = curves[best_id]
        r = by_id[best_id]
        fig.add_trace(go.Scatter(x=steps, y=values, mode="lines", name=esc(f"best: run {best_id} #{r['number']}"),
                                 line=dict(color=BEST_COLOUR, width=3),
                                 hovertemplate=esc(f"best run {best_id}") + "<br>step %{x}: %{y:.6g}<extra></extra>"))
    fig.update_layout(height=420, xaxis_title="step", yaxis_title=esc(metric.name), hovermode="closest",
                      margin=dict(l=60, r=20, t=20, b=50), legend=dict(orientation="h", y=-0.18))
    return fig


def _floats(values: list):
    import numpy as np

    # float32: 7 significant digits are plenty for a curve (hover shows 6), at half the bytes.
    return np.array([np.nan if v is None else v for v in values], dtype=np.float32)


def best_so_far_figure(rows: list[dict], metric: Metric):
    import plotly.graph_objects as go

    points = results.best_so_far(rows, metric)
    if not any(p["value"] is not None for p in points):
        return None
    by_id = {r["id"]: r for r in rows}
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[p["number"] for p in points], y=[p["value"] for p in points], mode="markers", name="run's best",
        text=[esc(f"run {p['id']} #{p['number']} ({by_id[p['id']]['state']})") for p in points],
        marker=dict(color=[STATE_COLOURS.get(by_id[p["id"]]["state"], "#b279a2") for p in points], size=6,
                    opacity=0.7),
        hovertemplate="%{text}<br>%{y:.6g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[p["number"] for p in points], y=[p["best_so_far"] for p in points],
                             mode="lines", line=dict(shape="hv", color=BEST_COLOUR, width=2.5),
                             name="best so far", hovertemplate="after run #%{x}: %{y:.6g}<extra></extra>"))
    fig.update_layout(height=340, xaxis_title="run number (claim order)", yaxis_title=esc(metric.name),
                      margin=dict(l=60, r=20, t=20, b=50), legend=dict(orientation="h", y=-0.25))
    return fig


# ---- the page ----------------------------------------------------------------------------------


def runs_table(sweep: dict, rows: list[dict], metric: Metric, best_id: str | None) -> str:
    keys = results.searched_keys(sweep)
    head = ["#", "run", "state"] + keys
    if metric.name:
        head += [f"best {metric.name}", f"last {metric.name}"]
    head += ["duration", "note"]
    out = ["<table id='runs'><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    from .render import duration

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

    from .importance import analyze

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
    page = resources.files("sweeper").joinpath("report_template.html").read_text(encoding="utf-8")
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
