"""External identifiers, each with the predicate that states its strength.

An exact link says the external record *is* this entity (owl:sameAs, and
cg:wikidata for Wikidata); a close link says it is near enough to use but
not the same thing (skos:closeMatch), so no reasoner merges the two.
Codes (ISO 3166) are values of the entity, written as literals.
"""

from __future__ import annotations

from typing import Callable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS

from ..namespaces import CG, DBR, GEONAMES, OPENSANCTIONS, VIAF, WD, Minter
from ..reading.entities import match_of
from ..reading.model import Entity

# scheme -> the IRI of the external record for an id of that scheme
TARGET_IRI: dict[str, Callable[[str], URIRef]] = {
    "wikidata": lambda v: WD[v],
    "dbpedia": lambda v: DBR[v],
    "geonames": lambda v: GEONAMES[f"{v}/"],
    "viaf": lambda v: VIAF[v],
    "opensanctions": lambda v: OPENSANCTIONS[f"{v}/"],
}
PREDICATE = {"exact": OWL.sameAs, "close": SKOS.closeMatch}

# (scheme, predicate IRI) -> number of link triples: one VoID linkset each.
LinkCounts = dict[tuple[str, str], int]


def wikidata_iri(qid: str) -> URIRef:
    return WD[qid]


def external_links(e: Entity) -> list[tuple[str, str, URIRef]]:
    """(scheme, strength, target IRI) for every linked record of one entity."""
    out = []
    if e.wikidata:
        out.append(("wikidata", match_of(e, "wikidata"), wikidata_iri(e.wikidata)))
    for scheme, value in e.links.items():
        if scheme in TARGET_IRI:
            out.append((scheme, match_of(e, scheme), TARGET_IRI[scheme](value)))
    return out


def link_graph(g: Graph, entities: dict[str, Entity], mint: Minter) -> LinkCounts:
    """Write the links; return how many each (target dataset, predicate) received, for VoID."""
    counts: LinkCounts = {}
    for e in entities.values():
        s = URIRef(mint.entity(e.id))
        for scheme, strength, target in external_links(e):
            predicate = PREDICATE[strength]
            g.add((s, predicate, target))
            if scheme == "wikidata" and strength == "exact":
                # cg:wikidata is a subproperty of skos:exactMatch: only for true identity.
                g.add((s, CG.wikidata, target))
            key = (scheme, str(predicate))
            counts[key] = counts.get(key, 0) + 1
        code = e.links.get("iso3166")
        if code:
            g.add((s, CG.iso3166Code, Literal(code)))
    return counts
