/* sweeper pages: the runs table. Sorts by any column (runs without a value last, whichever
   way), filters by text and state and by the brush of the parallel coordinates, pages, and
   selects runs (to draw them on top, or to compare them). Cells are text nodes: a value from
   a program is never markup. */
"use strict";
(function (S) {
  var PAGE = 50;

  function cmp(a, b) {
    var na = a === null || a === undefined || (typeof a === "number" && isNaN(a));
    var nb = b === null || b === undefined || (typeof b === "number" && isNaN(b));
    if (na || nb) return na && nb ? 0 : (na ? 1 : -1);
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return S.text(a).localeCompare(S.text(b));
  }

  /* opts: columns [{key, label, get(row), title(row)?, cls?}], sort {key, desc}, bestId,
     selectable, onSelect(ids), link(row) -> href, id (the element's id). */
  S.RunsTable = function (container, opts) {
    this.opts = opts;
    this.rows = [];
    this.keep = null;       // IDs the brush keeps (null: every run)
    this.query = "";
    this.state = "";
    this.sort = opts.sort || {key: null, desc: false};
    this.page = 0;
    this.selected = opts.selected || [];
    this.root = S.el("div", {class: "runs-table"});
    container.appendChild(this.root);
    this._build();
  };

  S.RunsTable.prototype._build = function () {
    var self = this;
    this.search = S.el("input", {type: "search", placeholder: "filter runs: any text in a row", class: "filter",
                                 "aria-label": "filter runs", on: {input: function () {
                                   self.query = self.search.value.trim().toLowerCase(); self.page = 0; self.render(); }}});
    this.stateSel = S.el("select", {"aria-label": "state", class: "statefilter", on: {change: function () {
      self.state = self.stateSel.value; self.page = 0; self.render(); }}}, [S.el("option", {value: ""}, "every state")]);
    this.info = S.el("span", {class: "filterinfo"});
    this.pager = S.el("span", {class: "pager"});
    this.thead = S.el("thead");
    this.tbody = S.el("tbody");
    this.root.appendChild(S.el("div", {class: "tools"}, [this.search, this.stateSel, this.info, this.pager]));
    this.root.appendChild(S.el("div", {class: "table-wrap"}, S.el("table", {class: "runs", id: this.opts.id || null},
                                                                      [this.thead, this.tbody])));
  };

  S.RunsTable.prototype.setRows = function (rows, bestId) {
    this.rows = rows;
    this.opts.bestId = bestId;
    var states = Array.from(new Set(rows.map(function (r) { return r.state; }))).sort();
    var have = Array.prototype.map.call(this.stateSel.options, function (o) { return o.value; });
    if (JSON.stringify(have.slice(1)) !== JSON.stringify(states)) {
      var keep = this.stateSel.value, sel = this.stateSel;
      while (sel.options.length > 1) sel.remove(1);
      states.forEach(function (s) { sel.appendChild(S.el("option", {value: s}, s)); });
      sel.value = states.indexOf(keep) >= 0 ? keep : "";
    }
    this.render();
  };

  S.RunsTable.prototype.setKeep = function (keep) { this.keep = keep; this.page = 0; this.render(); };

  S.RunsTable.prototype.visible = function () {
    var self = this, cols = this.opts.columns;
    var out = this.rows.filter(function (r) {
      if (self.keep && !self.keep[r.id]) return false;
      if (self.state && r.state !== self.state) return false;
      if (!self.query) return true;
      return cols.some(function (c) { return S.text(c.get(r)).toLowerCase().indexOf(self.query) >= 0; }) ||
        (r.name && r.name.toLowerCase().indexOf(self.query) >= 0);
    });
    var col = cols.filter(function (c) { return c.key === self.sort.key; })[0];
    if (col) {
      var desc = this.sort.desc;
      out = out.map(function (r, i) { return [col.get(r), i, r]; }).sort(function (a, b) {
        var blank = function (v) { return v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v)); };
        if (blank(a[0]) || blank(b[0])) return blank(a[0]) === blank(b[0]) ? a[1] - b[1] : (blank(a[0]) ? 1 : -1);
        var c = cmp(a[0], b[0]);
        return (desc ? -c : c) || a[1] - b[1];
      }).map(function (x) { return x[2]; });
    }
    return out;
  };

  S.RunsTable.prototype.render = function () {
    var self = this, cols = this.opts.columns;
    this.thead.textContent = "";
    var head = S.el("tr");
    if (this.opts.selectable) head.appendChild(S.el("th", {class: "pick", title: "select runs to draw on top and to compare"}, "\u2713"));
    cols.forEach(function (c) {
      var arrow = self.sort.key === c.key ? (self.sort.desc ? " \u25bc" : " \u25b2") : "";
      head.appendChild(S.el("th", {"data-key": c.key, title: "sort by " + c.label, class: "sortable",
        "aria-sort": self.sort.key === c.key ? (self.sort.desc ? "descending" : "ascending") : null,
        on: {click: function () {
          self.sort = {key: c.key, desc: self.sort.key === c.key ? !self.sort.desc : !!c.desc};
          self.page = 0; self.render();
        }}}, c.label + arrow));
    });
    this.thead.appendChild(head);
    var rows = this.visible();
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    this.page = Math.min(this.page, pages - 1);
    var shown = rows.slice(this.page * PAGE, (this.page + 1) * PAGE);
    this.tbody.textContent = "";
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) {
      var classes = ["state-" + String(r.state).replace(/[^a-z]/g, "")];
      if (r.id === self.opts.bestId) classes.push("best");
      if (r.early_terminated) classes.push("et");
      var tr = S.el("tr", {"data-run": r.id, class: classes.join(" ")});
      if (self.opts.selectable) {
        var box = S.el("input", {type: "checkbox", "aria-label": "select run " + r.id});
        box.checked = self.selected.indexOf(r.id) >= 0;
        box.addEventListener("change", function () {
          self.selected = box.checked ? self.selected.concat([r.id]) : self.selected.filter(function (i) { return i !== r.id; });
          if (self.opts.onSelect) self.opts.onSelect(self.selected.slice());
        });
        tr.appendChild(S.el("td", {class: "pick"}, box));
      }
      cols.forEach(function (c) {
        var v = c.get(r), text = c.format ? c.format(v, r) : S.text(v);
        var td = S.el("td", {class: c.cls || (typeof v === "number" ? "num" : null),
                             title: c.title ? c.title(r) : (text.length > 40 ? text : null)});
        var href = c.link ? c.link(r) : null;
        td.appendChild(href ? S.el("a", {href: href}, text) : document.createTextNode(text));
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    this.tbody.appendChild(frag);
    var n = this.rows.length, filtered = rows.length !== n;
    this.info.textContent = (filtered ? rows.length + " of " + n + " runs" : n + " runs") +
      (this.keep ? ", filtered by the parallel-coordinates brush" : "");
    this.pager.textContent = "";
    if (pages > 1) {
      var prev = S.el("button", {type: "button", class: "prev", on: {click: function () { self.page--; self.render(); }}}, "\u2039 prev");
      var next = S.el("button", {type: "button", class: "next", on: {click: function () { self.page++; self.render(); }}}, "next \u203a");
      prev.disabled = this.page === 0;
      next.disabled = this.page >= pages - 1;
      this.pager.appendChild(prev);
      this.pager.appendChild(S.el("span", {}, " rows " + (this.page * PAGE + 1) + "\u2013" +
                                  Math.min(rows.length, (this.page + 1) * PAGE) + " of " + rows.length + " "));
      this.pager.appendChild(next);
    }
  };
})(window.S);
