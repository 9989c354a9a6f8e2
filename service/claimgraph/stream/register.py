"""What every article is compiled against: the register, the ontology and the shapes.

Loaded once per process (the build and each of its workers); small next to the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from ..checks.shacl import ShaclReport, checker
from ..checks.rules import OutsideRules, TBox, tbox
from ..namespaces import PREFIXES, Minter
from ..reading.entities import load_entities
from ..reading.facts import load_facts
from ..reading.model import Entity, Fact
from ..reading.problems import Problem, rel
from ..triples.context import context_graph
from ..triples.entities import entity_graph
from ..triples.links import link_graph


@dataclass
class RegisterSpec:
    """Plain values a worker process rebuilds its Register from."""

    data_dir: Path
    ontology_dir: Path
    base_iri: str
    reasoner: str


@dataclass
class Register:
    spec: RegisterSpec
    mint: Minter
    shown_root: Path
    entities: dict[str, Entity]
    facts: list[Fact]
    problems: list[Problem]
    ontology: Graph
    graphs: dict[str, Graph]            # entities, links, source-context
    linkcounts: dict[tuple[str, str], int]
    register: Graph = field(default_factory=Graph)      # the three merged: what articles are reasoned with
    shacl_base: Graph = field(default_factory=Graph)    # ontology + register: what articles are validated with
    register_subjects: set[URIRef] = field(default_factory=set)
    tbox: TBox | None = None    # the per-article rules, unless the ontology needs HermiT throughout
    _shacl_base_nt: bytes | None = None  # shacl_base as N-Triples, for checking articles (check)

    @property
    def reasoner(self) -> str:
        return self.spec.reasoner

    @property
    def shapes_file(self) -> Path:
        return self.spec.ontology_dir / "shapes.ttl"

    def check(self, nquads: bytes) -> ShaclReport:
        """SHACL over one article's quads (named graphs of its own) with the ontology and the register,
        in a store of its own: ~5 ms to load the base from bytes serialized once per process. (One
        store reused across articles grew by ~1.3 MB and slowed with each: an in-memory Oxigraph
        store keeps every term it has seen after the quads are removed.)"""
        if self._shacl_base_nt is None:
            self._shacl_base_nt = self.shacl_base.serialize(format="nt", encoding="utf-8")
        store = ox.Store()
        store.load(self._shacl_base_nt, ox.RdfFormat.N_TRIPLES)
        store.load(nquads, ox.RdfFormat.N_QUADS)
        return checker(self.shapes_file).report(store, union=True)


def _graph() -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


def load_register(spec: RegisterSpec) -> Register:
    data_dir = spec.data_dir
    shown_root = data_dir.resolve().parent
    mint = Minter(spec.base_iri)
    entities, problems = load_entities(data_dir / "entities.yaml", rel(data_dir / "entities.yaml", shown_root))
    facts, errs = load_facts(data_dir / "source-context.yaml", rel(data_dir / "source-context.yaml", shown_root),
                             entities)
    problems = problems + errs
    ontology = _graph().parse(spec.ontology_dir / "claimgraph.ttl", format="turtle")
    graphs = {"entities": _graph(), "links": _graph(), "source-context": _graph()}
    entity_graph(graphs["entities"], entities, mint, graphs["source-context"])
    linkcounts = link_graph(graphs["links"], entities, mint)
    context_graph(graphs["source-context"], facts, mint)
    reg = Register(spec, mint, shown_root, entities, facts, problems, ontology, graphs, linkcounts)
    for g in graphs.values():
        reg.register += g
    reg.shacl_base = ontology + reg.register
    reg.register_subjects = {s for s in reg.register.subjects() if isinstance(s, URIRef)}
    if spec.reasoner == "hermit":
        try:
            reg.tbox = tbox(ontology)
        except OutsideRules:
            reg.tbox = None
    return reg


_WORKER: Register | None = None


def worker_init(spec: RegisterSpec) -> None:
    """Pool initializer: each worker process loads the register once."""
    global _WORKER
    _WORKER = load_register(spec)


def worker_register() -> Register:
    assert _WORKER is not None, "worker_init was not called"
    return _WORKER
