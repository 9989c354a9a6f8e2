"""SHACL validation of the built data against ontology/shapes.ttl.

The build checks every article: SHACL core constraints compiled to SPARQL
(checks/shape_queries.py) and the sh:sparql constraints, each evaluated once
over the whole data graph in Oxigraph with `$this` bound to every target of its
shape: the same violations pyshacl finds (tests/test_shape_queries.py), at a
query per constraint instead of Python per focus node. pyshacl stays as the
reference engine (`check_shapes(..., engine="pyshacl")`), used by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from .shape_queries import ShapeCompiler


@dataclass
class ShaclReport:
    conforms: bool
    violations: list[str]
    # (failing node, constraint component) pairs, blank nodes as "_:": what two engines must agree on
    focus: set[str] = field(default_factory=set)


@dataclass
class _SparqlConstraint:
    shape: URIRef
    targets: list[str]
    select: str
    prefixes: str
    message: str


def _split(shapes: Graph) -> tuple[Graph, list[_SparqlConstraint]]:
    """The shapes graph without sh:sparql, and those constraints on their own."""
    constraints = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = str(shapes.value(constraint, SH.select))
        message = str(shapes.value(constraint, SH.message) or "SPARQL constraint violated")
        prefixes = ""
        for decl_owner in shapes.objects(constraint, SH.prefixes):
            for decl in shapes.objects(decl_owner, SH.declare):
                prefixes += f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>\n"
        targets = [str(c) for c in shapes.objects(shape, SH.targetClass)]
        constraints.append(_SparqlConstraint(shape, targets, select, prefixes, message))
    core = Graph()
    dropped = {c for _s, c in shapes.subject_objects(SH.sparql)}
    for s, p, o in shapes:
        if p == SH.sparql or s in dropped:
            continue
        core.add((s, p, o))
    return core, constraints


def _bind_targets(select: str, targets: list[str]) -> str:
    """Put `?this a <C>` for the shape's target classes first in the WHERE clause."""
    query = select.replace("$this", "?this")
    if not targets:
        return query
    where = query.index("{", query.upper().index("WHERE"))
    alternatives = " UNION ".join(f"{{ ?this a <{t}> }}" for t in targets)
    return f"{query[:where + 1]} {alternatives} {query[where + 1:]}"


class ShapeChecker:
    """The shapes of one file, compiled once per process; run over any store holding the data."""

    def __init__(self, shapes_file: Path):
        self.shapes_file = shapes_file
        shapes = Graph().parse(shapes_file, format="turtle")
        self.core, self.constraints = _split(shapes)
        self.checks = ShapeCompiler(shapes).checks()
        self.sparql = [(c.prefixes + _bind_targets(c.select, c.targets), c.message) for c in self.constraints]

    def report(self, store: ox.Store, union: bool = False) -> ShaclReport:
        """Every violation in the store's default graph (with `union`, in all its graphs)."""
        found, focus = set(), set()
        for check in self.checks:
            where = f" {check.path}" if check.path else ""
            for row in store.query(check.query, use_default_graph_as_union=union):
                found.add(f"{_shown(row['this'])}{where}: {check.message}")
                focus.add(f"{_canonical(row['this'])} {check.component}")
        self._sparql(store, union, found, focus)
        return ShaclReport(not found, sorted(found), focus)

    def _sparql(self, store: ox.Store, union: bool, found: set[str], focus: set[str]) -> None:
        for query, message in self.sparql:
            for row in store.query(query, use_default_graph_as_union=union):
                found.add(f"{_shown(row['this'])}: {message}")
                focus.add(f"{_canonical(row['this'])} {SH.SPARQLConstraintComponent}")


def _shown(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return node.value if isinstance(node, ox.NamedNode) else str(node)


def _canonical(node: object) -> str:
    """One spelling of a focus node whichever engine found it (blank node labels differ)."""
    if isinstance(node, (ox.BlankNode, BNode)):
        return "_:"
    if isinstance(node, ox.Literal):
        plain = node.language or node.datatype.value == str(XSD.string)
        return Literal(node.value, lang=node.language, datatype=None if plain else node.datatype.value).n3()
    if isinstance(node, Literal):
        return node.n3()
    return node.value if isinstance(node, ox.NamedNode) else str(node)


_CHECKERS: dict[tuple[str, float], ShapeChecker] = {}


def checker(shapes_file: Path) -> ShapeChecker:
    """Compiled once per process: the streaming build checks thousands of articles in turn."""
    key = (str(shapes_file), shapes_file.stat().st_mtime)
    if key not in _CHECKERS:
        _CHECKERS[key] = ShapeChecker(shapes_file)
    return _CHECKERS[key]


def check_shapes(data: Graph, shapes_file: Path, engine: str = "sparql") -> ShaclReport:
    """Validate an rdflib graph. engine="pyshacl" runs the reference implementation for the core."""
    store = ox.Store()
    store.load(data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    c = checker(shapes_file)
    if engine == "sparql":
        return c.report(store)
    if engine != "pyshacl":
        raise ValueError(f"engine {engine!r}: sparql or pyshacl")
    from pyshacl import validate  # the reference only: imported when asked for

    conforms, report, _text = validate(data, shacl_graph=c.core, inference="none", advanced=True,
                                       allow_warnings=True, inplace=True)
    found, focus = set(), set()
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        node = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = f" {path.n3(data.namespace_manager)}" if path is not None and hasattr(path, "n3") else ""
        found.add(f"{node}{where}: {message}")
        focus.add(f"{_canonical(node)} {report.value(result, SH.sourceConstraintComponent)}")
    c._sparql(store, False, found, focus)
    return ShaclReport(not found and bool(conforms), sorted(found), focus)
