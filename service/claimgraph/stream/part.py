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
from typing import Iterable

from rdflib import Graph, URIRef

from ..checks.reasoning import InconsistentOntology, reason
from ..checks.rules import OutsideRules, materialise_triples
from ..namespaces import Minter
from ..reading.status import StatusReader
from ..reading.problems import rel
from .cache import PartCache, PartMeta
from .ntriples import nq_lines, nt_lines
from .register import Register


@dataclass
class PartResult:
    slug: str
    key: str
    stage: str | None = None          # where it failed, or None
    problems: list[str] = field(default_factory=list)


def _entailments(reg: Register, g: set[tuple]) -> tuple[Iterable[tuple], str]:
    """The rules when the ontology and this article are within them, else HermiT."""
    if reg.tbox is not None:
        try:
            return materialise_triples(reg.ontology, reg.tbox, g, reg.register), "rules"
        except OutsideRules:
            pass  # e.g. two values of a functional property: HermiT decides what follows
    data = Graph()
    for t in g:
        data.add(t)
    result = reason(reg.ontology, data + reg.register)
    return result.inferred, ("hermit" if result.ran else f"skipped: {result.skipped_reason}")


def compile_part(reg: Register, folder: Path, key: str, cache: PartCache, read_only: bool = False) -> PartResult:
    slug = folder.name
    shown = rel(folder, reg.shown_root)
    reader = StatusReader(folder, shown, reg.entities)
    article, draft = reader.read_status()
    if reader.problems or (article is None and draft is None):
        return PartResult(slug, key, "reading", [str(p) for p in sorted(reader.problems)])
    if read_only:  # the register itself has problems: report reading problems only
        return PartResult(slug, key)
    mint: Minter = reg.mint
    from ..triples.article import article_graph
    from ..triples.draft import draft_graph, ingest_provenance

    # The article's own triples in a plain set (stream/ntriples.py says why); a machine draft,
    # rare and small, keeps an rdflib Graph.
    g: set[tuple] = set()
    drafted = Graph()
    if article is not None:
        article_graph(g, article, mint)
    if draft is not None:
        # A machine draft is its own graph, checked with the article but never reasoned
        # over: a proposal is not a reading (triples/draft.py).
        if not draft.empty:
            draft_graph(drafted, draft, mint)
        if draft.ingest:
            ingest_provenance(g if draft.curated else drafted, draft, mint)
    asserted = nq_lines(g, mint.article_graph(slug)) + nq_lines(drafted, mint.article_graph(slug) + "/draft")
    shacl = reg.check(asserted)
    if not shacl.conforms:
        return PartResult(slug, key, "SHACL validation",
                          [f"{shown}/reading.yaml: {v}" for v in shacl.violations or ["data does not conform"]])
    local: set[tuple] = set()
    shared: set[tuple] = set()
    status = reg.reasoner if article is not None else "none: machine draft only"
    if reg.reasoner != "none" and article is not None:
        try:
            inferred, status = _entailments(reg, g)
        except InconsistentOntology as exc:
            return PartResult(slug, key, "OWL consistency", [f"{shown}/reading.yaml: {exc}" if str(exc) else
                                                             f"{shown}/reading.yaml: ontology plus data is inconsistent"])
        own = {t[0] for t in g if isinstance(t[0], URIRef)} - reg.register_subjects
        for t in inferred:
            (local if t[0] in own or t[2] in own else shared).add(t)
    meta = PartMeta(slug, len(g), len(article.claims) if article is not None else 0, len(local), status,
                    curated=article is not None, drafted=len(drafted))
    cache.write(key, asserted, nq_lines(local, mint.graph("inferred")),
                nt_lines(shared), meta)
    return PartResult(slug, key)
