/* sweeper pages: shared helpers. Every value from a sweep or a program is data: the DOM gets
   it through textContent (S.el), plotly gets it HTML-escaped (S.esc), as plotly renders a
   subset of HTML in its text (parcoords tick labels excepted: plotly sets those as text). */
"use strict";
var S = window.S = {};

S.esc = function (value) {
  return S.text(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
};

S.text = function (v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return S.num(v);
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  return JSON.stringify(v);
};

S.num = function (x) {
  if (x === null || x === undefined) return "";
  if (typeof x !== "number") return String(x);
  if (!isFinite(x)) return isNaN(x) ? "NaN" : (x > 0 ? "inf" : "-inf");
  if (Number.isInteger(x)) return String(x);
  var s = x.toPrecision(6);
  if (s.indexOf("e") < 0 && s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s.replace(/e\+?/, "e");
};

S.dur = function (s) {
  if (s === null || s === undefined) return "";
  s = Math.max(0, s);
  if (s < 60) return s.toFixed(1) + "s";
  var m = Math.floor(s / 60), sec = Math.floor(s % 60);
  if (m < 60) return m + "m" + String(sec).padStart(2, "0") + "s";
  return Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0") + "m";
};

S.when = function (ts) {
  if (!ts) return "";
  var d = new Date(ts * 1000), p = function (n) { return String(n).padStart(2, "0"); };
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes());
};

/* S.el("a", {href: "#/x", class: "c", title: t}, ["text", child]): strings become text nodes. */
S.el = function (tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k === "on") Object.keys(v).forEach(function (ev) { node.addEventListener(ev, v[ev]); });
    else if (k === "text") node.textContent = S.text(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  });
  [].concat(children === undefined ? [] : children).forEach(function (c) {
    if (c === null || c === undefined || c === false) return;
    node.appendChild(typeof c === "object" && c.nodeType ? c : document.createTextNode(S.text(c)));
  });
  return node;
};

S.section = function (title, hint, id) {
  var body = S.el("div", {class: "body", id: id});
  var sec = S.el("section", {}, [S.el("h2", {}, title), hint ? S.el("p", {class: "hint"}, hint) : null, body]);
  sec.body = body;
  return sec;
};

S.kv = function (pairs) {
  return S.el("table", {class: "kv"}, pairs.filter(function (p) { return p; }).map(function (p) {
    return S.el("tr", {}, [S.el("th", {}, p[0]), S.el("td", {}, p[1])]);
  }));
};

S.stateBadge = function (state) {
  return S.el("span", {class: "state state-" + String(state).replace(/[^a-z]/g, "")}, state);
};

S.counts = function (counts) {
  return Object.keys(counts || {}).sort().map(function (k) { return counts[k] + " " + k; }).join(", ");
};

/* The route on screen. Each route change starts a generation: the old route's timers are
   cleared, and what its requests and drawings answer after the change is dropped (a promise
   that never settles), so a page left before its data arrived never draws over the next one. */
S.gen = 0;
var routeTimers = [];

S.newRoute = function () {
  S.gen++;
  routeTimers.forEach(function (t) { clearTimeout(t); });
  routeTimers = [];
  return S.gen;
};

/* p, as long as the route it was asked for is on screen. */
S.guard = function (p) {
  var gen = S.gen, never = function () { return new Promise(function () {}); };
  return Promise.resolve(p).then(function (v) { return gen === S.gen ? v : never(); },
                                 function (e) { return gen === S.gen ? Promise.reject(e) : never(); });
};

/* setTimeout for the route on screen: cleared when the route changes. */
S.later = function (fn, ms) {
  var gen = S.gen, t = setTimeout(function () {
    routeTimers = routeTimers.filter(function (x) { return x !== t; });
    if (gen === S.gen) fn();
  }, ms);
  routeTimers.push(t);
  return t;
};

/* A sweep, run or reference the store does not have: a page says so, it is not a failure. */
S.NotFound = function (message) { this.message = message; this.name = "NotFound"; };
S.NotFound.prototype = Object.create(Error.prototype);

/* The data source: fetch from `sweeper ui`, or the snapshot a report carries. */
S.source = null;

/* The control token, kept for the dashboard's origin (localStorage: every tab and page of this
   server, and of the next one on the same port until its own token replaces it). */
var TOKEN_KEY = "sweeper-token";
S.tokenStore = {
  get: function () { try { return window.localStorage.getItem(TOKEN_KEY); } catch (e) { return null; } },
  set: function (t) { try { window.localStorage.setItem(TOKEN_KEY, t); } catch (e) { /* storage refused */ } },
  clear: function () { try { window.localStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage refused */ } },
};

function answer(r) {
  return r.json().then(function (body) {
    if (body && body.not_found) throw new S.NotFound(body.not_found.message);
    if (!r.ok) {
      var err = new Error((body.error && body.error.message) || r.statusText);
      err.status = r.status;
      throw err;
    }
    return body;
  });
}

