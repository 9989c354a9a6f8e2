"""Counts that describe what the store holds (CLI `stats`, /health, README figures)."""

from __future__ import annotations

from typing import Any

from .store.base import GraphStore

CG = "https://w3id.org/claimgraph/ontology#"


def _count(store: GraphStore, where: str) -> int:
    rows = list(store.query(f"PREFIX cg: <{CG}> SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0]["n"].value)


def _group(store: GraphStore, select: str) -> dict[str, int]:
    out = {}
    for row in store.query(f"PREFIX cg: <{CG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> {select}"):
        out[row["k"].value] = int(row["n"].value)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def collect(store: GraphStore) -> dict[str, Any]:
    per_graph = dict(sorted(store.triple_counts().items()))
    return {
        "triples_per_graph": per_graph,
        "triples": sum(per_graph.values()),
        "articles": _count(store, "?x a cg:Article"),
        "sentences": _count(store, "?x a cg:Sentence"),
        "mentions": _count(store, "?x a cg:Mention"),
        "claims": _count(store, "?x a cg:Claim"),
        "entities": _count(store, "?x cg:registerId ?id"),
        # Named as the REST API names them: /api/events lists the events articles invoke (their
        # references, each with its own dates); /api/policies lists register policies, each with
        # the references that invoke it.
        "events": _count(store, "?x a cg:EventReference"),
        "policies": _count(store, '?x cg:entityType "Policy" ; cg:registerId ?id'),
        "policy_references": _count(store, "?x a cg:PolicyReference"),
        "claims_by_kind": _group(store, "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c cg:claimKind ?k } GROUP BY ?k"),
        "claims_by_claimant": _group(
            store,
            "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c cg:claimant ?w . OPTIONAL { ?w rdfs:label ?l } "
            "BIND(COALESCE(STR(?l), STR(?w)) AS ?k) } GROUP BY ?k",
        ),
        "claims_by_attribution": _group(
            store, "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c cg:attribution ?a . ?a rdfs:label ?l BIND(STR(?l) AS ?k) } GROUP BY ?k"
        ),
        "entities_by_type": _group(store, "SELECT ?k (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e cg:entityType ?k } GROUP BY ?k"),
    }
