"""Queries that must never hurt the service, shared by the safety and inline-evaluation tests."""

from __future__ import annotations

# Runaways: a cross product, a closure over one, and a sort of a cross product that holds memory.
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CLOSURE_CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?c (!<urn:x:none>)* ?f }"
MEMORY_HOG = "SELECT ?a ?b ?c ?d ?e ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d LIMIT 1"


def tricks(base: str) -> dict[str, str]:
    host = base.split("//")[1].rstrip("/")
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{base}sparql> {{ ?s ?p ?o }} }}",
        "\\u0053ERVICE": f"SELECT * WHERE {{ \\u0053ERVICE <{base}sparql> {{ ?s ?p ?o }} }}",
        "prefixed name": f"PREFIX e: <{base}> SELECT * WHERE {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
        "BASE-relative": f"BASE <{base}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        "scheme-relative": f"BASE <http://e.example/> SELECT * WHERE {{ SERVICE <//{host}/x> {{ ?s ?p ?o }} }}",
        "SILENT": f"SELECT * WHERE {{ SERVICE SILENT <{base}sparql> {{ ?s ?p ?o }} }}",
        "SILENT glued": f"PREFIX : <{base}> SELECT * WHERE {{ SERVICE SILENT:sparql {{ ?s ?p ?o }} }}",
        "glued": f"PREFIX : <{base}> SELECT * WHERE {{ ?s ?p ?o SERVICE:sparql {{ ?s ?p ?o }} }}",
        "variable endpoint": f"SELECT * WHERE {{ VALUES ?e {{ <{base}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        "escape in the IRI": f"SELECT * WHERE {{ SERVICE <{base}\\u0073parql> {{ ?s ?p ?o }} }}",
        "inside EXISTS": f"ASK {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{base}> {{ ?s ?p ?o }} }} }}",
    }
