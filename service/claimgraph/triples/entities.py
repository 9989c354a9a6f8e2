"""The shared register as RDF: types, names, aliases, policy parties, concept hierarchy."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from ..namespaces import CG, SCHEMA, Minter
from ..reading.model import Entity
from .article import PRECISION
from .terms import en, plain, time_literal


def _sourced(g: Graph, e: Entity, what: str, mint: Minter, label: str, by_label: str) -> URIRef:
    """The register's statement about `e`, attributed to its source: never the graph's own word."""
    assert e.source is not None
    stmt = URIRef(mint.register_fact(e.id, what))
    g.add((stmt, RDF.type, CG.SourcedStatement))
    g.add((stmt, RDFS.label, en(label)))
    g.add((stmt, CG.statementAbout, URIRef(mint.entity(e.id))))
    g.add((stmt, PROV.wasAttributedTo, URIRef(mint.entity(e.source.by))))
    g.add((stmt, CG.statedBy, plain(by_label)))
    g.add((stmt, DCTERMS.source, URIRef(e.source.url)))
    g.add((stmt, PROV.hadPrimarySource, URIRef(e.source.url)))
    if e.source.date:
        g.add((stmt, DCTERMS.date, time_literal(e.source.date)))
    return stmt

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


def _broader_or_self(start: str, entities: dict[str, Entity]) -> list[str]:
    """`start` and everything broader than it in the register, each once (a cycle stops the walk)."""
    seen, todo = [start], [start]
    while todo:
        current = entities.get(todo.pop())
        for ref in current.broader if current is not None else ():
            if ref not in seen:
                seen.append(ref)
                todo.append(ref)
    return seen


def entity_graph(g: Graph, entities: dict[str, Entity], mint: Minter, context: Graph | None = None) -> None:
    """The register in `g`; the sourced statements behind its world facts in `context` (the
    source-context graph, where every cg:SourcedStatement lives)."""
    context = g if context is None else context
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
        if (e.applied_by or e.applied_to) and e.source is not None:
            # The loader admits a register direction only with a source (it reports one without, and the
            # build stops on that report): say whose statement it is.
            stmt = _sourced(context, e, "direction", mint, f"{e.label}: who applies it to whom",
                            entities[e.source.by].label)  # type: ignore[union-attr]
            for ref in e.applied_by:
                g.add((s, CG.appliedBy, URIRef(mint.entity(ref))))
                context.add((stmt, CG.statesAppliedBy, URIRef(mint.entity(ref))))
            for ref in e.applied_to:
                g.add((s, CG.appliedTo, URIRef(mint.entity(ref))))
                context.add((stmt, CG.statesAppliedTo, URIRef(mint.entity(ref))))
        if e.source is not None:
            g.add((s, DCTERMS.source, URIRef(e.source.url)))
        if e.happened is not None and e.source is not None:
            # A world event, dated as its source dates it (the loader requires both).
            _sourced(context, e, "happened", mint, f"{e.label}: when it happened",
                     entities[e.source.by].label)  # type: ignore[union-attr]
            if e.happened.start:
                g.add((s, CG.earliest, time_literal(e.happened.start)))
            if e.happened.end:
                g.add((s, CG.latest, time_literal(e.happened.end)))
            g.add((s, CG.timePrecision, PRECISION[e.happened.precision]))
        for ref in e.broader:
            g.add((s, SKOS.broader, URIRef(mint.entity(ref))))
    # The hierarchy's reflexive-transitive closure (skos:broader*), stated by the build: "about X or
    # anything narrower" is then one triple pattern, which every engine answers alike (Debian's
    # Virtuoso 7.2 answers skos:broader* joined to further patterns wrongly, with or without a dataset).
    for e in entities.values():
        for up in _broader_or_self(e.id, entities):
            g.add((URIRef(mint.entity(e.id)), CG.withinTopic, URIRef(mint.entity(up))))
    scheme = URIRef(mint.entity("concepts"))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, RDFS.label, en("claimgraph concepts and narratives")))
