"""Suggest (auto-complete) for entities, types and properties, and the HTML previews.

Suggest is prefix search as a user types: label prefixes first, then alias
prefixes, then any word of a name, then near-misses (typos) last.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ...namespaces import ENTITY_TYPES
from .index import Entry, Index
from .manifest import TYPE_NAMES, type_object
from .matching import name_score, normalize
from .properties import PROPS, applies, as_suggestion

TYPO_SCORE = 75.0


def _prefix_rank(entry: Entry, p: str) -> float:
    names = [normalize(entry.name)] + [normalize(a) for a in entry.aliases]
    if names[0].startswith(p):
        return 4.0
    if any(n.startswith(p) for n in names[1:]):
        return 3.0
    if any(w.startswith(p) for n in names for w in n.split()):
        return 2.0
    best = max(name_score(p, n[: len(p) + 2]) for n in names)  # a typo within what was typed so far
    return 1.0 if best >= TYPO_SCORE else 0.0


def suggest_entities(index: Index, prefix: str, type_id: str | None, offset: int, limit: int) -> list[dict[str, Any]]:
    p = normalize(prefix)
    exact = index.resolve(prefix) if prefix.strip() else None
    ranked: list[tuple[float, Entry]] = []
    for e in index.entries.values():
        if type_id and e.type != type_id:
            continue
        r = 5.0 if exact is not None and e.id == exact.id else (_prefix_rank(e, p) if p else 0.5)
        if r > 0:
            ranked.append((r, e))
    ranked.sort(key=lambda t: (-t[0], -t[1].mentions, t[1].name))
    out = []
    for _r, e in ranked[offset: offset + limit]:
        item: dict[str, Any] = {"id": e.id, "name": e.name, "notable": [type_object(e.type)]}
        if e.description:
            item["description"] = e.description
        out.append(item)
    return out


def suggest_types(prefix: str, offset: int, limit: int) -> list[dict[str, Any]]:
    p = normalize(prefix)
    hits = [t for t in ENTITY_TYPES
            if not p or any(w.startswith(p) for w in normalize(f"{t} {TYPE_NAMES[t]}").split())
            or normalize(t).startswith(p)]
    return [type_object(t) for t in hits][offset: offset + limit]


def suggest_properties(prefix: str, type_id: str | None, offset: int, limit: int) -> list[dict[str, Any]]:
    p = normalize(prefix)
    hits = [prop for prop in PROPS if applies(prop, type_id) and (
        not p or normalize(prop.id).startswith(p) or any(w.startswith(p) for w in normalize(prop.name).split()))]
    return [as_suggestion(prop) for prop in hits][offset: offset + limit]


def _facts(entry: Entry) -> list[tuple[str, str]]:
    rows = [("Type", TYPE_NAMES.get(entry.type, entry.type))]
    if entry.aliases:
        rows.append(("Also", ", ".join(entry.aliases[:8])))
    for scheme, label in (("wikidata", "Wikidata"), ("iso3166", "ISO 3166"), ("geonames", "GeoNames"),
                          ("dbpedia", "DBpedia"), ("viaf", "VIAF")):
        if entry.ids.get(scheme):
            rows.append((label, ", ".join(entry.ids[scheme])))
    rows.append(("In articles", f"{entry.mentions} mention(s), {entry.claims} claim(s) about it"))
    if entry.statements:
        rows.append(("Source context", f"{len(entry.statements)} sourced statement(s)"))
    return rows


def preview_html(entry: Entry, page_url: str) -> str:
    """A small self-contained page for an <iframe> (no scripts, nothing fetched).

    `page_url` is where this server shows the entity: the minted IRI is an identifier and names
    the default host and port, not necessarily the server the client is talking to."""
    facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in _facts(entry))
    wikidata = ""
    if entry.qid:
        wikidata = (f' <a href="https://www.wikidata.org/wiki/{escape(entry.qid)}" target="_blank" '
                    f'rel="noopener">{escape(entry.qid)}</a>')
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(entry.name)}</title>"
        "<style>body{font:13px/1.35 system-ui,sans-serif;margin:6px}h1{font-size:15px;margin:0 0 4px}"
        "p{margin:0 0 6px;color:#333}th{text-align:left;padding-right:8px;color:#666;font-weight:normal;"
        "vertical-align:top}</style></head><body>"
        f"<h1><a href=\"{escape(page_url)}\" target=\"_blank\" rel=\"noopener\">{escape(entry.name)}</a>{wikidata}</h1>"
        f"<p>{escape(entry.description or '')}</p><table>{facts}</table></body></html>"
    )


def flyout_html(entry: Entry) -> str:
    desc = f"<br>{escape(entry.description)}" if entry.description else ""
    return f"<p><strong>{escape(entry.name)}</strong> ({escape(TYPE_NAMES.get(entry.type, entry.type))}){desc}</p>"
