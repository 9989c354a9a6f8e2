"""What the reconciliation service knows about each entity, read from the store.

Loaded with a handful of our own bounded queries (`engine.trusted`) and kept
until the store changes: the key is the live store directory plus the write
generation, so a rebuild or a SPARQL Update is picked up on the next request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ...namespaces import DBR, GEONAMES, OPENSANCTIONS, VIAF, WD
from .matching import normalize

PREFIXES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX itsrdf: <http://www.w3.org/2005/11/its/rdf#>
"""
Q_ENTITIES = PREFIXES + """SELECT ?e ?id ?type ?label ?desc WHERE {
  ?e cg:registerId ?id ; cg:entityType ?type ; skos:prefLabel ?label .
  OPTIONAL { ?e schema:description ?desc }
}"""
Q_ALIASES = PREFIXES + "SELECT ?id ?alt WHERE { ?e cg:registerId ?id ; skos:altLabel ?alt }"
Q_LINKS = PREFIXES + """SELECT ?id ?p ?o ?links WHERE {
  GRAPH ?links { ?e ?p ?o }
  ?e cg:registerId ?id .
  VALUES ?p { owl:sameAs skos:closeMatch cg:iso3166Code }
}"""
Q_RELATIONS = PREFIXES + """SELECT ?id ?p ?oid WHERE {
  ?e cg:registerId ?id ; ?p ?o . ?o cg:registerId ?oid .
  VALUES ?p { cg:appliedBy cg:appliedTo skos:broader }
}"""
Q_MENTIONS = PREFIXES + """SELECT ?id ?article ?title WHERE {
  ?article cg:hasSentence/cg:hasMention/itsrdf:taIdentRef ?e .
  ?e cg:registerId ?id .
  OPTIONAL { ?article rdfs:label ?title }
}"""
Q_MENTION_COUNTS = PREFIXES + """SELECT ?id (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m itsrdf:taIdentRef ?e . ?e cg:registerId ?id } GROUP BY ?id"""
Q_CLAIM_COUNTS = PREFIXES + """SELECT ?id (COUNT(DISTINCT ?c) AS ?n) WHERE {
  ?c a cg:Claim ; cg:about ?e . ?e cg:registerId ?id } GROUP BY ?id"""
Q_STATEMENTS = PREFIXES + """SELECT ?id ?s ?label ?by ?date ?source ?context WHERE {
  GRAPH ?context { ?s a cg:SourcedStatement ; cg:statementAbout ?e ; rdfs:label ?label ;
                      cg:statedBy ?by ; dcterms:source ?source .
                   OPTIONAL { ?s dcterms:date ?date } }
  ?e cg:registerId ?id .
}"""

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
ISO_CODE = "https://w3id.org/claimgraph/ontology#iso3166Code"
# scheme -> the namespace its record IRIs live in, to read the id back from a link
SCHEMES = {
    "wikidata": str(WD), "dbpedia": str(DBR), "geonames": str(GEONAMES),
    "viaf": str(VIAF), "opensanctions": str(OPENSANCTIONS),
}
RELATIONS = {
    "https://w3id.org/claimgraph/ontology#appliedBy": "appliedBy",
    "https://w3id.org/claimgraph/ontology#appliedTo": "appliedTo",
    "http://www.w3.org/2004/02/skos/core#broader": "broader",
}


@dataclass
class Entry:
    id: str
    iri: str
    type: str
    name: str
    description: str | None = None
    aliases: list[str] = field(default_factory=list)
    same_as: list[str] = field(default_factory=list)
    close_match: list[str] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=dict)  # scheme -> ids (iso3166 included)
    relations: dict[str, list[str]] = field(default_factory=dict)  # appliedBy/appliedTo/broader -> entry ids
    articles: dict[str, str] = field(default_factory=dict)  # article IRI -> title
    mentions: int = 0
    claims: int = 0
    statements: list[dict[str, str]] = field(default_factory=list)

    @property
    def qid(self) -> str | None:
        found = self.ids.get("wikidata")
        return found[0] if found else None


@dataclass
class Index:
    key: tuple[str, int]
    entries: dict[str, Entry]
    # Every name and alias, normalized, with the entry it names and whether it is the label.
    names: list[str] = field(default_factory=list)
    owners: list[tuple[str, bool]] = field(default_factory=list)
    by_iri: dict[str, str] = field(default_factory=dict)
    by_external: dict[str, str] = field(default_factory=dict)  # QID / external IRI -> entry id

    def resolve(self, ref: str) -> Entry | None:
        """An entry from its register id, its IRI, its Wikidata QID or any linked IRI."""
        ref = ref.strip()
        if ref in self.entries:
            return self.entries[ref]
        found = self.by_iri.get(ref) or self.by_external.get(ref)
        return self.entries.get(found) if found else None

    @property
    def types(self) -> list[str]:
        return sorted({e.type for e in self.entries.values()})


