/* sweeper pages: the plotly figures, built from the pages' data (results/views.py). Text for
   plotly goes through S.esc; parcoords tick labels alone are plain text to plotly. */
"use strict";
(function (S) {
  var C = S.charts = {};
  C.STATE = {finished: "#4c78a8", running: "#54a24b", failed: "#e45756", crashed: "#e45756",
             stopped: "#9d9d9d", interrupted: "#b279a2", "early terminated": "#9d9d9d"};
  C.BEST = "#f58518";
  C.GOOD = "#2e9d48";
  C.BAD = "#d1495b";
  C.PICKS = ["#1f77b4", "#d62728", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"];
  var FONT = {family: "system-ui, sans-serif", size: 12};
  var CONFIG = {responsive: true, displaylogo: false};
  var VIRTUAL = {_step: "step", _line: "line number", _runtime: "wall time (s)"};
  C.VIRTUAL = VIRTUAL;

  C.draw = function (div, fig) {
    fig.layout.font = FONT;
    fig.layout.template = fig.layout.template || undefined;
    fig.layout.paper_bgcolor = "#fff";
    fig.layout.plot_bgcolor = "#fff";
    return Plotly.react(div, fig.data, fig.layout, CONFIG);
  };

  /* Draw fig in div, or say why there is nothing to draw. */
  C.show = function (div, fig, empty) {
    var old = div.querySelector(":scope > p.empty");
    if (fig) {
      if (old) old.remove();
      return C.draw(div, fig);
    }
    Plotly.purge(div);
    div.textContent = "";
    div.appendChild(S.el("p", {class: "note empty"}, empty));
    return Promise.resolve();
  };

  C.keyLabel = function (k) { return VIRTUAL[k] || k; };

  function isNum(v) { return typeof v === "number" && isFinite(v); }
  C.isNum = isNum;

  C.logScaled = function (space, key) {
    var p = (space || []).filter(function (s) { return s.key === key; })[0];
    return !!(p && /log/.test(p.distribution));
  };

  function short(t, n) { t = S.text(t); return t.length > n ? t.slice(0, n - 1) + "\u2026" : t; }

  /* One line per run with a value of the metric; colour bar; log axes in real units;
     categorical axes with one (shortened, thinned) label per value. */
  C.parcoords = function (rows, keys, metric, space) {
    var scored = rows.filter(function (r) { return isNum(r.best); });
    if (!scored.length || !metric.name) return null;
    var dims = keys.map(function (k) { return dimension(k, scored.map(function (r) { return r.params[k]; }),
                                                        C.logScaled(space, k)); });
    var best = scored.map(function (r) { return r.best; });
    dims.push(withTicks({label: S.esc(metric.name), values: best}));
    var colorbar = {title: {text: S.esc(metric.name) + (metric.goal === "maximize" ? " (higher is better)" :
                                                         " (lower is better)"), side: "right"}, thickness: 12, len: 0.9};
    if (C.tickFormat(best)) colorbar.tickformat = C.tickFormat(best);
    var fig = {data: [{type: "parcoords", dimensions: dims, labelangle: dims.length > 6 ? -20 : 0, labelside: "top",
      line: {color: best, colorscale: "Viridis", reversescale: metric.goal !== "maximize", showscale: true,
             colorbar: colorbar}}],
      layout: {height: 460, margin: {l: leftMargin(dims[0]), r: 110, t: 90, b: 30}}};
    return {fig: fig, ids: scored.map(function (r) { return r.id; })};
  };

  /* A d3 format for the ticks of these numbers, where plotly's own would not read: beyond about
     1e6 or below 1e-3 plotly writes "0.2×10<sup>308</sup>", and parcoords shows its markup as
     text. Three significant digits, with an exponent: "2e+307", "1.5e-7". null: plotly's own. */
  C.tickFormat = function (values) {
    var big = 0, small = Infinity;
    values.forEach(function (v) {
      if (!isNum(v) || v === 0) return;
      big = Math.max(big, Math.abs(v));
      small = Math.min(small, Math.abs(v));
    });
    if (!big) return null;
    return big >= 1e6 || big < 1e-3 || (small < 1e-3 && big / small > 1e6) ? ".3~g" : null;
  };

  function withTicks(dim) {
    var format = C.tickFormat(dim.values);
    if (format) dim.tickformat = format;
    return dim;
  }

  function leftMargin(dim) {
    var longest = Math.max.apply(null, [4].concat((dim.ticktext || []).map(function (t) { return t.length; })));
    return Math.min(220, Math.max(60, 10 + 7 * longest));
  }

  function dimension(key, values, log) {
    var numeric = values.every(function (v) { return typeof v === "number"; });
    if (numeric && log && values.every(function (v) { return v > 0; })) {
      var logs = values.map(function (v) { return Math.log10(v); });
      var lo = Math.floor(Math.min.apply(null, logs)), hi = Math.ceil(Math.max.apply(null, logs)), ticks = [];
      for (var t = lo; t <= hi; t++) ticks.push(t);
      return {label: S.esc(key), values: logs, tickvals: ticks, ticktext: ticks.map(function (t) { return S.num(Math.pow(10, t)); }),
              _log: true};
    }
    if (numeric) return withTicks({label: S.esc(key), values: values});
    var levels = Array.from(new Set(values.map(function (v) { return JSON.stringify(v); })))
      .sort(function (a, b) { return S.text(JSON.parse(a)).localeCompare(S.text(JSON.parse(b))); });
    var code = {};
    levels.forEach(function (l, i) { code[l] = i; });
    // Labels never pile up: at most ~14 shown along an axis, each cut to 24 characters.
    var every = Math.ceil(levels.length / 14);
    return {label: S.esc(key), values: values.map(function (v) { return code[JSON.stringify(v)]; }),
            tickvals: levels.map(function (_, i) { return i; }),
            ticktext: levels.map(function (l, i) { return i % every === 0 ? short(JSON.parse(l), 24) : ""; }),
            range: [-0.5, levels.length - 0.5], _levels: levels};
  }

  /* Importance, and Spearman correlation coloured by the goal: green where a higher value of the
     parameter goes with a better metric. */
  C.importance = function (analysis) {
    var params = (analysis.params || []).slice().reverse();
    if (!params.length) return null;
    var names = params.map(function (p) { return S.esc(p.key); });
    var maximize = analysis.goal === "maximize";
    var corr = params.map(function (p) { return p.correlation; });
    var good = corr.map(function (c) { return c !== null && (maximize ? c > 0 : c < 0); });
    return {data: [
      {type: "bar", orientation: "h", x: params.map(function (p) { return p.importance || 0; }), y: names,
       marker: {color: "#4c78a8"}, xaxis: "x", yaxis: "y", hovertemplate: "%{y}: %{x:.3f}<extra>importance</extra>"},
      {type: "bar", orientation: "h", x: corr.map(function (c) { return c === null ? 0 : c; }), y: names, xaxis: "x2", yaxis: "y",
       marker: {color: good.map(function (g, i) { return corr[i] === null ? "#bbb" : (g ? C.GOOD : C.BAD); })},
       text: corr.map(function (c, i) { return c === null ? "n/a" : (good[i] ? "better" : "worse") + " when higher"; }),
       textposition: "outside", cliponaxis: false,
       hovertemplate: "%{y}: %{x:.3f}<br>%{text}<extra>correlation</extra>"}],
      layout: {showlegend: false, height: Math.max(220, 70 + 28 * params.length), margin: {l: 150, r: 130, t: 40, b: 30},
               xaxis: {domain: [0, 0.45], range: [0, 1], title: {text: "importance (random forest)"}},
               xaxis2: {domain: [0.55, 1], range: [-1, 1], zeroline: true, zerolinecolor: "#888",
                        title: {text: "Spearman correlation with " + S.esc(analysis.metric)}},
               yaxis: {automargin: true}}};
  };

  /* The metric against each parameter, one small plot per parameter. */
  /* At most SLICE_POINTS runs per slice (every k-th), in SVG: a WebGL plot per parameter would
     pass the browser's limit of live WebGL contexts (about 16 a page) on a sweep of many parameters. */
  var SLICE_POINTS = 2000;
  C.slice = function (rows, key, metric, space) {
    var scored = rows.filter(function (r) { return isNum(r.best) && r.params[key] !== undefined; });
    if (!scored.length) return null;
    var every = Math.ceil(scored.length / SLICE_POINTS), n = scored.length;
    if (every > 1) scored = scored.filter(function (_, i) { return i % every === 0; });
    var numeric = scored.every(function (r) { return typeof r.params[key] === "number"; });
    return {data: [{type: "scatter", mode: "markers",
      x: scored.map(function (r) { return numeric ? r.params[key] : S.esc(short(r.params[key], 30)); }),
      y: scored.map(function (r) { return r.best; }),
      text: scored.map(function (r) { return S.esc("run " + r.id + " #" + S.text(r.number)); }),
      marker: {size: 6, opacity: 0.75, color: scored.map(function (r) { return C.STATE[r.state] || "#777"; })},
      hovertemplate: "%{text}<br>" + S.esc(key) + " %{x}<br>%{y:.6g}<extra></extra>"}],
      layout: {height: 260, margin: {l: 55, r: 10, t: 10, b: 45}, showlegend: false,
               xaxis: {title: {text: S.esc(key) + (every > 1 ? " (1 run in " + every + " of " + n + ")" : "")},
                       type: numeric ? (C.logScaled(space, key) ? "log" : "linear") : "category"},
               yaxis: {title: {text: S.esc(metric.name)}}}};
  };

  /* Curves of y against x, one trace per state (many runs, one trace: fast), the best run and
     the picked runs on top, hyperband's stops marked at the line of their band. */
  /* A run's column of key k; `_line`, and `_step` when it is the line number, travel as `seq`. */
  function col(c, k) { return c[k] || ((k === "_line" || k === "_step") ? c.seq : null); }
  C.col = col;

  C.curves = function (rows, runs, x, y, bestId, picked) {
    var groups = {}, order = [], ends = {x: [], y: [], t: []}, total = 0, pickedSet = {};
    (picked || []).forEach(function (id, i) { pickedSet[id] = i; });
    rows.forEach(function (r) { var c = runs[r.id]; if (c) total += c.seq.length; });
    if (!total) return null;
    var gl = total > 20000 ? "scattergl" : "scatter";
    var alone = [];
    rows.forEach(function (r) {
      var c0 = runs[r.id], c = c0 ? {seq: c0.seq, stop: c0.stop} : null;
      if (c) { c[x] = col(c0, x); c[y] = col(c0, y); }
      if (!c || !c[x] || !c[y]) return;
      var label = S.esc("run " + r.id + (r.number !== null && r.number !== undefined ? " #" + r.number : ""));
      if (c.stop !== null && c.stop !== undefined && isNum(c[x][c.stop]) && isNum(c[y][c.stop])) {
        ends.x.push(c[x][c.stop]); ends.y.push(c[y][c.stop]); ends.t.push(label + "<br>" + S.esc(r.note || ""));
      }
      if (r.id === bestId || r.id in pickedSet) { alone.push(r); return; }
      var g = r.early_terminated ? "early terminated" : r.state;
      if (!groups[g]) { groups[g] = {x: [], y: [], t: [], dots: {x: [], y: [], t: []}}; order.push(g); }
      var G = groups[g], xs = [], ys = [];
      for (var i = 0; i < c.seq.length; i++) {
        if (isNum(c[x][i]) && isNum(c[y][i])) { xs.push(c[x][i]); ys.push(c[y][i]); }
      }
      // A line through one point draws nothing: a run with one point is a marker.
      var to = xs.length === 1 ? G.dots : G;
      for (var j = 0; j < xs.length; j++) { to.x.push(xs[j]); to.y.push(ys[j]); to.t.push(label); }
      if (to === G) { G.x.push(null); G.y.push(null); G.t.push(""); }
    });
    var opacity = Math.max(0.15, Math.min(0.6, 4 / Math.sqrt(Math.max(1, rows.length))));
    var rank = ["finished", "running", "stopped", "interrupted", "failed", "crashed", "early terminated"];
    order.sort(function (a, b) { return rank.indexOf(a) - rank.indexOf(b); });
    var hover = "%{text}<br>" + S.esc(C.keyLabel(x)) + " %{x}: %{y:.6g}<extra></extra>";
    var data = [];
    order.forEach(function (g) {
      var G = groups[g], color = C.STATE[g] || "#b279a2";
      if (G.x.length) {
        data.push({type: gl, mode: "lines", name: S.esc(g), x: G.x, y: G.y, text: G.t, connectgaps: false, opacity: opacity,
                   legendgroup: g, line: {color: color, width: 1, dash: g === "early terminated" ? "dot" : "solid"},
                   hovertemplate: hover});
      }
      if (G.dots.x.length) {
        data.push({type: gl, mode: "markers", name: S.esc(g) + (G.x.length ? " (one point)" : ""), x: G.dots.x, y: G.dots.y,
                   text: G.dots.t, legendgroup: g, opacity: Math.max(opacity, 0.6),
                   marker: {color: color, size: 6}, hovertemplate: hover});
      }
    });
    alone.forEach(function (r) {
      var c0 = runs[r.id], c = {seq: c0.seq}, xs = [], ys = [];
      c[x] = col(c0, x); c[y] = col(c0, y);
      for (var i = 0; i < c.seq.length; i++) if (isNum(c[x][i]) && isNum(c[y][i])) { xs.push(c[x][i]); ys.push(c[y][i]); }
      var best = r.id === bestId, pick = pickedSet[r.id];
      // A few points are hard to see as a line alone, and one point is no line at all.
      data.push({type: "scatter", mode: xs.length <= 3 ? "lines+markers" : "lines", x: xs, y: ys,
                 name: S.esc((best ? "best: run " : "run ") + r.id + (r.number ? " #" + r.number : "")),
                 line: {color: pick !== undefined ? C.PICKS[pick % C.PICKS.length] : C.BEST, width: best ? 3 : 2.2},
                 hovertemplate: S.esc("run " + r.id) + "<br>" + S.esc(C.keyLabel(x)) + " %{x}: %{y:.6g}<extra></extra>"});
    });
    if (ends.x.length) {
      data.push({type: gl, mode: "markers", name: "stopped by hyperband here", x: ends.x, y: ends.y, text: ends.t,
                 marker: {symbol: "x", size: 8, color: "#e45756"}, hovertemplate: "%{text}<extra></extra>"});
    }
    return {data: data, layout: {height: 430, hovermode: "closest", margin: {l: 60, r: 20, t: 10, b: 50},
      xaxis: {title: {text: S.esc(C.keyLabel(x))}}, yaxis: {title: {text: S.esc(C.keyLabel(y))}},
      legend: {orientation: "h", y: -0.2}}};
  };

  C.bestSoFar = function (rows, metric) {
    var ordered = rows.filter(function (r) { return r.number !== null && r.number !== undefined; })
      .sort(function (a, b) { return a.number - b.number; });
    var best = null, xs = [], ys = [], bx = [], by = [], txt = [], col = [];
    var max = metric.goal === "maximize";
    ordered.forEach(function (r) {
      if (isNum(r.best)) {
        xs.push(r.number); ys.push(r.best); txt.push(S.esc("run " + r.id + " #" + r.number + " (" + r.state + ")"));
        col.push(C.STATE[r.state] || "#777");
        if (best === null || (max ? r.best > best : r.best < best)) best = r.best;
      }
      // The line keeps only the runs where the best changed, and the last: a few dozen points
      // at 10,000 runs (an SVG line of 10,000 points took seconds to draw).
      if (best !== null && (!by.length || by[by.length - 1] !== best)) { bx.push(r.number); by.push(best); }
    });
    if (bx.length && ordered.length) { bx.push(ordered[ordered.length - 1].number); by.push(best); }
    if (!xs.length) return null;
    return {data: [
      {type: xs.length > 5000 ? "scattergl" : "scatter", mode: "markers", name: "run's best", x: xs, y: ys, text: txt,
       marker: {color: col, size: 6, opacity: 0.7}, hovertemplate: "%{text}<br>%{y:.6g}<extra></extra>"},
      {type: "scatter", mode: "lines", name: "best so far", x: bx, y: by, line: {shape: "hv", color: C.BEST, width: 2.5},
       hovertemplate: "after run #%{x}: %{y:.6g}<extra></extra>"}],
      layout: {height: 320, margin: {l: 60, r: 20, t: 10, b: 50}, legend: {orientation: "h", y: -0.25},
               xaxis: {title: {text: "run number (claim order)"}}, yaxis: {title: {text: S.esc(metric.name)}}}};
  };

  /* Each run as a bar from its start to its end, one lane per machine and GPU (or agent). */
  C.timeline = function (rows, now) {
    var timed = rows.filter(function (r) { return r.started_at; });
    if (!timed.length) return null;
    function lane(r) {
      var where = (r.host || "?") + (r.gpu ? " \u00b7 GPU " + r.gpu : (r.agent ? " \u00b7 agent " + r.agent : ""));
      return r.sweep === null || r.sweep === undefined ? where + " (standalone)" : where;
    }
    var lanes = Array.from(new Set(timed.map(lane))).sort();
    var byState = {};
    timed.forEach(function (r) {
      var end = r.ended_at || now;
      var g = byState[r.state] = byState[r.state] || {base: [], x: [], y: [], t: []};
      g.base.push(new Date(r.started_at * 1000).toISOString());
      g.x.push(Math.max(1, (end - r.started_at) * 1000));
      g.y.push(S.esc(lane(r)));
      g.t.push(S.esc("run " + r.id + (r.number ? " #" + r.number : "") + " \u00b7 " + r.state + " \u00b7 " + S.dur(end - r.started_at)));
    });
    // Up to 2,000 runs as bars; beyond, as thick WebGL segments (10,000 SVG bars take seconds).
    var many = timed.length > 2000;
    var data = Object.keys(byState).map(function (s) {
      var g = byState[s];
      if (many) {
        var xs = [], ys = [], ts = [];
        g.base.forEach(function (b, i) {
          xs.push(b, new Date(Date.parse(b) + g.x[i]).toISOString(), null);
          ys.push(g.y[i], g.y[i], null);
          ts.push(g.t[i], g.t[i], "");
        });
        return {type: "scattergl", mode: "lines", name: S.esc(s), x: xs, y: ys, text: ts, connectgaps: false,
                line: {color: C.STATE[s] || "#777", width: 10}, hovertemplate: "%{text}<extra></extra>"};
      }
      return {type: "bar", orientation: "h", name: S.esc(s), base: g.base, x: g.x, y: g.y, text: g.t,
              textposition: "none", marker: {color: C.STATE[s] || "#777", line: {color: "#fff", width: 0.5}},
              hovertemplate: "%{text}<extra></extra>"};
    });
    return {data: data, layout: {barmode: "overlay", height: Math.max(180, 60 + 34 * lanes.length),
      margin: {l: 20, r: 20, t: 10, b: 40}, xaxis: {type: "date"},
      yaxis: {automargin: true, categoryorder: "array", categoryarray: lanes.map(S.esc)},
      legend: {orientation: "h", y: -0.25}, bargap: 0.25}};
  };
})(window.S);
