"""The properties a client can constrain queries on, suggest, and fetch by data extension.

One catalog serves all three, so a property seen in suggest works in a
query condition and in an extend request alike (as the 0.2 spec asks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rapidfuzz import fuzz

from .index import Entry, Index
from .matching import Condition, normalize


@dataclass(frozen=True)
class Prop:
    id: str
    name: str
    description: str
    kind: str  # str | entity | int
    types: tuple[str, ...] = ()  # entity types it applies to; () = all
    values: Callable[[Entry, Index], list[Any]] = lambda e, i: []


def _ids(scheme: str) -> Callable[[Entry, Index], list[Any]]:
    return lambda e, i: list(e.ids.get(scheme, []))


def _related(key: str) -> Callable[[Entry, Index], list[Any]]:
    return lambda e, i: [i.entries[x] for x in e.relations.get(key, []) if x in i.entries]


PROPS: list[Prop] = [
    Prop("type", "Register type", "State, Organization, Person, MediaOutlet, Place, Group, Policy, Event or Concept",
         "str", values=lambda e, i: [e.type]),
    Prop("description", "Description", "One neutral line about the entity", "str",
         values=lambda e, i: [e.description] if e.description else []),
    Prop("altLabel", "Aliases", "Other names a text may use for the entity (skos:altLabel)", "str",
         values=lambda e, i: list(e.aliases)),
    Prop("wikidata", "Wikidata QID", "The Wikidata item, as a QID like Q159", "str", values=_ids("wikidata")),
    Prop("iso3166", "ISO 3166-1 alpha-2 code", "Two-letter country code", "str", ("State",), _ids("iso3166")),
    Prop("geonames", "GeoNames id", "GeoNames feature id", "str", ("State", "Place"), _ids("geonames")),
    Prop("dbpedia", "DBpedia resource name", "Name of the DBpedia resource (exact or close match)", "str",
         values=_ids("dbpedia")),
    Prop("viaf", "VIAF id", "Virtual International Authority File id", "str",
         ("Person", "Organization", "MediaOutlet"), _ids("viaf")),
    Prop("opensanctions", "OpenSanctions id", "OpenSanctions entity id", "str", values=_ids("opensanctions")),
    Prop("sameAs", "Identity links", "IRIs of external records that are this entity (owl:sameAs)", "str",
         values=lambda e, i: list(e.same_as)),
    Prop("closeMatch", "Close matches", "IRIs of external records close to, not identical with, this entity "
         "(skos:closeMatch)", "str", values=lambda e, i: list(e.close_match)),
    Prop("appliedBy", "Applied by", "Who applies the policy", "entity", ("Policy",), _related("appliedBy")),
    Prop("appliedTo", "Applied to", "Whom the policy is applied to", "entity", ("Policy",), _related("appliedTo")),
    Prop("broader", "Broader concept", "The broader concept (skos:broader)", "entity", ("Concept",),
         _related("broader")),
    Prop("mentionedIn", "Mentioned in", "Titles of the articles that mention the entity", "str",
         values=lambda e, i: sorted(e.articles.values())),
    Prop("mentionCount", "Mentions", "How many mentions of the entity the articles hold", "int",
         values=lambda e, i: [e.mentions]),
    Prop("claimCount", "Claims about", "How many claims are about the entity", "int",
         values=lambda e, i: [e.claims]),
    Prop("sourcedStatements", "Sourced statements", "What named external sources state about the entity "
         "(publisher context, kept apart from article claims), with source and date", "str",
         values=lambda e, i: [f"{s['statement']} [{s['by']}, {s['date'] or 'undated'}; {s['source']}]"
                              for s in e.statements]),
]
BY_ID: dict[str, Prop] = {p.id: p for p in PROPS}


def applies(prop: Prop, type_id: str | None) -> bool:
    return not prop.types or type_id is None or type_id in prop.types


def _value_matches(prop: Prop, have: Any, want: Any) -> bool:
    if prop.kind == "entity":
        if isinstance(want, dict):
            ref = str(want.get("id", ""))
            return ref in (have.id, have.iri) or normalize(str(want.get("name", ""))) == normalize(have.name)
        w = normalize(str(want))
        return w in (normalize(have.id), normalize(have.name)) or any(normalize(a) == w for a in have.aliases)
    if prop.kind == "int":
        try:
            return int(want["id"] if isinstance(want, dict) else want) == int(have)
        except (TypeError, ValueError, KeyError):
            return False
    w = str(want.get("id", "")) if isinstance(want, dict) else str(want)
    a, b = normalize(str(have)), normalize(w)
    # Identifiers must be equal; free text may differ by a typo.
    return a == b or (len(b) > 6 and fuzz.ratio(a, b) >= 90)


def check(index: Index) -> Callable[[Entry, Condition], bool]:
    """property_check for matching.rank: does the entry satisfy one condition?"""

    def run(entry: Entry, cond: Condition) -> bool:
        prop = BY_ID[cond.pid]
        have = prop.values(entry, index)
        hits = [any(_value_matches(prop, h, w) for h in have) for w in cond.values]
        if cond.quantifier == "all":
            return all(hits)
        if cond.quantifier == "none":
            return not any(hits)
        return any(hits)

    return run


def render(prop: Prop, entry: Entry, index: Index, limit: int = 0) -> list[dict[str, Any]]:
    """Values of one property in the data-extension value shapes ({str}, {int}, {id, name})."""
    values = prop.values(entry, index)
    if limit > 0:
        values = values[:limit]
    if prop.kind == "entity":
        return [{"id": v.id, "name": v.name} for v in values]
    if prop.kind == "int":
        return [{"int": int(v)} for v in values]
    return [{"str": str(v)} for v in values]


def as_suggestion(prop: Prop) -> dict[str, str]:
    return {"id": prop.id, "name": prop.name, "description": prop.description}
