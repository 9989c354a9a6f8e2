"""SPARQL Service Description (W3C sparql11-service-description) and VoID of the endpoint."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, VOID, XSD

from ..namespaces import PREFIXES, SD
from ..sparql.prefixes import PREDECLARED

RESULT_FORMATS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "nquads": "http://www.w3.org/ns/formats/N-Quads",
    "trig": "http://www.w3.org/ns/formats/TriG",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
}
RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig", "jsonld": "json-ld",
                 "rdfxml": "xml"}


SH = Namespace("http://www.w3.org/ns/shacl#")


def service_description(endpoint: str, graphs: dict[str, int], dataset_iri: str, updates: bool) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("sd", str(SD))
    svc = URIRef(endpoint)
    g.add((svc, RDF.type, SD.Service))
    g.add((svc, SD.endpoint, svc))
    g.add((svc, RDFS.label, Literal("claimgraph SPARQL endpoint")))
    g.add((svc, SD.supportedLanguage, SD.SPARQL11Query))
    if updates:
        g.add((svc, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((svc, SD.feature, SD.UnionDefaultGraph))
    g.add((svc, SD.feature, SD.BasicFederatedQuery))
    for uri in RESULT_FORMATS.values():
        g.add((svc, SD.resultFormat, URIRef(uri)))
    ds = BNode()
    g.add((svc, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, URIRef(str(VOID) + "inDataset"), URIRef(dataset_iri)))
    dg = BNode()
    g.add((ds, SD.defaultGraph, dg))
    g.add((dg, RDF.type, SD.Graph))
    g.add((dg, VOID.triples, Literal(sum(graphs.values()))))
    # The prefixes a query may use undeclared, as SHACL declares prefixes (sh:declare), the form
    # Wikidata-style tools read.
    g.bind("sh", str(SH))
    for prefix, ns in PREDECLARED.items():
        decl = BNode()
        g.add((svc, SH.declare, decl))
        g.add((decl, SH.prefix, Literal(prefix)))
        g.add((decl, SH.namespace, Literal(ns, datatype=XSD.anyURI)))
    for name, count in sorted(graphs.items()):
        ng = BNode()
        gr = BNode()
        g.add((ds, SD.namedGraph, ng))
        g.add((ng, RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, URIRef(name)))
        g.add((ng, SD.graph, gr))
        g.add((gr, RDF.type, SD.Graph))
        g.add((gr, VOID.triples, Literal(count)))
    return g


def serialize_graph(g: Graph, fmt: str) -> bytes:
    data = g.serialize(format=RDFLIB_FORMAT[fmt], encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")
