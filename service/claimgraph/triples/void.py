"""VoID/DCAT description of the dataset: its graphs, sizes and linksets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, VOID, XSD

from ..namespaces import CG, DCAT, Minter
from ..reading.model import Corpus
from .terms import en

if TYPE_CHECKING:
    from .dataset import GraphNames

# scheme -> (the target dataset's IRI, its name, its home page, the space its record IRIs live in)
TARGETS: dict[str, tuple[str, str, str, str]] = {
    "wikidata": ("http://www.wikidata.org/", "Wikidata", "https://www.wikidata.org/", "http://www.wikidata.org/entity/"),
    "dbpedia": ("http://dbpedia.org/", "DBpedia", "https://www.dbpedia.org/", "http://dbpedia.org/resource/"),
    "geonames": ("https://sws.geonames.org/", "GeoNames", "https://www.geonames.org/", "https://sws.geonames.org/"),
    "viaf": ("http://viaf.org/", "VIAF", "https://viaf.org/", "http://viaf.org/viaf/"),
    "opensanctions": ("https://www.opensanctions.org/", "OpenSanctions", "https://www.opensanctions.org/",
                      "https://www.opensanctions.org/entities/"),
}


def linkset_iri(dataset: str, scheme: str, predicate: str) -> URIRef:
    """One linkset per target dataset and link predicate, e.g. .../linkset/dbpedia-closeMatch."""
    local = predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return URIRef(f"{dataset}/linkset/{scheme}-{local}")


def void_graph(g: Graph, ds: Dataset, names: "GraphNames", corpus: Corpus,
               linkcounts: dict[tuple[str, str], int]) -> None:
    sizes = [(URIRef(ctx.identifier), len(ctx)) for ctx in ds.contexts()]
    describe_dataset(g, names, sizes, len(corpus.entities), len(corpus.articles),
                     sum(len(a.claims) for a in corpus.articles), linkcounts)


def describe_dataset(g: Graph | set[tuple], names: "GraphNames", sizes: Iterable[tuple[URIRef, int]], entities: int,
                     articles: int, claims: int, linkcounts: dict[tuple[str, str], int]) -> None:
    """The description from counts alone, so the streaming build never holds the corpus; into an
    rdflib Graph or a plain set of triples (what the streaming build writes out as N-Quads)."""
    mint: Minter = names.mint
    d = URIRef(mint.dataset)
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, en("claimgraph: who claims what in news and opinion articles")))
    g.add((d, RDFS.label, en("claimgraph dataset")))
    g.add((d, DCTERMS.description, en(
        "Articles held verbatim with NIF sentence anchoring; the claims each makes, attributed and "
        "anchored; the states, organisations, policies, events and concepts they concern; external links.")))
    g.add((d, VOID.uriSpace, Literal(mint.base)))
    g.add((d, VOID.vocabulary, URIRef("https://w3id.org/claimgraph/ontology#")))
    total = 0
    for graph, n in sizes:
        if n == 0:
            continue
        total += n
        sub = URIRef(f"{graph}#void")
        g.add((d, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, CG.namedGraph, graph))
        g.add((sub, VOID.triples, Literal(n, datatype=XSD.integer)))
    g.add((d, VOID.triples, Literal(total, datatype=XSD.integer)))
    g.add((d, VOID.entities, Literal(entities, datatype=XSD.integer)))
    g.add((d, CG.articleCount, Literal(articles, datatype=XSD.integer)))
    g.add((d, CG.claimCount, Literal(claims, datatype=XSD.integer)))
    for (scheme, predicate), count in sorted(linkcounts.items()):
        if scheme not in TARGETS:
            continue
        home, label, homepage, space = TARGETS[scheme]
        target = URIRef(home)
        ls = linkset_iri(mint.dataset, scheme, predicate)
        strength = "close matches" if predicate == str(SKOS.closeMatch) else "identity links"
        g.add((ls, RDF.type, VOID.Linkset))
        g.add((ls, DCTERMS.title, en(f"{label} {strength}")))
        g.add((ls, VOID.subjectsTarget, d))
        g.add((ls, VOID.objectsTarget, target))
        g.add((ls, VOID.target, d))
        g.add((ls, VOID.target, target))
        g.add((ls, VOID.linkPredicate, URIRef(predicate)))
        g.add((ls, VOID.triples, Literal(count, datatype=XSD.integer)))
        g.add((ls, CG.namedGraph, names.links))
        g.add((d, VOID.subset, ls))
        g.add((target, RDF.type, VOID.Dataset))
        g.add((target, RDFS.label, Literal(label)))
        g.add((target, FOAF_HOMEPAGE, URIRef(homepage)))
        g.add((target, VOID.uriSpace, Literal(space)))


FOAF_HOMEPAGE = URIRef("http://xmlns.com/foaf/0.1/homepage")
