"""Compiling one article on its own: read, write its triples, SHACL, reason, cache.

Every axiom of the ontology relates an article's own nodes to each other or to
register entities, and nothing links two articles except the register, so an
article checked and reasoned together with the ontology and the register gives
exactly what it gives inside the whole corpus (tests/test_build_incremental.py
compares both). A worker holds one article at a time: memory is bounded by the
largest article, not by the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

from ..checks.reasoning import InconsistentOntology, reason
from ..checks.rules import OutsideRules, materialise
from ..checks.shacl import check_shapes
from ..namespaces import Minter
from ..reading.article import ArticleReader
from ..reading.problems import rel
from .cache import PartCache, PartMeta
from .register import Register


@dataclass
class PartResult:
    slug: str
    key: str
    stage: str | None = None          # where it failed, or None
    problems: list[str] = field(default_factory=list)


def nquads(g: Graph, graph: str) -> bytes:
    """N-Triples lines of `g` turned into N-Quads in `graph` (no blank nodes here: see caller)."""
    nt = g.serialize(format="nt", encoding="utf-8")
    suffix = f" <{graph}> .".encode()
    return b"".join(line[:-2] + suffix + b"\n" for line in nt.splitlines() if line.endswith(b" ."))


def _entailments(reg: Register, g: Graph) -> tuple[Graph, str]:
    """The rules when the ontology and this article are within them, else HermiT."""
    data = g + reg.register
    if reg.tbox is not None:
        try:
            return materialise(reg.ontology, reg.tbox, data), "rules"
        except OutsideRules:
            pass  # e.g. two values of a functional property: HermiT decides what follows
    result = reason(reg.ontology, data)
    return result.inferred, ("hermit" if result.ran else f"skipped: {result.skipped_reason}")


def compile_part(reg: Register, folder: Path, key: str, cache: PartCache, read_only: bool = False) -> PartResult:
    slug = folder.name
    shown = rel(folder, reg.shown_root)
    reader = ArticleReader(folder, shown, reg.entities)
    article = reader.read()
    if reader.problems or article is None:
        return PartResult(slug, key, "reading", [str(p) for p in sorted(reader.problems)])
    if read_only:  # the register itself has problems: report reading problems only
        return PartResult(slug, key)
    mint: Minter = reg.mint
    g = Graph()
    from ..triples.article import article_graph

    article_graph(g, article, mint)
    shacl = check_shapes(reg.shacl_base + g, reg.shapes_file)
    if not shacl.conforms:
        return PartResult(slug, key, "SHACL validation",
                          [f"{shown}/reading.yaml: {v}" for v in shacl.violations or ["data does not conform"]])
    local, shared = Graph(), Graph()
    status = reg.reasoner
    if reg.reasoner != "none":
        try:
            inferred, status = _entailments(reg, g)
        except InconsistentOntology as exc:
            return PartResult(slug, key, "OWL consistency", [f"{shown}/reading.yaml: {exc}" if str(exc) else
                                                             f"{shown}/reading.yaml: ontology plus data is inconsistent"])
        own = {s for s in g.subjects() if isinstance(s, URIRef)} - reg.register_subjects
        for t in inferred:
            (local if t[0] in own or t[2] in own else shared).add(t)
    meta = PartMeta(slug, len(g), len(article.claims), len(local), status)
    cache.write(key, nquads(g, mint.article_graph(slug)), nquads(local, mint.graph("inferred")),
                shared.serialize(format="nt", encoding="utf-8"), meta)
    return PartResult(slug, key)
