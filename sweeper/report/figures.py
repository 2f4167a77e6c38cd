"""The report's figures, as plotly figures built from result rows (the dashboard can reuse them).

Text given to plotly is HTML-escaped (esc): plotly renders a subset of HTML in its text.
"""

from __future__ import annotations

from ..results import rows as results
from ..results.rows import Metric, is_finite
from .escape import esc, text_of

# Beyond this many points in all curves together, each run's curve is thinned evenly (its
# last point always kept): the page must stay quick at 1,000 runs x 1,000 lines.
MAX_CURVE_POINTS = 150_000
# Above this many points, curves are drawn with WebGL (scattergl) rather than SVG.
WEBGL_POINTS = 20_000
STATE_COLOURS = {"finished": "#4c78a8", "running": "#54a24b", "failed": "#e45756", "crashed": "#e45756",
                 "stopped": "#9d9d9d"}
BEST_COLOUR = "#f58518"


def parcoords_figure(sweep: dict, rows: list[dict], metric: Metric):
    """Every searched parameter and the metric, one line per run with a metric value."""
    import plotly.graph_objects as go

    from ..sweepfile.space import LOG_SCALED, Space

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
    from ..sweepfile.space import value_key

    levels: list = []
    keys: list = []
    for v in values:
        k = value_key(v)
        if k not in keys:
            keys.append(k)
            levels.append(v)
    order = sorted(range(len(levels)), key=lambda i: text_of(levels[i]))
    code = {keys[i]: n for n, i in enumerate(order)}
    return dict(label=esc(key), values=[code[value_key(v)] for v in values], tickvals=list(range(len(order))),
                # Unlike every other text in plotly, parcoords tick labels are set as plain text
                # (d3's .text()): escaping them would show the entities.
                ticktext=[text_of(levels[i]) for i in order])


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
    order = ["finished", "running", "stopped", "interrupted", "failed", "crashed", "early terminated"]
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
