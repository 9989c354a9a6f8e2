"""OWL consistency check and inference with owlready2 + HermiT.

HermiT only accepts OWL 2 datatypes (xsd:gYear is not one), and literal
values play no part in our axioms, so the reasoner sees the TBox plus the
class and object-property assertions; what it entails beyond them becomes
the inferred graph.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ..namespaces import CG


class InconsistentOntology(Exception):
    pass


@dataclass
class ReasoningResult:
    ran: bool
    consistent: bool
    inferred: Graph
    skipped_reason: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def java_available() -> bool:
    return shutil.which("java") is not None


def ontology_input(ontology: Graph) -> Graph:
    """The ontology's part of HermiT's input: its axioms, without annotations and labels."""
    g = Graph()
    for t in ontology:
        if isinstance(t[2], Literal) and t[1] not in (OWL.hasValue,):
            continue  # annotations and labels: irrelevant to entailment
        g.add(t)
    return g


def data_input(ontology: Graph, *data: Graph, classes: set | None = None,
               object_props: set | None = None) -> Iterator[tuple[URIRef, URIRef, URIRef]]:
    """The data's part: class assertions and object property assertions between named individuals.
    `classes` and `object_props`, when the caller holds them (the rules' TBox), spare a read of the
    ontology per call."""
    if object_props is None:
        object_props = set(ontology.subjects(RDF.type, OWL.ObjectProperty))
    if classes is None:
        classes = set(ontology.subjects(RDF.type, OWL.Class))
    rdf_type = RDF.type  # once: a Namespace attribute costs a lookup per triple
    for graph in data:
        for s, p, o in graph:
            if isinstance(s, BNode) or not isinstance(o, URIRef):
                continue
            if (p == rdf_type and o in classes) or p in object_props:
                yield s, p, o


def reasoner_input(ontology: Graph, data: Graph) -> Graph:
    g = ontology_input(ontology)
    for t in data_input(ontology, data):
        g.add(t)
    return g


def reason(ontology: Graph, data: Graph, source: Graph | None = None) -> ReasoningResult:
    """Run HermiT; raise InconsistentOntology if the ontology plus data is inconsistent."""
    import time

    start = time.perf_counter()
    if not java_available():
        return ReasoningResult(False, True, Graph(), "java not found on PATH: HermiT (owlready2) needs a JRE; "
                               "install default-jre-headless. OWL reasoning was skipped; SHACL still ran.")
    import owlready2

    source = source if source is not None else reasoner_input(ontology, data)
    world = owlready2.World()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.nt"
        source.serialize(path, format="nt", encoding="utf-8")
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise InconsistentOntology(str(exc)) from exc
    reasoned = world.as_rdflib_graph()
    inferred = Graph()
    asserted = set(source)
    # Class assertions: owlready stores only the most specific types, so the
    # full set is read back through INDIRECT_is_a. world.individuals() lists
    # only owl:NamedIndividual-typed ones (the ontology's controlled values),
    # so every IRI of the input is visited instead.
    nodes = {t[0] for t in source if isinstance(t[0], URIRef)}
    nodes |= {t[2] for t in source if t[1] != RDF.type and isinstance(t[2], URIRef)}
    for node in nodes:
        ind = world[str(node)]
        if not isinstance(ind, owlready2.Thing):
            continue
        s = URIRef(ind.iri)
        for cls in ind.INDIRECT_is_a:
            iri = getattr(cls, "iri", None)
            if iri and iri != str(OWL.Thing):
                t = (s, RDF.type, URIRef(iri))
                if t not in asserted:
                    inferred.add(t)
    object_props = set(ontology.subjects(RDF.type, OWL.ObjectProperty))
    for s, p, o in reasoned.triples((None, None, None)):
        if isinstance(s, URIRef) and isinstance(o, URIRef) and p in object_props and (s, p, o) not in asserted:
            inferred.add((s, p, o))
    # Sub-property entailments, which owlready does not materialise as values.
    supers: dict[URIRef, set[URIRef]] = {}
    for p in object_props:
        # ancestors() also yields owlready's property types (owl:ObjectProperty,
        # rdf:Property, owl:FunctionalProperty): keep only real properties.
        supers[p] = ({URIRef(x.iri) for x in _prop_ancestors(world, p)} & object_props) - {p}
    for s, p, o in list(source) + list(inferred):
        for sp in supers.get(p, ()):  # type: ignore[arg-type]
            t = (s, sp, o)
            if t not in asserted:
                inferred.add(t)
    inferred.remove((None, RDF.type, OWL.NamedIndividual))
    return ReasoningResult(True, True, inferred, seconds=time.perf_counter() - start)


def _prop_ancestors(world, p: URIRef):  # noqa: ANN001, ANN202 - owlready types
    prop = world[str(p)]
    if prop is None:
        return []
    try:
        return [a for a in prop.ancestors() if hasattr(a, "iri")]
    except Exception:  # noqa: BLE001 - owlready raises odd errors on punned IRIs
        return []


__all__ = ["CG", "InconsistentOntology", "ReasoningResult", "reason", "java_available", "RDFS"]
