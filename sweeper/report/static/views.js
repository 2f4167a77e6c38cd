/* sweeper pages: the views. Each takes the main element and its data source (S.source), draws
   itself, and returns {onChange(event)} for live updates (`sweeper ui`; a report never calls it). */
"use strict";
(function (S) {
  var V = S.views = {}, C = S.charts;

  function plotDiv(id, cls) { return S.el("div", {id: id, class: cls || "plot"}); }
  function note(text) { return S.el("p", {class: "note"}, text); }
  function runLink(id) { return S.source.live ? "#/run/" + encodeURIComponent(id) : null; }
  function sweepTitle(sw) { return sw.name || "sweep " + sw.id; }

  function progressBar(done, planned) {
    if (!planned) return null;
    var pct = Math.min(100, Math.round(100 * done / planned));
    return S.el("span", {class: "bar", title: done + " of " + planned + " runs ended"},
                S.el("span", {class: "fill", style: "width:" + pct + "%"}));
  }

  V.crumbs = function (parts) {
    var nav = document.getElementById("crumbs");
    nav.textContent = "";
    parts.forEach(function (p) {
      nav.appendChild(S.el("span", {class: "sep"}, "/"));
      nav.appendChild(p[1] ? S.el("a", {href: p[1]}, p[0]) : S.el("span", {}, p[0]));
    });
  };

  /* ---- every sweep and project ---------------------------------------------------------- */
  V.overview = function (main) {
    V.crumbs([]);
    function draw(d) {
      main.textContent = "";
      main.appendChild(S.el("h1", {}, "Sweeps and projects"));
      main.appendChild(S.el("p", {class: "hint"}, "Store: " + d.store));
      var sweeps = S.section("Sweeps", d.sweeps.length ? null : "No sweep yet: `sweeper sweep FILE` registers one.");
      var t = S.el("table", {class: "runs", id: "sweeps"});
      t.appendChild(S.el("thead", {}, S.el("tr", {}, ["sweep", "project", "method", "state", "progress", "runs", "best"]
        .map(function (h) { return S.el("th", {}, h); }))));
      var tb = S.el("tbody");
      d.sweeps.forEach(function (s) {
        var ended = s.runs - (s.counts.running || 0);
        tb.appendChild(S.el("tr", {"data-sweep": s.id}, [
          S.el("td", {}, [S.el("a", {href: "#/sweep/" + encodeURIComponent(s.id)}, s.name || s.id),
                          s.name ? S.el("span", {class: "id"}, " " + s.id) : null]),
          S.el("td", {}, s.project ? S.el("a", {href: "#/project/" + encodeURIComponent(s.project)}, s.project) : ""),
          S.el("td", {}, s.method), S.el("td", {title: s.reason || null}, S.stateBadge(s.state)),
          S.el("td", {}, [progressBar(ended, s.cap), " " + ended + (s.cap ? " / " + s.cap : "") + " ended"]),
          S.el("td", {title: S.counts(s.counts)}, String(s.runs) + (s.counts.running ? " (" + s.counts.running + " running)" : "")),
          S.el("td", {class: "num"}, s.best === null ? "" : (s.metric + " " + S.num(s.best)))]));
      });
      t.appendChild(tb);
      sweeps.body.appendChild(S.el("div", {class: "table-wrap"}, t));
      main.appendChild(sweeps);
      var projects = S.section("Projects", "Every project with runs: its sweeps' runs and standalone runs (sweeper.init() outside a sweep).");
      var pt = S.el("table", {class: "runs", id: "projects"});
      pt.appendChild(S.el("thead", {}, S.el("tr", {}, ["project", "runs", "standalone", "states", "last activity"]
        .map(function (h) { return S.el("th", {}, h); }))));
      var pb = S.el("tbody");
      d.projects.forEach(function (p) {
        var name = p.project === null ? "(no project)" : p.project;
        pb.appendChild(S.el("tr", {}, [
          S.el("td", {}, S.el("a", {href: "#/project/" + (p.project === null ? "" : encodeURIComponent(p.project))}, name)),
          S.el("td", {class: "num"}, p.runs), S.el("td", {class: "num"}, p.standalone),
          S.el("td", {}, S.counts(p.counts)), S.el("td", {}, S.when(p.last))]));
      });
      pt.appendChild(pb);
      projects.body.appendChild(S.el("div", {class: "table-wrap"}, pt));
      main.appendChild(projects);
    }
    var load = function () { return S.source.get("/api/overview").then(draw); };
    return {ready: load(), onChange: S.throttle(load, 1000)};
  };

  /* ---- a sweep --------------------------------------------------------------------------- */
  V.sweep = function (main, id) { return new S.SweepPage(main, id); };

  /* ---- one run --------------------------------------------------------------------------- */
  V.run = function (main, id) {
    var x = "_step", page = {};
    function draw(d) {
      var r = d.row;
      main.textContent = "";
      V.crumbs(d.sweep ? [[r.project || "(no project)", "#/project/" + encodeURIComponent(r.project || "")],
                          [sweepTitle(d.sweep), "#/sweep/" + d.sweep.id], ["run " + r.id]]
                       : [[r.project || "(no project)", "#/project/" + encodeURIComponent(r.project || "")], ["run " + r.id]]);
      main.appendChild(S.el("h1", {}, [r.name || "run " + r.id, r.name ? S.el("span", {class: "id"}, " run " + r.id) : null,
                                       r.number ? S.el("span", {class: "id"}, " #" + r.number) : null, " ", S.stateBadge(r.state)]));
      main.appendChild(S.kv([
        ["sweep", d.sweep ? S.el("a", {href: "#/sweep/" + d.sweep.id}, sweepTitle(d.sweep)) : "standalone (sweeper.init() outside a sweep)"],
        ["project", r.project || ""], d.metric ? [d.metric + " (best)", S.num(r.best)] : null,
        ["duration", S.dur(r.duration)], ["started", S.when(r.started_at)], ["host", (r.host || "") + (r.gpu ? " \u00b7 GPU " + r.gpu : "")],
        r.note ? ["note", r.note] : null, d.exit_code !== null && d.exit_code !== undefined ? ["exit code", d.exit_code] : null,
        d.git_commit ? ["git commit", d.git_commit] : null]));
      var cmd = S.section("Command", "The command line that reproduces this run.");
      cmd.body.appendChild(S.el("pre", {class: "command"}, d.command || "(not recorded)"));
      main.appendChild(cmd);
      var two = S.el("div", {class: "two"});
      var params = S.section("Parameters");
      params.body.appendChild(S.kv(Object.keys(r.params).sort().map(function (k) { return [k, S.text(r.params[k])]; })));
      var summary = S.section("Summary", "The last value of every logged key.");
      summary.body.appendChild(S.kv(Object.keys(r.summary).sort().map(function (k) { return [k, S.text(r.summary[k])]; })));
      two.appendChild(params); two.appendChild(summary);
      main.appendChild(two);
      var curves = S.section("Every metric", "Each logged key against the chosen x.");
      var pick = xSelect(d.metric_keys, x, function (v) { x = v; loadCurves(); });
      curves.body.appendChild(S.el("label", {class: "axis"}, ["x: ", pick]));
      var grid = S.el("div", {class: "grid", id: "run-curves"});
      curves.body.appendChild(grid);
      main.appendChild(curves);
      var log = S.section("Output", d.log.tail === null ? d.log.why : (d.log.cut ? "The last part of " : "") + d.log.path);
      if (d.log.tail !== null) log.body.appendChild(S.el("pre", {class: "log"}, d.log.tail));
      if (d.error) log.body.appendChild(S.el("pre", {class: "log error"}, d.error));
      main.appendChild(log);
      var asked = 0;
      function loadCurves() {
        var keys = [x].concat(d.metric_keys), mine = ++asked;
        return S.source.get("/api/runs/curves?ids=" + encodeURIComponent(r.id) + "&keys=" + keys.map(encodeURIComponent).join(","))
          .then(function (c) {
            if (mine !== asked) return;
            grid.textContent = "";
            d.metric_keys.forEach(function (k, i) {
              var div = plotDiv("run-curve-" + i, "plot small");
              grid.appendChild(div);
              var fig = C.curves([r], c.runs, x, k, null, [r.id]);
              if (fig) { fig.layout.height = 260; fig.layout.showlegend = false; fig.layout.margin = {l: 55, r: 10, t: 10, b: 45}; C.draw(div, fig); }
            });
          });
      }
      return loadCurves();
    }
    var load = function () { return S.source.get("/api/runs/" + encodeURIComponent(id)).then(draw); };
    page.ready = load();
    page.onChange = S.throttle(function () { load(); }, 2000);
    return page;
  };

  function xSelect(keys, value, onChange) {
    var opts = ["_step", "_runtime", "_line"].concat(keys);
    var sel = S.el("select", {class: "xaxis", "aria-label": "x axis", on: {change: function () { onChange(sel.value); }}},
                   opts.map(function (k) { return S.el("option", {value: k}, C.keyLabel(k)); }));
    sel.value = value;
    return sel;
  }
  V.xSelect = xSelect;

  /* ---- runs of any sweeps: a project, a comparison --------------------------------------- */
  function runsTable(container, d, onSelect, selected) {
    var cols = [
      {key: "id", label: "run", get: function (r) { return r.name ? r.id + " " + r.name : r.id; }, link: function (r) { return runLink(r.id); }},
      {key: "sweep", label: "sweep", get: function (r) { return r.sweep ? (d.sweeps[r.sweep] && d.sweeps[r.sweep].name || r.sweep) : "(standalone)"; },
       link: function (r) { return r.sweep ? "#/sweep/" + r.sweep : null; }},
      {key: "number", label: "#", get: function (r) { return r.number; }},
      {key: "state", label: "state", get: function (r) { return r.state; }}]
      .concat(d.param_keys.map(function (k) { return {key: "p:" + k, label: k, get: function (r) { return r.params[k]; },
                                                     cls: d.differ.indexOf(k) >= 0 ? "differs" : null}; }))
      .concat(d.metric_keys.map(function (k) { return {key: "m:" + k, label: k, get: function (r) { return r.summary[k]; }}; }))
      .concat([{key: "duration", label: "duration", get: function (r) { return r.duration; }, format: S.dur},
               {key: "note", label: "note", get: function (r) { return r.note; }, title: function (r) { return r.note || null; }}]);
    var table = new S.RunsTable(container, {columns: cols, selectable: true, onSelect: onSelect, selected: selected,
                                            sort: {key: "created", desc: false}, id: "runs"});
    table.setRows(d.rows, null);
    return table;
  }

  V.project = function (main, name) {
    var page = {};
    V.crumbs([[name || "(no project)"]]);
    function draw(d) {
      main.textContent = "";
      main.appendChild(S.el("h1", {}, ["project ", name || "(no project)"]));
      if (d.sweep_list.length) {
        main.appendChild(S.el("p", {class: "facts"}, ["sweeps: "].concat(d.sweep_list.map(function (s, i) {
          return S.el("span", {}, [i ? ", " : "", S.el("a", {href: "#/sweep/" + s.id}, s.name || s.id), " (" + s.state + ")"]);
        }))));
      }
      var sec = S.section("Runs", "Standalone runs and sweep runs in one table. Select runs to compare them " +
                          "(the selection is kept while you visit other sweeps and projects).");
      var bar = S.compareBar();
      sec.body.appendChild(bar);
      bar.table = runsTable(sec.body, d, bar.update, S.picks.all());
      main.appendChild(sec);
    }
    var load = function () { return S.source.get("/api/project" + (name ? "?name=" + encodeURIComponent(name) : "")).then(draw); };
    page.ready = load();
    page.onChange = S.throttle(load, 2000);
    return page;
  };

  /* Runs picked in tables (?runs=IDs), or `sweeper compare`'s references (?refs=RUN,SWEEP,project:NAME). */
  V.compare = function (main, ids, refs) {
    var page = {}, x = "_step", y = null;
    V.crumbs([["compare " + (refs.length ? refs.join(", ") : ids.length + " runs")]]);
    function draw(d) {
      main.textContent = "";
      main.appendChild(S.el("h1", {}, "Compare runs"));
      if (d.sources && d.sources.length) main.appendChild(S.el("p", {class: "facts"}, d.sources.join("; ")));
      if (!d.rows.length) { main.appendChild(note("No runs to compare: select runs in a sweep's or a project's table.")); return null; }
      var params = S.section("Parameters", "One column per run; the rows where they differ are marked.");
      var t = S.el("table", {class: "runs compare", id: "compare-params"});
      t.appendChild(S.el("thead", {}, S.el("tr", {}, [S.el("th", {}, "")].concat(d.rows.map(function (r, i) {
        return S.el("th", {style: "border-bottom: 3px solid " + C.PICKS[i % C.PICKS.length]},
                    [S.el("a", {href: runLink(r.id)}, r.name || r.id), S.el("div", {class: "id"},
                      r.sweep ? (d.sweeps[r.sweep].name || r.sweep) : "(standalone)")]);
      })))));
      var tb = S.el("tbody");
      function line(label, get, cls) {
        tb.appendChild(S.el("tr", {class: cls}, [S.el("th", {}, label)].concat(d.rows.map(function (r) {
          return S.el("td", {}, S.text(get(r))); }))));
      }
      line("state", function (r) { return r.state; });
      line("project", function (r) { return r.project; });
      d.param_keys.forEach(function (k) { line(k, function (r) { return r.params[k]; }, d.differ.indexOf(k) >= 0 ? "differs" : null); });
      d.metric_keys.forEach(function (k) { line(k, function (r) { return r.summary[k]; }, "metric"); });
      t.appendChild(tb);
      params.body.appendChild(S.el("div", {class: "table-wrap"}, t));
      main.appendChild(params);
      var curves = S.section("Curves", "The chosen key of every run, against the chosen x.");
      y = y || d.metric_keys[0];
      var ysel = S.el("select", {class: "yaxis", "aria-label": "y axis", on: {change: function () { y = ysel.value; loadCurves(); }}},
                      d.metric_keys.map(function (k) { return S.el("option", {value: k}, k); }));
      ysel.value = y;
      curves.body.appendChild(S.el("div", {class: "axes"}, [S.el("label", {}, ["y: ", ysel]), " ",
        S.el("label", {}, ["x: ", xSelect(d.metric_keys, x, function (v) { x = v; loadCurves(); })])]));
      var div = plotDiv("fig-compare");
      curves.body.appendChild(div);
      main.appendChild(curves);
      var asked = 0;
      function loadCurves() {
        if (!y) return null;
        var mine = ++asked;
        return S.source.get("/api/runs/curves?ids=" + d.rows.map(function (r) { return r.id; }).join(",") +
                            "&keys=" + [x, y].map(encodeURIComponent).join(",")).then(function (c) {
          if (mine !== asked) return;
          var fig = C.curves(d.rows, c.runs, x, y, null, d.rows.map(function (r) { return r.id; }));
          C.show(div, fig, "No run logged " + y + ".");
        });
      }
      return loadCurves();
    }
    var load = function () {
      return S.source.get(refs.length ? "/api/compare?refs=" + refs.map(encodeURIComponent).join(",")
                                      : "/api/runs?ids=" + ids.map(encodeURIComponent).join(",")).then(draw);
    };
    page.ready = load();
    page.onChange = S.throttle(load, 2000);
    return page;
  };
})(window.S);
