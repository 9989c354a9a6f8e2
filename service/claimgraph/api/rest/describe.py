"""One resource's RDF description: which triples describe an IRI, and how to write them.

A description is the IRI's own triples, plus those of the hash IRIs it points
to under our base (text spans like .../text#char=0,81 cannot be dereferenced
on their own, so they travel with whatever uses them), plus, for a document
IRI such as an article's /text, every hash IRI it holds. A named graph's IRI
describes the graph: its VoID entry and its triples, up to a cap.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ...namespaces import PREFIXES
from .views import PREFIX_BLOCK, compact

DESCRIBE_CAP = 10000  # a hub node (an entity mentioned in a million sentences) stays a bounded document
DESCRIBE = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }} LIMIT {DESCRIBE_CAP}"
HASH_CHILDREN = PREFIX_BLOCK + """
CONSTRUCT { ?x ?p ?o } WHERE {
  ?x nif:referenceContext ?doc ; ?p ?o .
  FILTER(STRSTARTS(STR(?x), CONCAT(STR(?doc), "#")))
} LIMIT 50000
"""
GRAPH_EXISTS = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"
GRAPH_CONTENT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10000"
GRAPH_CAP = 10000
MAX_HASH_OBJECTS = 500
# What points at a node: the first 201 links the store yields, then sorted here. ORDER BY over all of
# them sorted every mention of a state named in every article before its LIMIT (27 s at 1,000 articles).
# The price: for a node with more than 201 links, which 201 are shown depends on the backend's row
# order (the list is shown in a stable order, and the page says what the SPARQL is for all of them).
INCOMING = "SELECT ?o ?s ?p WHERE { ?s ?p ?o } LIMIT 201"
LABELS = PREFIX_BLOCK + "SELECT ?s ?slabel WHERE {{ VALUES ?s {{ {subjects} }} ?s rdfs:label ?slabel }}"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def describe(engine: Any, iri: str, base: str, is_graph: bool = False) -> tuple[list[ox.Triple], bool]:
    """Triples describing iri (deduplicated, in a stable order) and whether a cap cut them."""
    node = ox.NamedNode(iri)
    triples: dict[str, ox.Triple] = {}
    truncated = False

    def add(result: Any) -> None:
        for t in result:
            triples.setdefault(str(t), t)

    own = engine.run_trusted(DESCRIBE, {"s": node})
    truncated = len(own) >= DESCRIBE_CAP
    add(own)
    hashed = [t.object for t in list(triples.values())
              if isinstance(t.object, ox.NamedNode) and "#" in t.object.value and t.object.value.startswith(base)]
    for obj in list(dict.fromkeys(hashed))[:MAX_HASH_OBJECTS]:
        add(engine.run_trusted(DESCRIBE, {"s": obj}))
    add(engine.run_trusted(HASH_CHILDREN, {"doc": node}))
    if is_graph and engine.run_trusted(GRAPH_EXISTS, {"g": node}):
        add(engine.run_trusted(DESCRIBE, {"s": ox.NamedNode(iri + "#void")}))
        content = engine.run_trusted(GRAPH_CONTENT, {"g": node})
        truncated = truncated or len(content) >= GRAPH_CAP
        add(content)
        if not triples:  # an empty-but-named graph still exists
            return [], truncated
    ordered = sorted(triples.values(), key=lambda t: (t.subject.value != iri, str(t.subject), str(t.predicate),
                                                      str(t.object)))
    return ordered, truncated


def graph_exists(engine: Any, iri: str) -> bool:
    return bool(engine.run_trusted(GRAPH_EXISTS, {"g": ox.NamedNode(iri)}))


def incoming(engine: Any, iri: str) -> list[dict[str, Any]]:
    """Up to 201 (subject, predicate) links to `iri`, by predicate then subject, each with a label."""
    links = sorted({(r["p"].value, r["s"].value) for r in engine.run_trusted(INCOMING, {"o": ox.NamedNode(iri)})
                    if isinstance(r["s"], ox.NamedNode)})
    labels: dict[str, str] = {}
    subjects = sorted({s for _p, s in links})
    if subjects:
        for r in engine.run_trusted(LABELS.format(subjects=" ".join(f"<{s}>" for s in subjects))):
            # One label per subject, the same one whichever row comes first (a node may have several).
            if r["s"].value not in labels or r["slabel"].value < labels[r["s"].value]:
                labels[r["s"].value] = r["slabel"].value
    return [{"s": s, "p": p, "label": labels.get(s)} for p, s in links]


def to_turtle(triples: list[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def to_ntriples(triples: list[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def _id(term: Any) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def _value(term: Any) -> Any:
    if isinstance(term, (ox.NamedNode, ox.BlankNode)):
        return {"@id": _id(term)}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype is None or term.datatype.value == XSD_STRING:
        return term.value
    return {"@value": term.value, "@type": compact(term.datatype.value)}


def to_jsonld(triples: list[ox.Triple], context_url: str) -> dict[str, Any]:
    """Compact JSON-LD under the published context: keys are prefixed names the context defines,
    @id values stay full IRIs, typed literals keep their datatype (nothing is lost)."""
    nodes: dict[str, dict[str, Any]] = {}
    for t in triples:
        s = _id(t.subject)
        node = nodes.setdefault(s, {"@id": s})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact(t.object.value))
        else:
            node.setdefault(compact(t.predicate.value), []).append(_value(t.object))
    return {"@context": context_url, "@graph": list(nodes.values())}
