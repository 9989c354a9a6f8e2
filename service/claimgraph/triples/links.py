"""External identifiers, each with the predicate that states its strength."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL

from ..namespaces import CG, DBR, GEONAMES, OPENSANCTIONS, VIAF, WD, Minter
from ..reading.model import Entity

# Identity links: the external record is this very entity.
IDENTITY_TARGETS = {
    "dbpedia": lambda v: DBR[v],
    "geonames": lambda v: GEONAMES[f"{v}/"],
    "viaf": lambda v: VIAF[v],
    "opensanctions": lambda v: OPENSANCTIONS[f"{v}/"],
}


def wikidata_iri(qid: str) -> URIRef:
    return WD[qid]


def link_graph(g: Graph, entities: dict[str, Entity], mint: Minter) -> dict[str, int]:
    """Write the links; return how many each target dataset received (for VoID linksets)."""
    counts: dict[str, int] = {}
    for e in entities.values():
        s = URIRef(mint.entity(e.id))
        if e.wikidata:
            g.add((s, OWL.sameAs, wikidata_iri(e.wikidata)))
            g.add((s, CG.wikidata, wikidata_iri(e.wikidata)))
            counts["wikidata"] = counts.get("wikidata", 0) + 1
        for scheme, value in e.links.items():
            if scheme == "iso3166":
                g.add((s, CG.iso3166Code, Literal(value)))
            else:
                g.add((s, OWL.sameAs, IDENTITY_TARGETS[scheme](value)))
            counts[scheme] = counts.get(scheme, 0) + 1
    return counts
