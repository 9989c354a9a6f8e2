"""The shared register as RDF: types, names, aliases, policy parties, concept hierarchy."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from ..namespaces import CG, SCHEMA, Minter
from ..reading.model import Entity
from .terms import en, plain

CLASS_OF: dict[str, URIRef] = {
    "State": CG.State,
    "Organization": CG.Organization,
    "Person": CG.Person,
    "MediaOutlet": CG.MediaOutlet,
    "Place": CG.Place,
    "Group": CG.Group,
    "Policy": CG.Policy,
    "Event": CG.Event,
    "Concept": CG.Concept,
}
# schema.org types are asserted too, so schema.org-only consumers see them without inference.
SCHEMA_OF: dict[str, URIRef] = {
    "State": SCHEMA.Country,
    "Organization": SCHEMA.Organization,
    "Person": SCHEMA.Person,
    "MediaOutlet": SCHEMA.NewsMediaOrganization,
    "Place": SCHEMA.Place,
    "Event": SCHEMA.Event,
}


def entity_graph(g: Graph, entities: dict[str, Entity], mint: Minter) -> None:
    for e in entities.values():
        s = URIRef(mint.entity(e.id))
        g.add((s, RDF.type, CLASS_OF[e.type]))
        if e.type in SCHEMA_OF:
            g.add((s, RDF.type, SCHEMA_OF[e.type]))
        if e.type == "Concept":
            g.add((s, RDF.type, SKOS.Concept))
            g.add((s, SKOS.inScheme, URIRef(mint.entity("concepts"))))
        g.add((s, RDFS.label, en(e.label)))
        g.add((s, SKOS.prefLabel, en(e.label)))
        g.add((s, SCHEMA.name, en(e.label)))
        g.add((s, CG.registerId, plain(e.id)))
        g.add((s, CG.entityType, plain(e.type)))
        for alias in e.aliases:
            g.add((s, SKOS.altLabel, en(alias)))
        if e.description:
            g.add((s, SCHEMA.description, en(e.description)))
            g.add((s, RDFS.comment, en(e.description)))
        for ref in e.applied_by:
            g.add((s, CG.appliedBy, URIRef(mint.entity(ref))))
        for ref in e.applied_to:
            g.add((s, CG.appliedTo, URIRef(mint.entity(ref))))
        for ref in e.broader:
            g.add((s, SKOS.broader, URIRef(mint.entity(ref))))
    scheme = URIRef(mint.entity("concepts"))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, RDFS.label, en("claimgraph concepts and narratives")))
