"""Per-article entailments by forward rules, for the axioms our ontology actually uses.

HermiT costs ~5 s per article (a JVM, owlready's quadstore, a full tableau),
which puts 10,000 articles out of reach. The ontology only uses axioms whose
consequences on named individuals are given by a handful of rules (the OWL 2
RL rules for them): class and property hierarchies, domains and ranges,
inverses, symmetric properties, property chains, `hasValue` and `someValuesFrom` definitions,
disjoint classes, functional properties with values declared different. So
HermiT still checks the ontology and the register (checks/reasoning.py), and
each article is closed under these rules, which give what HermiT gives
(tests/test_reasoning_rules.py compares them on real and synthetic articles).

Anything outside that fragment raises OutsideRules, and the build falls back to
HermiT for that article (or for every article, if the ontology itself is
outside): never a silently weaker answer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from .reasoning import InconsistentOntology, data_input, ontology_input


class OutsideRules(Exception):
    """The ontology or the data needs reasoning these rules do not do (HermiT must)."""


# What the rules understand; any other OWL term in the ontology means "ask HermiT".
_OWL_PREDICATES = {OWL.equivalentClass, OWL.disjointWith, OWL.inverseOf, OWL.propertyChainAxiom,
                   OWL.onProperty, OWL.hasValue, OWL.someValuesFrom, OWL.differentFrom,
                   OWL.imports, OWL.versionInfo, OWL.versionIRI, OWL.deprecated}
_OWL_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              OWL.FunctionalProperty, OWL.SymmetricProperty, OWL.NamedIndividual, OWL.Ontology, OWL.Restriction}


@dataclass
class TBox:
    classes: set[URIRef] = field(default_factory=set)
    supers: dict[URIRef, set[URIRef]] = field(default_factory=dict)        # named, reflexive, transitive
    disjoint: list[tuple[URIRef, URIRef]] = field(default_factory=list)
    props: set[URIRef] = field(default_factory=set)                        # object properties
    psupers: dict[URIRef, set[URIRef]] = field(default_factory=dict)       # reflexive, transitive
    inverse: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    chains: list[tuple[URIRef, list[URIRef]]] = field(default_factory=list)
    domain: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    range: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    has_value: list[tuple[URIRef, URIRef, URIRef, bool]] = field(default_factory=list)  # C, p, v, C ≡ (not ⊑)
    some: list[tuple[URIRef, URIRef, URIRef]] = field(default_factory=list)             # C ≡ ∃p.D
    functional: set[URIRef] = field(default_factory=set)
    different: set[frozenset[URIRef]] = field(default_factory=set)


def _closure(edges: dict[URIRef, set[URIRef]], nodes: set[URIRef]) -> dict[URIRef, set[URIRef]]:
    out = {}
    for n in nodes:
        seen, todo = {n}, [n]
        while todo:
            for m in edges.get(todo.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        out[n] = seen
    return out


def _restriction(onto: Graph, r: BNode) -> tuple[URIRef, str, URIRef]:
    p = onto.value(r, OWL.onProperty)
    for kind, pred in (("value", OWL.hasValue), ("some", OWL.someValuesFrom)):
        v = onto.value(r, pred)
        if isinstance(p, URIRef) and isinstance(v, URIRef):
            return p, kind, v
    raise OutsideRules(f"restriction {r} is neither hasValue nor someValuesFrom a named class")


def tbox(onto: Graph) -> TBox:
    """Read the ontology into rule tables; OutsideRules if it uses any other axiom."""
    for s, p, o in onto:
        if p.startswith(str(OWL)) and p not in _OWL_PREDICATES:
            raise OutsideRules(f"the ontology uses {p}")
        if p == RDF.type and o.startswith(str(OWL)) and o not in _OWL_TYPES:
            raise OutsideRules(f"the ontology uses {o}")
    t = TBox()
    t.classes = {c for c in onto.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    t.props = {p for p in onto.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)}
    up: dict[URIRef, set[URIRef]] = defaultdict(set)
    for c, d in onto.subject_objects(RDFS.subClassOf):
        if isinstance(c, URIRef) and isinstance(d, URIRef):
            up[c].add(d)
        elif isinstance(c, URIRef) and isinstance(d, BNode):
            p, kind, v = _restriction(onto, d)
            if kind != "value":
                raise OutsideRules(f"{c} is a subclass of a someValuesFrom restriction")
            t.has_value.append((c, p, v, False))
        else:
            raise OutsideRules(f"subClassOf between {c} and {d}")
    for c, d in onto.subject_objects(OWL.equivalentClass):
        if isinstance(c, URIRef) and isinstance(d, URIRef):
            up[c].add(d)
            up[d].add(c)
        elif isinstance(c, URIRef) and isinstance(d, BNode):
            p, kind, v = _restriction(onto, d)
            (t.has_value.append((c, p, v, True)) if kind == "value" else t.some.append((c, p, v)))
        else:
            raise OutsideRules(f"equivalentClass between {c} and {d}")
    t.supers = {c: {d for d in s if d in t.classes} for c, s in _closure(up, t.classes).items()}
    t.disjoint = [(c, d) for c, d in onto.subject_objects(OWL.disjointWith)
                  if isinstance(c, URIRef) and isinstance(d, URIRef)]
    pup: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, q in onto.subject_objects(RDFS.subPropertyOf):
        pup[p].add(q)  # type: ignore[index]
    t.psupers = {p: s & t.props for p, s in _closure(pup, t.props).items()}
    for p, q in onto.subject_objects(OWL.inverseOf):
        t.inverse[p].add(q)  # type: ignore[index]
        t.inverse[q].add(p)  # type: ignore[index]
    for p in onto.subjects(RDF.type, OWL.SymmetricProperty):
        t.inverse[p].add(p)  # type: ignore[index]  # a symmetric property is its own inverse
    for p, head in onto.subject_objects(OWL.propertyChainAxiom):
        t.chains.append((p, list(Collection(onto, head))))  # type: ignore[arg-type]
    for prop_map, pred in ((t.domain, RDFS.domain), (t.range, RDFS.range)):
        for p, c in onto.subject_objects(pred):
            if p in t.props:
                if not isinstance(c, URIRef):
                    raise OutsideRules(f"{p} has a class expression as {pred}")
                prop_map[p] |= t.supers.get(c, {c}) if c in t.classes else set()
    t.functional = {p for p in onto.subjects(RDF.type, OWL.FunctionalProperty) if p in t.props}
    t.different = {frozenset((a, b)) for a, b in onto.subject_objects(OWL.differentFrom)}
    return t


class _State:
    def __init__(self, t: TBox):
        self.t = t
        self.types: dict[URIRef, set[URIRef]] = defaultdict(set)
        self.edges: set[tuple[URIRef, URIRef, URIRef]] = set()
        self.by_prop: dict[URIRef, set[tuple[URIRef, URIRef]]] = defaultdict(set)
        self.changed = False

    def typed(self, x: URIRef, c: URIRef) -> None:
        new = self.t.supers.get(c, {c}) - self.types[x]
        if new:
            self.types[x] |= new
            self.changed = True

    def edge(self, s: URIRef, p: URIRef, o: URIRef) -> None:
        todo = [(s, p, o)]
        while todo:
            s, p, o = todo.pop()
            if (s, p, o) in self.edges:
                continue
            self.edges.add((s, p, o))
            self.by_prop[p].add((s, o))
            self.changed = True
            for q in self.t.psupers.get(p, {p}):
                todo.append((s, q, o))
                for c in self.t.domain.get(q, ()):
                    self.typed(s, c)
                for c in self.t.range.get(q, ()):
                    self.typed(o, c)
            for q in self.t.inverse.get(p, ()):
                todo.append((o, q, s))


def _chain(st: _State, links: list[URIRef]) -> set[tuple[URIRef, URIRef]]:
    pairs = set(st.by_prop.get(links[0], ()))
    for link in links[1:]:
        step: dict[URIRef, set[URIRef]] = defaultdict(set)
        for a, b in st.by_prop.get(link, ()):
            step[a].add(b)
        pairs = {(a, c) for a, b in pairs for c in step.get(b, ())}
    return pairs


_ONTOLOGY_INPUT: dict[int, tuple[Graph, frozenset]] = {}


def _ontology_part(ontology: Graph) -> frozenset:
    """HermiT's input from the ontology, once per process (the build reasons thousands of articles)."""
    held = _ONTOLOGY_INPUT.get(id(ontology))
    if held is None or held[0] is not ontology:
        held = _ONTOLOGY_INPUT[id(ontology)] = (ontology, frozenset(ontology_input(ontology)))
    return held[1]


