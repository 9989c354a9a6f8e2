"""Assembles the named graphs of the whole corpus into one rdflib Dataset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from ..namespaces import PREFIXES, Minter
from ..reading.model import Corpus
from .article import article_graph
from .context import context_graph
from .draft import draft_graph, ingest_provenance
from .entities import entity_graph
from .links import link_graph
from .void import void_graph


@dataclass(frozen=True)
class GraphNames:
    """The meaningful named graphs: one per article, and one per kind of knowledge."""

    mint: Minter

    @property
    def ontology(self) -> URIRef:
        return URIRef(self.mint.graph("ontology"))

    @property
    def entities(self) -> URIRef:
        return URIRef(self.mint.graph("entities"))

    @property
    def links(self) -> URIRef:
        return URIRef(self.mint.graph("links"))

    @property
    def context(self) -> URIRef:
        return URIRef(self.mint.graph("source-context"))

    @property
    def inferred(self) -> URIRef:
        return URIRef(self.mint.graph("inferred"))

    @property
    def meta(self) -> URIRef:
        return URIRef(self.mint.graph("dataset"))

    def article(self, slug: str) -> URIRef:
        return URIRef(self.mint.article_graph(slug))

    def draft(self, slug: str) -> URIRef:
        """An article's machine draft: kept out of its graph (triples/draft.py)."""
        return URIRef(self.mint.article_graph(slug) + "/draft")


def new_dataset() -> Dataset:
    ds = Dataset()
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns)
    return ds


def build_dataset(corpus: Corpus, ontology_file: Path, mint: Minter) -> Dataset:
    """Everything asserted (no inferences yet), one named graph per kind."""
    names = GraphNames(mint)
    ds = new_dataset()
    ds.graph(names.ontology).parse(ontology_file, format="turtle")
    entity_graph(ds.graph(names.entities), corpus.entities, mint, ds.graph(names.context))
    counts = link_graph(ds.graph(names.links), corpus.entities, mint)
    context_graph(ds.graph(names.context), corpus.facts, mint)
    for article in corpus.articles:
        article_graph(ds.graph(names.article(article.slug)), article, mint)
    for draft in corpus.drafts:
        if not draft.empty:
            draft_graph(ds.graph(names.draft(draft.slug)), draft, mint)
        if draft.ingest:
            where = names.article(draft.slug) if draft.curated else names.draft(draft.slug)
            ingest_provenance(ds.graph(where), draft, mint)
    void_graph(ds.graph(names.meta), ds, names, corpus, counts)
    return ds


def union(ds: Dataset, exclude: tuple[URIRef, ...] = ()) -> Graph:
    """All named graphs merged into one plain graph (for SHACL and the reasoner)."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    for ctx in ds.contexts():
        if ctx.identifier in exclude:
            continue
        for t in ctx:
            g.add(t)
    return g
