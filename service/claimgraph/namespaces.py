"""Vocabulary namespaces and the IRIs claimgraph mints.

The ontology namespace is fixed (vocabulary IRIs must not change per
deployment); data IRIs hang off the configurable base so a deployment can
publish under its own domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, VOID

CG = Namespace("https://w3id.org/claimgraph/ontology#")
SCHEMA = Namespace("https://schema.org/")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
ITSRDF = Namespace("http://www.w3.org/2005/11/its/rdf#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
WD = Namespace("http://www.wikidata.org/entity/")
DBR = Namespace("http://dbpedia.org/resource/")
GEONAMES = Namespace("https://sws.geonames.org/")
VIAF = Namespace("http://viaf.org/viaf/")
OPENSANCTIONS = Namespace("https://www.opensanctions.org/entities/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

PREFIXES: dict[str, str] = {
    "cg": str(CG),
    "schema": str(SCHEMA),
    "nif": str(NIF),
    "itsrdf": str(ITSRDF),
    "sem": str(SEM),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "void": str(VOID),
    "wd": str(WD),
    "dbr": str(DBR),
}

ONTOLOGY_IRI = "https://w3id.org/claimgraph/ontology"

# The register's entity types: each is a class of the ontology (cg:State, …) and the value of
# cg:entityType. The service (REST, reconciliation, OpenAPI) takes them from here, as the store
# has them; the reading model checks a curator's `type:` against the same list.
ENTITY_TYPES = ("State", "Organization", "Person", "MediaOutlet", "Place", "Group", "Policy", "Event", "Concept")


@dataclass(frozen=True)
class Minter:
    """Mints the IRIs of one deployment from its base IRI."""

    base: str

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    def entity(self, slug: str) -> str:
        return f"{self.base}entity/{slug}"

    def article(self, slug: str) -> str:
        return f"{self.base}article/{slug}"

    def context(self, slug: str) -> str:
        return f"{self.base}article/{slug}/text"

    def sentence(self, slug: str, sid: str) -> str:
        return f"{self.base}article/{slug}/sentence/{sid}"

    def paragraph(self, slug: str, n: int) -> str:
        return f"{self.base}article/{slug}/paragraph/{n}"

    def mention(self, slug: str, mid: str) -> str:
        return f"{self.base}article/{slug}/mention/{mid}"

    def claim(self, slug: str, cid: str) -> str:
        return f"{self.base}article/{slug}/claim/{cid}"

    def span(self, slug: str, begin: int, end: int) -> str:
        # RFC 5147 offsets, as NIF recommends, scoped under the article.
        return f"{self.base}article/{slug}/text#char={begin},{end}"

    def event(self, slug: str, eid: str) -> str:
        return f"{self.base}article/{slug}/event/{eid}"

    def policy_use(self, slug: str, pid: str) -> str:
        return f"{self.base}article/{slug}/policy/{pid}"

    def framing(self, slug: str, fid: str) -> str:
        return f"{self.base}article/{slug}/framing/{fid}"

    def stance(self, slug: str, cid: str, toward: str) -> str:
        return f"{self.base}article/{slug}/claim/{cid}/stance/{toward}"

    def participation(self, reference: str, n: int) -> str:
        """The n-th participant of an event or policy reference, as the article frames it."""
        return f"{reference}/participant/{n}"

    def register_fact(self, entity: str, what: str) -> str:
        """A sourced register statement about an entity (its dating, who applies it)."""
        return f"{self.base}entity/{entity}/statement/{what}"

    def author(self, slug: str) -> str:
        return f"{self.base}article/{slug}/author"

    def fact(self, fid: str) -> str:
        return f"{self.base}fact/{fid}"

    def graph(self, name: str) -> str:
        return f"{self.base}graph/{name}"

    def article_graph(self, slug: str) -> str:
        return f"{self.base}graph/article/{slug}"

    @property
    def dataset(self) -> str:
        return f"{self.base}dataset"