def materialise(ontology: Graph, t: TBox, *data: Graph) -> Graph:
    """What HermiT's reason() would return for the ontology and the data graphs together, or
    InconsistentOntology. The data graphs are read in place, never merged into a copy."""
    inferred = Graph()
    for triple in materialise_triples(ontology, t, *data):
        inferred.add(triple)
    return inferred


def materialise_triples(ontology: Graph, t: TBox, *data: Iterable[tuple]) -> set[tuple]:
    """materialise() as a plain set of triples (the build's per-article path: no Graph to fill)."""
    source = set(_ontology_part(ontology))
    # t.classes and t.props are the ontology's named classes and object properties: the same test for
    # the URIRef objects data_input keeps.
    source.update(data_input(ontology, *data, classes=t.classes, object_props=t.props))
    st = _State(t)
    rdf_type = RDF.type
    for s, p, o in source:
        if p == rdf_type and o in t.classes and isinstance(s, URIRef):
            st.typed(s, o)
        elif p in t.props and isinstance(s, URIRef) and isinstance(o, URIRef):
            st.edge(s, p, o)
    st.changed = True
    while st.changed:
        st.changed = False
        for p, links in t.chains:
            for a, c in _chain(st, links):
                st.edge(a, p, c)
        for c, p, v, equivalent in t.has_value:
            for x, members in list(st.types.items()):
                if c in members:
                    st.edge(x, p, v)
            if equivalent:
                for x, o in list(st.by_prop.get(p, ())):
                    if o == v:
                        st.typed(x, c)
        for c, p, d in t.some:
            for x, o in list(st.by_prop.get(p, ())):
                if d in st.types.get(o, ()):
                    st.typed(x, c)
    _check(st)
    asserted = source
    inferred: set[tuple] = set()
    rdf_type, top = RDF.type, (OWL.Thing, OWL.NamedIndividual)
    for x, classes in st.types.items():
        for c in classes:
            if c not in top and (x, rdf_type, c) not in asserted:
                inferred.add((x, rdf_type, c))
    inferred.update(triple for triple in st.edges if triple not in asserted)
    return inferred


def _check(st: _State) -> None:
    t = st.t
    for x, classes in st.types.items():
        for c, d in t.disjoint:
            if c in classes and d in classes:
                raise InconsistentOntology(f"{x} is both {c} and {d}, which are disjoint")
    for p in t.functional:
        values: dict[URIRef, set[URIRef]] = defaultdict(set)
        for s, o in st.by_prop.get(p, ()):
            values[s].add(o)
        for s, objs in values.items():
            if len(objs) < 2:
                continue
            objs_l = sorted(objs)
            for i, a in enumerate(objs_l):
                for b in objs_l[i + 1:]:
                    if frozenset((a, b)) in t.different:
                        raise InconsistentOntology(f"{s} has two values of functional {p}: {a} and {b}")
            # Otherwise HermiT would equate the values (owl:sameAs): not a rule we apply.
            raise OutsideRules(f"{s} has {len(objs)} values of functional {p}")
