"""Result formats: media types <-> pyoxigraph formats, shared by the CLI and HTTP."""

from __future__ import annotations

import pyoxigraph as ox

# name -> (media type, pyoxigraph format)
SOLUTION_FORMATS: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
GRAPH_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "nquads": ("application/n-quads", ox.RdfFormat.N_QUADS),
    "trig": ("application/trig", ox.RdfFormat.TRIG),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
# Extra names clients use for the same formats.
SOLUTION_ALIASES = {
    "application/json": "json", "text/json": "json", "application/xml": "xml", "text/xml": "xml",
    "application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_ALIASES = {
    "application/x-turtle": "turtle", "text/plain": "ntriples", "application/json": "jsonld",
    "text/n3": "turtle", "application/xml": "rdfxml", "text/xml": "rdfxml",
}
for _name, (_mt, _f) in SOLUTION_FORMATS.items():
    SOLUTION_ALIASES.setdefault(_mt, _name)
for _name, (_mt, _f) in GRAPH_FORMATS.items():
    GRAPH_ALIASES.setdefault(_mt, _name)


def kind_of(result: object) -> str:
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    if isinstance(result, ox.QuerySolutions):
        return "solutions"
    return "graph"


def serialize(result: object, name: str) -> bytes:
    kind = kind_of(result)
    if kind == "graph":
        from ..namespaces import PREFIXES
        from .rdf_writer import rdf_bytes

        return rdf_bytes(result, GRAPH_FORMATS[name][1], PREFIXES)  # type: ignore[arg-type]
    return result.serialize(format=SOLUTION_FORMATS[name][1])  # type: ignore[attr-defined]
