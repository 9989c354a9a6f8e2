// YASGUI on our own endpoint, offline: no LOV or prefix.cc look-ups (only our prefixes and the
// query's own variables complete), nothing kept from an earlier visit, one tab per example asked for.
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("named-examples").textContent);
  var prefixes = JSON.parse(document.getElementById("prefixes").textContent);
  var params = new URLSearchParams(location.search);
  var endpoint = location.origin + "/sparql";
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    populateFromUrl: false,
    autoAddOnInit: false,
    yasqe: { autocompleters: ["variables", "prefixes"], persistenceId: null },
    yasr: { persistenceId: null, prefixes: prefixes }
  });
  function open(name, query) {
    var tab = yasgui.addTab(true, { name: name, yasqe: { value: query }, requestConfig: { endpoint: endpoint } });
    return tab;
  }
  var wanted = params.get("named");
  var first = null;
  if (params.get("query")) first = open("Your query", params.get("query"));
  examples.forEach(function (ex) {
    if (!first && (!wanted || wanted === ex.name)) first = open(ex.title, ex.query);
  });
  if (!first) first = open("Query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10");
  document.querySelectorAll("#examples a[data-named]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var ex = examples.filter(function (x) { return x.name === a.dataset.named; })[0];
      if (ex) open(ex.title, ex.query);
      history.replaceState(null, "", "/editor?named=" + encodeURIComponent(ex.name));
    });
  });
  // YASGUI leaves a few controls without a name and its editor's scroller out of the tab order:
  // name them and let the keyboard reach it, now and whenever it redraws.
  function tidy() {
    document.querySelectorAll("#yasgui input.autocomplete:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "SPARQL endpoint");
    });
    document.querySelectorAll("#yasgui .CodeMirror textarea:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "SPARQL query");
    });
    document.querySelectorAll("#yasgui .tabsList input:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "Tab name");
    });
    document.querySelectorAll('#yasgui .CodeMirror-scroll:not([tabindex="0"])').forEach(function (el) {
      el.setAttribute("tabindex", "0");
    });
  }
  tidy();
  new MutationObserver(tidy).observe(document.getElementById("yasgui"), { childList: true, subtree: true });
  window.claimgraphYasgui = yasgui;
})();
