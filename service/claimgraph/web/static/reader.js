// The reader's enhancements: select a claim without reloading, filter marks in place, keep the
// URL a deep link (?claim=…, ?entity=… and the other filters), and put the overview's ticks where
// the marks really are. The page reads fine without it: marks, panels (:target) and the filter
// form are plain HTML.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var text = document.getElementById("text");
  var form = document.getElementById("filters");
  var hint = document.getElementById("panel-hint");
  var count = document.getElementById("shown-count");
  var names = ["entity", "topic", "kind", "stance", "voice", "hedged"];
  var current = null;

  function marksOf(id) { return text.querySelectorAll('mark.claim[data-claim="' + id + '"]'); }

  function select(id, push) {
    var panel = document.getElementById("claim-" + id);
    if (!panel) return;
    document.querySelectorAll(".panel.open").forEach(function (p) { p.classList.remove("open"); });
    document.querySelectorAll("mark.claim.selected").forEach(function (m) { m.classList.remove("selected"); });
    panel.classList.add("open");
    marksOf(id).forEach(function (m) { m.classList.add("selected"); });
    if (hint) hint.hidden = true;
    current = id;
    if (push) {
      var url = new URL(location.href);
      url.searchParams.set("claim", id);
      url.hash = "claim-" + id;
      history.replaceState(null, "", url);
    }
    panel.focus({ preventScroll: true });
    var first = marksOf(id)[0];
    if (first && push !== "no-scroll") first.scrollIntoView({ block: "nearest" });
  }

  text.addEventListener("click", function (e) {
    var mark = e.target.closest("mark.claim:not(.off)");
    if (!mark) return;
    e.preventDefault();
    select(mark.dataset.claim, true);
  });
  document.querySelectorAll(".overview a").forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); select(a.dataset.claim, true); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && current) {
      document.querySelectorAll(".panel.open").forEach(function (p) { p.classList.remove("open"); });
      marksOf(current).forEach(function (m) { m.classList.remove("selected"); });
      var link = text.querySelector('#m-' + current + ' > a.cid');
      current = null;
      if (hint) hint.hidden = false;
      if (link) link.focus();
    }
  });

  function wanted() {
    var f = {};
    names.forEach(function (n) { var v = form.elements[n].value; if (v) f[n] = v; });
    return f;
  }
  function passes(m, f) {
    if (f.entity && (" " + m.dataset.entities + " ").indexOf(" " + f.entity + " ") < 0) return false;
    if (f.topic && (" " + m.dataset.topics + " ").indexOf(" " + f.topic + " ") < 0) return false;
    if (f.kind && m.dataset.kind !== f.kind) return false;
    if (f.stance && (" " + m.dataset.stance + " ").indexOf(" " + f.stance + " ") < 0) return false;
    if (f.voice && m.dataset.voice !== f.voice) return false;
    if (f.hedged && m.dataset.hedged !== f.hedged) return false;
    return true;
  }
  function applyFilters() {
    var f = wanted(), on = {}, n = 0, total = 0;
    text.querySelectorAll("mark.claim").forEach(function (m) {
      var ok = passes(m, f);
      m.classList.toggle("off", !ok);
      if (on[m.dataset.claim] === undefined) { total++; if (ok) n++; }
      on[m.dataset.claim] = ok;
    });
    text.querySelectorAll("span.mention").forEach(function (s) {
      s.classList.toggle("off", !!f.entity && s.dataset.entity !== f.entity);
    });
    document.querySelectorAll(".overview a").forEach(function (a) { a.classList.toggle("off", !on[a.dataset.claim]); });
    if (count) count.textContent = n + " of " + total + " marked";
    var url = new URL(location.href);
    names.forEach(function (k) { if (f[k]) url.searchParams.set(k, f[k]); else url.searchParams.delete(k); });
    history.replaceState(null, "", url);
  }
  form.addEventListener("change", applyFilters);
  form.addEventListener("submit", function (e) { e.preventDefault(); applyFilters(); });

  // The overview: each tick at its mark's height in the text, as a share of the text's height.
  function placeTicks() {
    var h = text.scrollHeight || 1, top = text.getBoundingClientRect().top + window.scrollY;
    document.querySelectorAll(".overview a").forEach(function (a) {
      var m = marksOf(a.dataset.claim)[0];
      if (m) a.style.top = (100 * (m.getBoundingClientRect().top + window.scrollY - top) / h).toFixed(2) + "%";
    });
  }
  window.addEventListener("resize", placeTicks);
  placeTicks();

  var params = new URLSearchParams(location.search);
  var chosen = params.get("claim") || (/^#claim-(.+)$/.exec(location.hash) || [])[1];
  if (chosen) select(chosen, "no-scroll");
})();
