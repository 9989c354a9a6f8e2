"""The shared entity register (data/entities.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..namespaces import ENTITY_TYPES
from .fields import SLUG, Fields, items
from .article import check_date
from .model import PRECISIONS, Entity, RegisterSource, When
from .problems import Problem
from .yamlfile import Node, load_yaml

QID = re.compile(r"^Q[1-9][0-9]*$")
# Forms of the external identifiers we accept; a malformed one is a problem,
# because a broken link is worse than none.
LINK_FORMS: dict[str, re.Pattern[str]] = {
    "iso3166": re.compile(r"^[A-Z]{2}$"),
    "geonames": re.compile(r"^[1-9][0-9]*$"),
    "viaf": re.compile(r"^[1-9][0-9]*$"),
    "dbpedia": re.compile(r"^[^\s<>\"{}|\\^`]+$"),
    "opensanctions": re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
}
# How strongly a link binds: `exact` (the external record is this very entity:
# owl:sameAs) or `close` (near enough to use, not the same thing: skos:closeMatch).
MATCHES = ("exact", "close")
# Schemes whose value is a code of the entity (a literal), not an external record.
LITERAL_CODES = ("iso3166",)
ENTITY_KEYS = (
    "id", "type", "label", "aliases", "description", "wikidata", "links",
    "appliedBy", "appliedTo", "broader", "note", "source", "happened",
)
URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


def _source(f: Fields, eid: str) -> RegisterSource | None:
    """A register fact's source: {by: <entity>, url: <document>, date: YYYY[-MM[-DD]]}."""
    node = f.mapping("source")
    if node is None:
        return None
    sf = Fields(node, f.file, f.problems, f"entity {eid} source", f.line("source"))
    sf.allow(("by", "url", "date", "note"))
    by, url, date = sf.str("by"), sf.str("url"), sf.str("date", required=False)
    if url is not None and not URL.match(url):
        sf.problem(f"entity {eid}: source url must be an http(s) URL, got {url!r}", key="url")
        return None
    if date is not None and (err := check_date(date)):
        sf.problem(f"entity {eid}: source date: {err}", key="date")
        return None
    if by is None or url is None:
        return None
    return RegisterSource(by, url, date)


def _happened(f: Fields, eid: str) -> When | None:
    node = f.mapping("happened")
    if node is None:
        return None
    hf = Fields(node, f.file, f.problems, f"entity {eid} happened", f.line("happened"))
    hf.allow(("start", "end", "precision"))
    start, end = hf.str("start", required=False), hf.str("end", required=False)
    for key, value in (("start", start), ("end", end)):
        if value is not None and (err := check_date(value)):
            hf.problem(f"entity {eid}: happened {key}: {err}", key=key)
            return None
    precision = hf.choice("precision", PRECISIONS)
    if precision is None:
        return None
    return When(start, end, precision, "external")


@dataclass
class RegisterEntity(Entity):
    """An entity of the register, with the strength of each external link.

    `match` maps a scheme ("wikidata", "dbpedia", ...) to "close" when the
    register says so; every other link is an exact identity.
    """

    match: dict[str, str] = field(default_factory=dict)


def match_of(entity: Entity, scheme: str) -> str:
    """`exact` or `close` for one of the entity's links (exact unless stated)."""
    return getattr(entity, "match", {}).get(scheme, "exact")


def _link_value(f: Fields, key: str, eid: str, match: dict[str, str]) -> str | None:
    """A link written either as a bare id or as {id: ..., match: exact|close}."""
    value: Any = f.node.get(key)
    if not isinstance(value, Node):
        return f.str(key, required=False)
    sub = Fields(value, f.file, f.problems, f"entity {eid} {key}", f.line(key))
    sub.allow(("id", "match"))
    strength = sub.choice("match", MATCHES, default="exact")
    if strength == "close":
        match[key] = "close"
    return sub.str("id")


