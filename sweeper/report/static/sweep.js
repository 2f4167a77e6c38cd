/* sweeper pages: a sweep's page. Head (state, progress, ETA, best run, control), parallel
   coordinates whose brush filters every other view, importance, slices, curves of any key
   against any x, best so far, timeline, the runs table, the sweep's configuration. Live: the
   server names the runs that changed, and only their rows and curves are fetched again. */
"use strict";
(function (S) {
  var C = S.charts;

  S.SweepPage = function (main, id) {
    this.main = main;
    this.id = id;
    this.rows = {};
    this.order = [];
    this.curves = {};
    this.x = "_step";
    this.y = null;
    this.keep = null;
    this.picked = [];
    this.ranges = {};
    var self = this;
    // Charts are redrawn at most every 1 s, or three times as long as the last redraw took:
    // at 10,000 runs a redraw costs seconds, and the table and head must not wait behind it.
    this.chartsDue = false;
    this.chartsBusyUntil = 0;
    var base = "/api/sweeps/" + encodeURIComponent(id);
    // All three asked for at once: the curves of step and the sweep's metric, before the page
    // knows the metric's name, and the importance analysis.
    var first = S.source.get(base + "/curves?x=_step");
    var importance = S.source.get(base + "/importance");
    // Asked before the sweep is known to exist: when it does not, their failure is the sweep's
    // (ready says it), not two more unhandled rejections.
    first.catch(function () {});
    importance.catch(function () {});
    this.ready = S.source.get(base).then(function (d) {
      self.data = d;
      // The sweep's metric, even before any run logged it; else the first key logged.
      self.y = d.metric.name || d.metric_keys[0] || null;
      d.rows.forEach(function (r) { self.rows[r.id] = r; self.order.push(r.id); });
      self.layout();
      var curves = d.metric.name && self.y === d.metric.name ? first.then(function (c) {
        if (self.curvesAsked) return;  // x or y was changed meanwhile
        self.curves = c.runs;
        self.drawCurves();
      }) : self.loadCurves();
      return Promise.all([curves, self.loadImportance(importance)]);
    });
  };
  var P = S.SweepPage.prototype;

  P.rowList = function () { var self = this; return this.order.map(function (i) { return self.rows[i]; }); };
  P.kept = function () {
    var keep = this.keep;
    return keep ? this.rowList().filter(function (r) { return keep[r.id]; }) : this.rowList();
  };

  P.layout = function () {
    var d = this.data, sw = d.sweep, self = this, main = this.main;
    main.textContent = "";
    S.views.crumbs([[sw.project || "(no project)", "#/project/" + encodeURIComponent(sw.project || "")],
                    [sw.name || "sweep " + sw.id]]);
    // A named sweep shows its ID beside the name; an unnamed one is "sweep ID", said once.
    main.appendChild(S.el("h1", {id: "title"}, sw.name ? [sw.name, S.el("span", {class: "id"}, " sweep " + sw.id)] : "sweep " + sw.id));
    this.head = S.el("div", {class: "head", id: "head"});
    main.appendChild(this.head);
    var sec = function (title, hint, id) { var s = S.section(title, hint, id); main.appendChild(s); return s.body; };
    this.el = {};
    this.el.parcoords = sec("Parameters and metric", "One line per run with a value of the metric, coloured by it. " +
      "Drag along an axis to keep the runs in that range: the other views and the table follow. Click a range to clear it.");
    this.el.parcoords.appendChild(this.div("fig-parcoords"));
    this.el.importance = sec("Parameter importance", "Importance: each parameter's share in a random forest that " +
      "predicts the metric. Correlation: Spearman's, green where a higher value goes with a better metric (by the goal), red where worse.");
    this.el.importance.appendChild(this.div("fig-importance"));
    this.el.slices = sec("Slices", "The metric (each run's best) against one parameter at a time.");
    this.sliceGrid = S.el("div", {class: "grid", id: "slices"});
    this.el.slices.appendChild(this.sliceGrid);
    this.el.curves = sec("Curves", "Every run's curve of the chosen key against the chosen x; the best run in orange, " +
      "selected runs in colour; runs stopped by hyperband dotted, with an \u00d7 at the line of the band that stopped them.");
    this.ysel = S.el("select", {class: "yaxis", "aria-label": "y axis", on: {change: function () { self.y = self.ysel.value; self.loadCurves(); }}});
    this.xsel = S.views.xSelect([], this.x, function (v) { self.x = v; self.loadCurves(); });
    this.el.curves.appendChild(S.el("div", {class: "axes"}, [S.el("label", {}, ["y: ", this.ysel]), " ",
                                                             S.el("label", {}, ["x: ", this.xsel])]));
    this.el.curves.appendChild(this.div("fig-curves"));
    this.el.best = sec("Best so far", "Each run's best value in the order runs were started, and the best of all runs up to then.");
    this.el.best.appendChild(this.div("fig-bestsofar"));
    this.el.timeline = sec("Timeline", "Each run from its start to its end, one lane per machine and GPU (or agent).");
    this.el.timeline.appendChild(this.div("fig-timeline"));
    var runs = sec("Runs", "Click a column to sort (runs without a value last); select runs to draw them on top or compare them.");
    this.picked = S.picks.all();
    var bar = S.compareBar(function (ids) { self.picked = ids; if (self.table) self.drawCurves(); });
    runs.appendChild(bar);
    this.table = bar.table = new S.RunsTable(runs, {columns: this.columns(), selectable: true, id: "runs",
      sort: {key: "metric", desc: d.metric.goal === "maximize"}, selected: this.picked, onSelect: bar.update});
    if (!d.metric.name) this.table.sort = {key: "number", desc: false};
    var config = sec("Configuration", "The sweep's search space, and its file as it was registered" +
                     (sw.source ? " (" + sw.source + ")" : "") + ".");
    config.appendChild(this.spaceTable());
    config.appendChild(S.el("pre", {class: "config", id: "config"}, sw.config_text));
    this.drawHead();
    this.drawData();
  };

  P.div = function (id) { return S.el("div", {id: id, class: "plot"}); };

  P.columns = function () {
    var d = this.data, m = d.metric, self = this;
    var cols = [
      {key: "number", label: "#", get: function (r) { return r.number; }},
      {key: "id", label: "run", get: function (r) { return r.name ? r.id + " " + r.name : r.id; },
       link: function (r) { return S.source.live ? "#/run/" + r.id : null; }},
      {key: "state", label: "state", get: function (r) { return r.state; }}];
    d.keys.forEach(function (k) { cols.push({key: "p:" + k, label: k, get: function (r) { return r.params[k]; }}); });
    if (m.name) {
      cols.push({key: "metric", label: "best " + m.name, get: function (r) { return r.best; }, desc: m.goal === "maximize"});
      cols.push({key: "last", label: "last " + m.name, get: function (r) { return r.last; }});
    }
    cols.push({key: "duration", label: "duration", get: function (r) { return r.duration; }, format: S.dur});
    cols.push({key: "where", label: "host \u00b7 GPU", get: function (r) { return (r.host || "") + (r.gpu ? " \u00b7 " + r.gpu : ""); }});
    cols.push({key: "note", label: "note", get: function (r) { return r.note; }, title: function (r) { return r.note || null; }});
    void self;
    return cols;
  };

  P.spaceTable = function () {
    var t = S.el("table", {class: "runs", id: "space"});
    t.appendChild(S.el("thead", {}, S.el("tr", {}, ["parameter", "distribution", "range or values"].map(function (h) { return S.el("th", {}, h); }))));
    var tb = S.el("tbody");
    this.data.space.forEach(function (p) {
      var what = "values" in p ? p.values : ("value" in p ? p.value : ("min" in p ? "[" + S.text(p.min) + ", " + S.text(p.max) + "]" :
                 ("mu" in p ? "mu " + S.text(p.mu) + ", sigma " + S.text(p.sigma) : "")));
      tb.appendChild(S.el("tr", {class: p.searched ? null : "constant"}, [S.el("td", {}, p.key), S.el("td", {}, p.distribution), S.el("td", {}, S.text(what))]));
    });
    t.appendChild(tb);
    return S.el("div", {class: "table-wrap"}, t);
  };

  P.drawHead = function () {
    var d = this.data, sw = d.sweep, pr = d.progress, self = this;
    this.head.textContent = "";
    var facts = [S.stateBadge(sw.state), " ", sw.method + " sweep",
                 sw.project ? [" in project ", S.el("a", {href: "#/project/" + encodeURIComponent(sw.project)}, sw.project)] : " (no project)",
                 sw.reason ? " \u00b7 " + sw.reason : "",
                 d.metric.name ? [" \u00b7 metric ", S.el("b", {}, d.metric.name), " (" + d.metric.goal + ")"] : " \u00b7 no metric"];
    this.head.appendChild(S.el("p", {class: "facts", id: "facts"}, [].concat.apply([], facts)));
    var prog = [pr.ended + " of " + (pr.planned || pr.runs) + " runs ended", pr.running ? ", " + pr.running + " running" : "",
                " \u00b7 " + S.counts(d.counts), pr.eta_s !== null ? " \u00b7 about " + S.dur(pr.eta_s) + " left" : ""];
    var planned = pr.planned;
    this.head.appendChild(S.el("p", {class: "progress", id: "progress"}, [planned ? S.el("span", {class: "bar"},
      S.el("span", {class: "fill", style: "width:" + Math.min(100, Math.round(100 * pr.ended / planned)) + "%"})) : null, " "].concat(prog)));
    if (d.best) {
      this.head.appendChild(S.el("div", {class: "bestbox", id: "best"}, ["Best run ",
        S.source.live ? S.el("a", {href: "#/run/" + d.best.id}, d.best.id) : S.el("b", {}, d.best.id),
        " #" + d.best.number + ": " + d.metric.name + " = ", S.el("b", {}, S.num(d.best.value))]));
    }
    if (S.source.live) this.head.appendChild(this.controls());
  };

  P.controls = function () {
    var self = this, state = this.data.sweep.state, token = S.tokenStore.get();
    var allowed = {pause: ["running"], resume: ["paused", "failing"], stop: ["running", "paused", "failing"],
                   cancel: ["running", "paused", "failing"]};
    var box = S.el("div", {class: "controls", id: "controls"});
    var msg = S.el("span", {class: "control-msg", id: "control-msg"}, token ? this.controlMsg || "" :
                   (this.controlMsg ? this.controlMsg + "; " : "") +
                   "read-only: open the URL `sweeper ui` printed (with its token) to control the sweep");
    Object.keys(allowed).forEach(function (action) {
      var b = S.el("button", {type: "button", "data-action": action, title: token ? action + " the sweep" : "needs the token"}, action);
      b.disabled = !token || allowed[action].indexOf(state) < 0;
      b.addEventListener("click", function () {
        if ((action === "cancel" || action === "stop") && !window.confirm(action + " sweep " + self.id + "?")) return;
        S.source.post("/api/sweeps/" + encodeURIComponent(self.id) + "/" + action).then(function (r) {
          self.controlMsg = "sweep " + r.id + " is now " + r.state;
          self.data.sweep.state = r.state;
          self.drawHead();
        }, function (err) {
          self.controlMsg = err.message;
          if (err.status === 403) self.drawHead();  // the token was refused and forgotten: read-only
          else msg.textContent = err.message;
        });
      });
      box.appendChild(b);
    });
    box.appendChild(msg);
    return box;
  };

  /* The token was given or forgotten in another tab. */
  P.tokenChanged = function () { if (this.data) this.drawHead(); };

  P.scheduleCharts = function () {
    var self = this;
    if (this.chartsDue) return;
    this.chartsDue = true;
    S.later(function () {
      self.chartsDue = false;
      var t0 = performance.now();
      self.drawCharts();
      self.chartsBusyUntil = performance.now() + Math.max(1000, 3 * (performance.now() - t0));
    }, Math.max(0, this.chartsBusyUntil - performance.now()));
  };

  P.drawData = function () {
    this.table.setRows(this.rowList(), this.data.best ? this.data.best.id : null);
    this.drawCharts();
  };

  P.drawCharts = function () {
    var d = this.data, rows = this.rowList(), self = this;
    var keys = new Set(d.metric_keys);
    rows.forEach(function (r) { Object.keys(r.summary).forEach(function (k) { if (C.isNum(r.summary[k])) keys.add(k); }); });
    if (keys.size !== d.metric_keys.length) {
      var first = d.metric.name && keys.has(d.metric.name) ? [d.metric.name] : [];
      keys.delete(d.metric.name);
      d.metric_keys = first.concat(Array.from(keys).sort());
    }
    if (!this.y && d.metric_keys.length) { this.y = d.metric_keys[0]; this.loadCurves(); }
    var ys = this.y && d.metric_keys.indexOf(this.y) < 0 ? [this.y].concat(d.metric_keys) : d.metric_keys;
    this.fillSelect(this.ysel, ys, this.y, function (k) { return k; });
    this.fillSelect(this.xsel, ["_step", "_runtime", "_line"].concat(d.metric_keys), this.x, C.keyLabel);
    // Parallel coordinates keep the brush a redraw would lose.
    var gd = document.getElementById("fig-parcoords");
    if (gd && gd.data && gd.data[0]) {
      gd.data[0].dimensions.forEach(function (dim, i) { self.ranges[i] = dim.constraintrange; });
    }
    var par = C.parcoords(rows, d.keys, d.metric, d.space);
    this.parIds = par ? par.ids : [];
    if (par) {
      par.fig.data[0].dimensions.forEach(function (dim, i) { if (self.ranges[i]) dim.constraintrange = self.ranges[i]; });
      C.show(gd, par.fig).then(function () {
        if (!gd._sweeperBrush) {
          gd._sweeperBrush = true;
          gd.on("plotly_restyle", function () { self.brushed(gd); });
        }
      });
    } else {
      C.show(gd, null, d.metric.name ? "Nothing to draw yet: no run has a value of " + d.metric.name + "." : "The sweep has no metric.");
    }
    this.drawFiltered();
  };

  P.fillSelect = function (sel, keys, value, label) {
    var have = Array.prototype.map.call(sel.options, function (o) { return o.value; });
    if (JSON.stringify(have) === JSON.stringify(keys)) return;
    sel.textContent = "";
    keys.forEach(function (k) { sel.appendChild(S.el("option", {value: k}, label(k))); });
    if (value !== null) sel.value = value;
  };

  P.brushed = function (gd) {
    var dims = gd.data[0].dimensions, ids = this.parIds;
    var active = dims.filter(function (d) { return d.constraintrange && d.constraintrange.length; });
    var keep = null;
    if (active.length) {
      keep = {};
      ids.forEach(function (id, i) {
        if (active.every(function (d) { return inRanges(d.values[i], d.constraintrange); })) keep[id] = true;
      });
    }
    this.keep = keep;
    this.table.setKeep(keep);
    this.drawFiltered();
  };

  function inRanges(v, range) {
    var ranges = typeof range[0] === "number" ? [range] : range;
    return ranges.some(function (r) { return v >= r[0] && v <= r[1]; });
  }

  /* What the brush filters: slices, curves, best so far, timeline. */
  P.drawFiltered = function () {
    var d = this.data, rows = this.kept(), self = this;
    this.sliceGrid.textContent = "";
    if (d.metric.name) {
      d.keys.forEach(function (k, i) {
        var fig = C.slice(rows, k, d.metric, d.space);
        if (!fig) return;
        var div = S.el("div", {class: "plot small", id: "slice-" + i});
        self.sliceGrid.appendChild(div);
        C.draw(div, fig);
      });
    }
    if (!this.sliceGrid.children.length) this.sliceGrid.appendChild(S.el("p", {class: "note"}, "Nothing to draw yet."));
    this.drawCurves();
    var best = d.metric.name ? C.bestSoFar(rows, d.metric) : null;
    var bdiv = document.getElementById("fig-bestsofar");
    C.show(bdiv, best, "Nothing to draw yet.");
    var tl = C.timeline(rows, d.generated_at || Date.now() / 1000);
    var tdiv = document.getElementById("fig-timeline");
    C.show(tdiv, tl, "No run has started yet.");
  };

  P.drawCurves = function () {
    var div = document.getElementById("fig-curves");
    var fig = this.y ? C.curves(this.kept(), this.curves, this.x, this.y, this.data.best ? this.data.best.id : null, this.picked) : null;
    C.show(div, fig, "Nothing to draw yet: no run has logged " + (this.y || "anything") + ".");
  };

  P.loadCurves = function () {
    var self = this;
    if (!this.y) { this.drawCurves(); return Promise.resolve(); }
    // The answer to an older choice of x and y, arriving late, is dropped.
    var asked = this.curvesAsked = (this.curvesAsked || 0) + 1;
    return S.source.get("/api/sweeps/" + encodeURIComponent(this.id) + "/curves?keys=" +
                        [this.x, this.y].map(encodeURIComponent).join(",")).then(function (c) {
      if (asked !== self.curvesAsked) return;
      self.curves = c.runs;
      self.drawCurves();
    });
  };

  P.loadImportance = function (asked) {
    var self = this, div = document.getElementById("fig-importance");
    this.importanceAt = Date.now();
    return (asked || S.source.get("/api/sweeps/" + encodeURIComponent(this.id) + "/importance")).then(function (a) {
      var fig = C.importance(a);
      C.show(div, fig, a.note || "Nothing to draw yet.");
      self.importanceEnded = self.data.progress.ended;
    });
  };

  /* A live change: the runs it names are fetched again, rows and curves, and the head. */
  P.onChange = function (event) {
    var self = this, ids = (event && event.runs) || [], x = this.x, y = this.y;
    var get = S.source.get("/api/sweeps/" + encodeURIComponent(this.id) + "/live?ids=" + ids.join(","));
    var curves = ids.length && this.y ? S.source.get("/api/runs/curves?metric=" + encodeURIComponent(this.data.metric.name || "") +
      "&ids=" + ids.join(",") + "&keys=" + [this.x, this.y].map(encodeURIComponent).join(","))
      .then(function (c) { c.x = x; c.y = y; return c; }) : Promise.resolve(null);
    return Promise.all([get, curves]).then(function (got) {
      var live = got[0], c = got[1];
      ["sweep", "counts", "progress", "best", "generated_at"].forEach(function (k) { self.data[k] = live[k]; });
      live.rows.forEach(function (r) { if (!(r.id in self.rows)) self.order.push(r.id); self.rows[r.id] = r; });
      (event.gone || []).forEach(function (id) { delete self.rows[id]; self.order = self.order.filter(function (i) { return i !== id; }); });
      if (c && c.x === self.x && c.y === self.y) Object.keys(c.runs).forEach(function (id) { self.curves[id] = c.runs[id]; });
      self.drawHead();
      self.table.setRows(self.rowList(), self.data.best ? self.data.best.id : null);
      self.scheduleCharts();
      if (self.data.progress.ended !== self.importanceEnded && Date.now() - self.importanceAt > 5000) self.loadImportance();
    });
  };
})(window.S);
