"""VoID/DCAT description of the dataset: its graphs, sizes and linksets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, VOID, XSD

from ..namespaces import CG, DCAT, Minter
from ..reading.model import Corpus
from .terms import en

if TYPE_CHECKING:
    from .dataset import GraphNames

TARGETS = {
    "wikidata": ("http://www.wikidata.org/", "Wikidata", OWL.sameAs),
    "dbpedia": ("http://dbpedia.org/", "DBpedia", OWL.sameAs),
    "geonames": ("https://sws.geonames.org/", "GeoNames", OWL.sameAs),
    "viaf": ("http://viaf.org/", "VIAF", OWL.sameAs),
    "opensanctions": ("https://www.opensanctions.org/", "OpenSanctions", OWL.sameAs),
}


def void_graph(g: Graph, ds: Dataset, names: "GraphNames", corpus: Corpus, linkcounts: dict[str, int]) -> None:
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
    for ctx in ds.contexts():
        n = len(ctx)
        if n == 0:
            continue
        total += n
        sub = URIRef(f"{ctx.identifier}#void")
        g.add((d, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, CG.namedGraph, ctx.identifier))
        g.add((sub, VOID.triples, Literal(n, datatype=XSD.integer)))
    g.add((d, VOID.triples, Literal(total, datatype=XSD.integer)))
    g.add((d, VOID.entities, Literal(len(corpus.entities), datatype=XSD.integer)))
    g.add((d, CG.articleCount, Literal(len(corpus.articles), datatype=XSD.integer)))
    g.add((d, CG.claimCount, Literal(sum(len(a.claims) for a in corpus.articles), datatype=XSD.integer)))
    for scheme, count in sorted(linkcounts.items()):
        if scheme not in TARGETS:
            continue
        home, label, predicate = TARGETS[scheme]
        target = URIRef(home)
        ls = URIRef(f"{mint.dataset}/linkset/{scheme}")
        g.add((ls, RDF.type, VOID.Linkset))
        g.add((ls, VOID.subjectsTarget, d))
        g.add((ls, VOID.objectsTarget, target))
        g.add((ls, VOID.linkPredicate, predicate))
        g.add((ls, VOID.triples, Literal(count, datatype=XSD.integer)))
        g.add((d, VOID.subset, ls))
        g.add((target, RDF.type, VOID.Dataset))
        g.add((target, RDFS.label, Literal(label)))
        g.add((target, FOAF_HOMEPAGE, URIRef(home)))


FOAF_HOMEPAGE = URIRef("http://xmlns.com/foaf/0.1/homepage")