def _v(term: Any) -> str:
    return term.value if term is not None else ""


def build_index(key: tuple[str, int], rows: dict[str, list[dict[str, Any]]]) -> Index:
    entries: dict[str, Entry] = {}
    for r in rows["entities"]:
        eid = _v(r["id"])
        if eid not in entries:
            entries[eid] = Entry(id=eid, iri=_v(r["e"]), type=_v(r["type"]), name=_v(r["label"]))
        if r.get("desc") is not None and not entries[eid].description:
            entries[eid].description = _v(r["desc"])
    for r in rows["aliases"]:
        e = entries.get(_v(r["id"]))
        if e is not None and _v(r["alt"]) not in e.aliases:
            e.aliases.append(_v(r["alt"]))
    for r in rows["links"]:
        e = entries.get(_v(r["id"]))
        if e is None:
            continue
        p, o = _v(r["p"]), _v(r["o"])
        if p == ISO_CODE:
            _add(e.ids, "iso3166", o)
            continue
        _add_unique(e.same_as if p == OWL_SAME_AS else e.close_match, o)
        for scheme, ns in SCHEMES.items():
            if o.startswith(ns):
                _add(e.ids, scheme, o[len(ns):].rstrip("/"))
    for r in rows["relations"]:
        e = entries.get(_v(r["id"]))
        if e is not None:
            _add(e.relations, RELATIONS[_v(r["p"])], _v(r["oid"]))
    for r in rows["mentions"]:
        e = entries.get(_v(r["id"]))
        if e is not None:
            e.articles[_v(r["article"])] = _v(r.get("title")) or _v(r["article"])
    for r in rows["mention_counts"]:
        if (e := entries.get(_v(r["id"]))) is not None:
            e.mentions = int(_v(r["n"]))
    for r in rows["claim_counts"]:
        if (e := entries.get(_v(r["id"]))) is not None:
            e.claims = int(_v(r["n"]))
    for r in rows["statements"]:
        e = entries.get(_v(r["id"]))
        if e is not None and all(s["iri"] != _v(r["s"]) for s in e.statements):
            e.statements.append({"iri": _v(r["s"]), "statement": _v(r["label"]), "by": _v(r["by"]),
                                 "date": _v(r.get("date")), "source": _v(r["source"])})
    index = Index(key=key, entries=dict(sorted(entries.items())))
    for e in index.entries.values():
        index.by_iri[e.iri] = e.id
        for iri in e.same_as:
            index.by_external.setdefault(iri, e.id)
        if e.qid:
            index.by_external.setdefault(e.qid, e.id)
        seen: set[str] = set()
        for n, is_label in [(e.name, True)] + [(a, False) for a in e.aliases]:
            norm = normalize(n)
            if norm and norm not in seen:
                seen.add(norm)
                index.names.append(norm)
                index.owners.append((e.id, is_label))
    return index


def _add(d: dict[str, list[str]], key: str, value: str) -> None:
    _add_unique(d.setdefault(key, []), value)


def _add_unique(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


class IndexCache:
    """One Index per store version; concurrent first requests share one load."""

    def __init__(self) -> None:
        self._index: Index | None = None
        self._lock = asyncio.Lock()

    async def get(self, ctx: Any) -> Index:  # ctx: api.context.AppContext
        engine = ctx.engine
        key = (str(engine.locator.current()), engine.generation)
        if self._index is not None and self._index.key == key:
            return self._index
        async with self._lock:
            if self._index is None or self._index.key != key:
                self._index = await load_index(ctx, key)
            return self._index


async def load_index(ctx: Any, key: tuple[str, int]) -> Index:
    from pyoxigraph import NamedNode

    links = NamedNode(ctx.mint.graph("links"))
    context = NamedNode(ctx.mint.graph("source-context"))
    queries = {
        "entities": (Q_ENTITIES, None), "aliases": (Q_ALIASES, None), "links": (Q_LINKS, {"links": links}),
        "relations": (Q_RELATIONS, None), "mentions": (Q_MENTIONS, None),
        "mention_counts": (Q_MENTION_COUNTS, None), "claim_counts": (Q_CLAIM_COUNTS, None),
        "statements": (Q_STATEMENTS, {"context": context}),
    }
    rows = {}
    for name, (sparql, subs) in queries.items():
        rows[name] = await ctx.engine.trusted(sparql, subs)
    return build_index(key, rows)
