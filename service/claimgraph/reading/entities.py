"""The shared entity register (data/entities.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

from .fields import SLUG, Fields, items
from .model import ENTITY_TYPES, Entity
from .problems import Problem
from .yamlfile import load_yaml

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
ENTITY_KEYS = (
    "id", "type", "label", "aliases", "description", "wikidata", "links",
    "appliedBy", "appliedTo", "broader", "note",
)


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
        wikidata = f.str("wikidata", required=False)
        if wikidata is not None and not QID.match(wikidata):
            f.problem(f"entity {eid}: wikidata {wikidata!r} is not a QID like Q159", key="wikidata")
            wikidata = None
        links: dict[str, str] = {}
        lnode = f.mapping("links")
        if lnode is not None:
            lf = Fields(lnode, shown, problems, f"entity {eid} links")
            lf.allow(LINK_FORMS)
            for scheme, form in LINK_FORMS.items():
                value = lf.str(scheme, required=False)
                if value is None:
                    continue
                if not form.match(value):
                    lf.problem(f"entity {eid}: {scheme} id {value!r} is malformed", key=scheme)
                    continue
                links[scheme] = value
        entities[eid] = Entity(
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
            line=line,
        )
    for e in entities.values():
        for key, refs in (("appliedBy", e.applied_by), ("appliedTo", e.applied_to), ("broader", e.broader)):
            for ref in refs:
                if ref not in entities:
                    problems.append(Problem(shown, e.line, f"entity {e.id}: {key} refers to unknown entity {ref!r}"))
        if (e.applied_by or e.applied_to) and e.type != "Policy":
            problems.append(Problem(shown, e.line, f"entity {e.id}: appliedBy/appliedTo only apply to a Policy"))
    return entities, problems
