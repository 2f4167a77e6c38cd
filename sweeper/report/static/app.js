/* sweeper pages: start-up. Reads the boot data (live: `sweeper ui`; snapshot: a report), keeps
   the token from the URL for the origin (then takes it out of the address bar), routes #/... to
   a view, and in live mode listens to the server's events and hands them to the page on screen.
   Each route is a generation (S.newRoute): nothing the page left behind draws after it. */
"use strict";
(function (S) {
  var boot = JSON.parse(document.getElementById("sweeper-data").textContent);
  var main = document.getElementById("main");
  var liveBadge = document.getElementById("live");
  var current = null, events = null;

  if (boot.mode === "snapshot") {
    S.source = S.snapshotSource(boot.snapshot);
  } else {
    S.source = S.liveSource();
    var params = new URLSearchParams(window.location.search);
    if (params.get("token")) {
      S.tokenStore.set(params.get("token"));
      params.delete("token");
      var rest = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    }
    // The token given in another tab reaches this one: its controls are redrawn.
    window.addEventListener("storage", function (e) {
      if (e.key === "sweeper-token" && current && current.page.tokenChanged) current.page.tokenChanged();
    });
  }

  function route() {
    var hash = window.location.hash.replace(/^#/, "") || boot.route || "/";
    var q = hash.indexOf("?"), path = q >= 0 ? hash.slice(0, q) : hash;
    var query = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : "");
    var parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    document.body.setAttribute("data-rendered", "no");
    main.textContent = "";
    if (parts[0] === "sweep" && parts[1]) {
      // Not an ID (8 lowercase letters and digits): said here, as the server cannot route "a/b".
      if (!/^[a-z0-9]{8}$/.test(parts[1])) return {page: {ready: Promise.reject(new S.NotFound("no sweep '" + parts[1] +
        "': a sweep ID is 8 lowercase letters and digits"))}};
      return {page: S.views.sweep(main, parts[1]), sweep: parts[1]};
    }
    if (parts[0] === "run" && parts[1]) {
      if (!/^[a-z0-9]{8}$/.test(parts[1])) return {page: {ready: Promise.reject(new S.NotFound("no run '" + parts[1] +
        "': a run ID is 8 lowercase letters and digits"))}};
      return {page: S.views.run(main, parts[1])};
    }
    if (parts[0] === "project") return {page: S.views.project(main, parts[1] || null)};
    if (parts[0] === "compare") {
      var list = function (k) { return (query.get(k) || "").split(",").filter(Boolean); };
      return {page: S.views.compare(main, list("runs"), list("refs"))};
    }
    if (boot.mode === "snapshot") return {page: S.views.sweep(main, boot.route.split("/")[2])};
    return {page: S.views.overview(main)};
  }

  function listen(sweep) {
    if (events) events.close();
    events = null;
    if (!S.source.live || !window.EventSource) return;
    events = new EventSource("/api/events" + (sweep ? "?sweep=" + encodeURIComponent(sweep) : ""));
    liveBadge.hidden = false;
    liveBadge.textContent = "live";
    liveBadge.className = "live on";
    events.addEventListener("change", function (e) {
      var data = JSON.parse(e.data), page = current && current.page;
      // A page that could not be drawn (a missing sweep) has nothing to update.
      if (page && page.onChange && page.ready && !current.failed) {
        S.guard(page.ready.then(function () { return page.onChange(data); })).then(stamp, fail);
      }
    });
    events.addEventListener("store", function (e) {
      liveBadge.textContent = "store: " + JSON.parse(e.data).error;
      liveBadge.className = "live off";
    });
    events.onerror = function () { liveBadge.textContent = "reconnecting"; liveBadge.className = "live off"; };
    events.onopen = function () { liveBadge.textContent = "live"; liveBadge.className = "live on"; };
  }

  function stamp() {
    document.body.setAttribute("data-rendered", "yes");
    document.body.setAttribute("data-updated", String(Date.now()));
  }

  function fail(err) {
    if (current) current.failed = true;
    if (err instanceof S.NotFound) {
      // Not a failure of the page: what the address names is not in the store.
      document.body.setAttribute("data-rendered", "not found: " + err.message);
      main.textContent = "";
      main.appendChild(S.el("h1", {}, "Not found"));
      main.appendChild(S.el("p", {class: "error", id: "error"}, err.message));
      main.appendChild(S.el("p", {}, S.el("a", {href: "#/"}, "Every sweep and project")));
      return;
    }
    document.body.setAttribute("data-rendered", "error: " + err.message);
    if (document.getElementById("error")) document.getElementById("error").textContent = err.message;
    else main.appendChild(S.el("p", {class: "error", id: "error"}, err.message));
    if (window.console) console.warn(err.message);
  }

  function go() {
    S.newRoute();
    current = route();
    S.page = current.page;  // for a console, and for tests
    var ready = current.page.ready || Promise.resolve();
    // ready settles only while its route is on screen (S.guard): a page left is not stamped.
    S.guard(ready).then(function () {
      stamp();
      document.body.setAttribute("data-render-ms", String(Math.round(performance.now())));
    }, fail);
    listen(current.sweep);
  }

  window.addEventListener("hashchange", go);
  go();
})(window.S);
