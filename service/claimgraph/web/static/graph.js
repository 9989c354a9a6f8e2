// The entity page's graph view: cytoscape (vendored) is loaded only when the reader opens the view;
// the neighbourhood comes from /entity/<id>/graph.json, capped, and a click on a node merges its own.
(function () {
  "use strict";
  var button = document.getElementById("open-graph");
  if (!button) return;
  var box = document.getElementById("graph");
  var cy = null, loaded = {};
  var colours = { favourable: "#1f7a2e", critical: "#a32020", mixed: "#7a5000", neutral: "#555555" };
  function load(src) {
    return new Promise(function (ok, fail) {
      var s = document.createElement("script");
      s.src = src; s.onload = ok; s.onerror = fail;
      document.head.appendChild(s);
    });
  }
  function merge(id) {
    if (loaded[id]) return Promise.resolve();
    loaded[id] = true;
    return fetch("/entity/" + encodeURIComponent(id) + "/graph.json").then(function (r) { return r.json(); }).then(function (g) {
      var add = [];
      g.nodes.forEach(function (n) {
        if (!cy.getElementById(n.id).length) add.push({ group: "nodes", data: { id: n.id, label: n.label, root: n.root ? 1 : 0 } });
      });
      g.edges.forEach(function (e) {
        var eid = e.source + ">" + e.target + ":" + e.stance;
        if (!cy.getElementById(eid).length) add.push({ group: "edges", data: { id: eid, source: e.source, target: e.target,
          label: (e.stance || "") + (e.claims > 1 ? " ×" + e.claims : ""), colour: colours[e.stance] || "#555555" } });
      });
      cy.add(add);
      cy.layout({ name: "cose", animate: false }).run();
    });
  }
  button.addEventListener("click", function () {
    box.hidden = false;
    button.disabled = true;
    var start = cy ? Promise.resolve() : load("/static/vendor/cytoscape/cytoscape.min.js").then(function () {
      cy = cytoscape({ container: box, elements: [], style: [
        { selector: "node", style: { label: "data(label)", "background-color": "#20344a", color: "#1d1d1f", "font-size": 11, "text-valign": "bottom" } },
        { selector: "node[root = 1]", style: { "background-color": "#b35900" } },
        { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", width: 2, label: "data(label)",
          "font-size": 9, "line-color": "data(colour)", "target-arrow-color": "data(colour)" } }
      ] });
      cy.on("tap", "node", function (e) { merge(e.target.id()); });
      window.claimgraphGraph = cy;
    });
    start.then(function () { return merge(button.dataset.entity); }).then(function () { box.dataset.ready = "true"; });
  });
})();