S.liveSource = function () {
  return {
    live: true,
    get: function (path) {
      // The server answers a missing sweep or run with 200 and {not_found} when asked so: a 404
      // would put "Failed to load resource" on the console, and the page says it itself.
      return S.guard(fetch(path, {headers: {"Accept": "application/json", "X-Sweeper-Not-Found": "in-body"}})
        .then(answer));
    },
    post: function (path) {
      var headers = {"Accept": "application/json"}, token = S.tokenStore.get();
      if (token) headers["X-Sweeper-Token"] = token;
      return S.guard(fetch(path, {method: "POST", headers: headers}).then(function (r) {
        // A token this server refuses (one kept from an earlier `sweeper ui` on this port) is
        // forgotten: the page goes back to read-only and says why.
        if (r.status === 403) S.tokenStore.clear();
        return answer(r);
      }));
    },
  };
};

S.snapshotSource = function (snap) {
  var sweepId = snap.sweep.sweep.id;
  function pick(curves, keys) {
    if (!keys) return curves;
    var runs = {};
    Object.keys(curves.runs).forEach(function (id) {
      var c = curves.runs[id], out = {seq: c.seq, stop: c.stop};
      keys.forEach(function (k) { out[k] = S.charts.col(c, k) || c.seq.map(function () { return null; }); });
      runs[id] = out;
    });
    return {per_run: curves.per_run, runs: runs};
  }
  return {
    live: false,
    get: function (path) {
      var url = new URL(path, "http://x/"), p = url.pathname, keys = url.searchParams.get("keys");
      keys = keys === null ? null : keys.split(",").filter(Boolean);
      var out = null;
      if (p === "/api/sweeps/" + sweepId) out = snap.sweep;
      else if (p === "/api/sweeps/" + sweepId + "/importance") out = snap.importance;
      else if (p === "/api/sweeps/" + sweepId + "/curves") out = pick(snap.curves, keys || (url.searchParams.get("x") ?
        [url.searchParams.get("x")].concat(snap.sweep.metric.name ? [snap.sweep.metric.name] : []) : null));
      else if (p === "/api/runs/curves") {
        var ids = (url.searchParams.get("ids") || "").split(","), all = pick(snap.curves, keys), runs = {};
        ids.forEach(function (id) { if (all.runs[id]) runs[id] = all.runs[id]; });
        out = {per_run: all.per_run, runs: runs};
      } else if (p === "/api/runs") {
        var want = (url.searchParams.get("ids") || "").split(",");
        var rows = snap.sweep.rows.filter(function (r) { return want.indexOf(r.id) >= 0; });
        var pk = snap.sweep.keys, mk = snap.sweep.metric_keys;
        out = {rows: rows, param_keys: pk, metric_keys: mk, sweeps: {}, differ: pk.filter(function (k) {
          return new Set(rows.map(function (r) { return JSON.stringify(r.params[k]); })).size > 1;
        })};
        out.sweeps[sweepId] = {name: snap.sweep.sweep.name, project: snap.sweep.sweep.project,
                               metric: snap.sweep.metric.name, goal: snap.sweep.metric.goal};
      }
      return S.guard(out ? Promise.resolve(out) : Promise.reject(new S.NotFound("not in this report: " + p +
        " (a report holds one sweep's page; `sweeper ui` shows every page)")));
    },
    post: function () { return Promise.reject(new Error("a report cannot control a sweep: use `sweeper ui`")); },
  };
};

S.throttle = function (fn, ms) {
  var timer = null, again = false;
  return function () {
    if (timer) { again = true; return; }
    fn();
    timer = S.later(function () { timer = null; if (again) { again = false; fn(); } }, ms);
  };
};

/* The runs picked to compare: kept for the tab while moving between sweeps, projects and runs,
   so a comparison can take runs from anywhere. */
S.picks = {
  all: function () {
    try { return JSON.parse(window.sessionStorage.getItem("sweeper-picked") || "[]"); } catch (e) { return []; }
  },
  set: function (ids) {
    try { window.sessionStorage.setItem("sweeper-picked", JSON.stringify(ids)); } catch (e) { /* private mode */ }
  },
};

/* "compare selected (N)" and "clear": the link follows S.picks; onChange(ids) after each change. */
S.compareBar = function (onChange) {
  var link = S.el("a", {class: "button", id: "compare-link", href: "#/compare"});
  var clear = S.el("button", {type: "button", class: "clear-picks"}, "clear selection");
  var bar = S.el("div", {class: "tools compare-bar"}, [link, clear]);
  bar.update = function (ids) {
    S.picks.set(ids);
    link.textContent = "compare selected (" + ids.length + ")";
    link.setAttribute("href", "#/compare?runs=" + ids.join(","));
    if (onChange) onChange(ids);
  };
  clear.addEventListener("click", function () {
    bar.update([]);
    if (bar.table) { bar.table.selected = []; bar.table.render(); }
  });
  bar.update(S.picks.all());
  return bar;
};
