"""The build's own N-Triples/N-Quads lines (stream/ntriples.py) read back as rdflib's serializer's do."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from claimgraph.stream.ntriples import nq_lines, nt_lines

S, P = URIRef("http://example.org/s"), URIRef("http://example.org/p")
OBJECTS = [URIRef("http://example.org/o"), Literal("plain"), Literal('quote " and \\ backslash'),
           Literal("line\nbreak\r\nand tab\t"), Literal("ünïcode — “curly”"), Literal("hello", lang="en-GB"),
           Literal(5), Literal(-3, datatype=XSD.integer), Literal("0", datatype=XSD.nonNegativeInteger),
           Literal(True), Literal("2026-12-04", datatype=XSD.date), Literal("x", datatype=XSD.string),
           Literal("", lang="fr"), Literal("")]


def test_the_lines_read_back_as_the_same_terms_as_rdflibs():
    triples = [(S, P, o) for o in OBJECTS]
    ours = ox.Store()
    ours.load(nt_lines(triples), ox.RdfFormat.N_TRIPLES)
    g = Graph()
    for t in triples:
        g.add(t)
    ref = ox.Store()
    ref.load(g.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    assert set(ours) == set(ref) and len(set(ours)) == len(OBJECTS)


def test_quads_are_in_their_graph_and_sorted():
    body = nq_lines([(S, P, Literal("b")), (S, P, Literal("a"))], "http://example.org/g")
    lines = body.decode().splitlines()
    assert lines == sorted(lines) and all(line.endswith(" <http://example.org/g> .") for line in lines)
    store = ox.Store()
    store.load(body, ox.RdfFormat.N_QUADS)
    assert {q.graph_name.value for q in store} == {"http://example.org/g"}