def load_entities(path: Path, shown: str) -> tuple[dict[str, Entity], list[Problem]]:
    problems: list[Problem] = []
    doc, errs = load_yaml(path, shown)
    if errs:
        return {}, errs
    top = Fields(doc, shown, problems, "entities.yaml")
    top.allow(("entities",))
    entities: dict[str, Entity] = {}
    for node, line in items(top.node.get("entities"), shown, problems, "entities", top.line("entities")):
        f = Fields(node, shown, problems, "entity", line)
        f.allow(ENTITY_KEYS)
        eid = f.str("id")
        if eid is None:
            continue
        if not SLUG.match(eid):
            f.problem(f"entity id {eid!r} must be a lowercase slug (a-z, 0-9, -)", key="id")
            continue
        if eid in entities:
            f.problem(f"duplicate entity id {eid!r} (first at line {entities[eid].line})", key="id")
            continue
        etype = f.choice("type", ENTITY_TYPES)
        label = f.str("label")
        match: dict[str, str] = {}
        wikidata = _link_value(f, "wikidata", eid, match)
        if wikidata is not None and not QID.match(wikidata):
            f.problem(f"entity {eid}: wikidata {wikidata!r} is not a QID like Q159", key="wikidata")
            wikidata = None
        if etype == "State" and "wikidata" not in f.node:
            # SHACL StateShape asks for it; said here, with the line, rather than after the build.
            f.problem(f"entity {eid}: a State needs its verified wikidata QID (SHACL StateShape); "
                      "find it before adding the state")
        links: dict[str, str] = {}
        lnode = f.mapping("links")
        if lnode is not None:
            lf = Fields(lnode, shown, problems, f"entity {eid} links")
            lf.allow(LINK_FORMS)
            for scheme, form in LINK_FORMS.items():
                value = _link_value(lf, scheme, eid, match)
                if value is None:
                    continue
                if not form.match(value):
                    lf.problem(f"entity {eid}: {scheme} id {value!r} is malformed", key=scheme)
                    continue
                if scheme in LITERAL_CODES and match.get(scheme) == "close":
                    # A code is a value of the entity, not a record elsewhere: nothing to be close to.
                    lf.problem(f"entity {eid}: {scheme} is a code, not a linked record; match: close does not apply",
                               key=scheme)
                    continue
                links[scheme] = value
        source = _source(f, eid)
        entities[eid] = RegisterEntity(
            id=eid,
            type=etype or "Concept",
            label=label or eid,
            aliases=f.strs("aliases"),
            description=f.str("description", required=False),
            wikidata=wikidata,
            links=links,
            applied_by=f.strs("appliedBy"),
            applied_to=f.strs("appliedTo"),
            broader=f.strs("broader"),
            source=source,
            happened=_happened(f, eid),
            line=line,
            # Keep the strength only of links that survived their form check.
            match={k: v for k, v in match.items() if (k == "wikidata" and wikidata) or k in links},
        )
    for e in entities.values():
        for key, refs in (("appliedBy", e.applied_by), ("appliedTo", e.applied_to), ("broader", e.broader)):
            for ref in refs:
                if ref not in entities:
                    problems.append(Problem(shown, e.line, f"entity {e.id}: {key} refers to unknown entity {ref!r}"))
        if (e.applied_by or e.applied_to) and e.type != "Policy":
            problems.append(Problem(shown, e.line, f"entity {e.id}: appliedBy/appliedTo only apply to a Policy"))
        elif (e.applied_by or e.applied_to) and e.source is None:
            problems.append(Problem(shown, e.line, (
                f"entity {e.id}: appliedBy/appliedTo in the register state who applies the policy to whom "
                "as a fact, so they need a source: {by: <entity>, url: <document>, date: ...}; to record "
                "how an article frames it, give the policy reference participants in that article's reading")))
        if e.type == "Event" and (e.source is None or e.happened is None):
            problems.append(Problem(shown, e.line, (
                f"entity {e.id}: a register Event is asserted to have happened, so it needs happened: "
                "{start, end, precision} and a source: {by, url, date}; an event only as an article "
                "tells it belongs in that article's events: section")))
        if e.source is not None and e.source.by not in entities:
            problems.append(Problem(shown, e.line, f"entity {e.id}: source by refers to unknown entity {e.source.by!r}"))
    return entities, problems
