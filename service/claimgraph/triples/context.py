"""Sourced statements about publishers and outlets, in a graph of their own.

Each is reified as a cg:SourcedStatement that says who states it and where,
so nothing here reads as the graph's own assertion.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from ..namespaces import CG, Minter
from ..reading.model import Fact
from .terms import en, plain, time_literal


def context_graph(g: Graph, facts: list[Fact], mint: Minter) -> None:
    for f in facts:
        node = URIRef(mint.fact(f.id))
        g.add((node, RDF.type, CG.SourcedStatement))
        g.add((node, RDFS.label, en(f.statement)))
        g.add((node, CG.statementAbout, URIRef(mint.entity(f.subject))))
        g.add((node, CG.statedBy, plain(f.by)))
        if f.by_entity:
            g.add((node, PROV.wasAttributedTo, URIRef(mint.entity(f.by_entity))))
        g.add((node, CG.statementKind, plain(f.kind)))
        g.add((node, DCTERMS.source, URIRef(f.source)))
        g.add((node, PROV.hadPrimarySource, URIRef(f.source)))
        if f.date:
            g.add((node, DCTERMS.date, time_literal(f.date)))
        if f.retrieved_via:
            g.add((node, CG.curatorNote, Literal(f.retrieved_via)))
