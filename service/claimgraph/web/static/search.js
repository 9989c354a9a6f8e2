// Autocomplete for every search box marked data-autocomplete: asks /api/search (the REST search)
// and lists entities and claims; arrows move, Enter opens, Escape closes. Without script the form
// still submits to /search.
(function () {
  "use strict";
  function pageOf(row) {
    var m = /\/entity\/([^/]+)$/.exec(row.id);
    if (m) return "/entity/" + encodeURIComponent(m[1]);
    m = /\/article\/([^/]+)\/claim\/([^/]+)$/.exec(row.id);
    if (m) return "/read/" + m[1] + "?claim=" + m[2] + "#claim-" + m[2];
    return row.href || "#";
  }
  function setup(input) {
    var list = document.getElementById(input.dataset.autocomplete);
    var timer = null, rows = [], active = -1, seq = 0;
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        if (i === active) input.setAttribute("aria-activedescendant", li.id);
      });
    }
    function show(data) {
      list.textContent = "";
      rows = data;
      data.forEach(function (row, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        var a = document.createElement("a");
        a.href = pageOf(row);
        a.tabIndex = -1;
        a.textContent = row.resource === "entity" ? row.label : "\u201c" + row.label + "\u201d";
        var what = document.createElement("span");
        what.className = "what";
        what.textContent = row.resource === "entity" ? (row.entityType || "entity") : "claim \u00b7 " + (row.kind || "");
        a.appendChild(what);
        li.appendChild(a);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = a.href; });
        list.appendChild(li);
      });
      list.hidden = data.length === 0;
      input.setAttribute("aria-expanded", data.length ? "true" : "false");
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/api/search?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { rows: [] }; })
          .then(function (body) { if (mine === seq) show(body.rows || []); })
          .catch(function () { close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = Math.min(rows.length - 1, active + 1); mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(0, active - 1); mark(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { location.href = pageOf(rows[active]); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  document.querySelectorAll("input[data-autocomplete]").forEach(setup);
})();
