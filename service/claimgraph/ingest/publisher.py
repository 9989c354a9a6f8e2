"""Who published a page: a register entity matched by domain or name, else a proposed new one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..reading.model import Entity

OUTLET_TYPES = ("MediaOutlet", "Organization")
DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")


@dataclass
class PublisherMatch:
    entity: str | None          # the register id, when matched
    rule: str                   # how it was matched (or why a new entity is proposed)
    proposed: dict | None = None  # a new register entry to review, when nothing matched


def slugify(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:80] or "unnamed"


def _domains(entity: Entity) -> set[str]:
    return {a.lower().removeprefix("www.") for a in entity.aliases if DOMAIN.match(a.lower())}


def _names(entity: Entity) -> set[str]:
    return {n.casefold() for n in [entity.label, *entity.aliases] if not DOMAIN.match(n.lower())}


def match_publisher(entities: dict[str, Entity], hostname: str | None, sitename: str | None) -> PublisherMatch:
    outlets = [e for e in entities.values() if e.type in OUTLET_TYPES]
    host = (hostname or "").lower().removeprefix("www.")
    if host:
        for e in outlets:
            # a subdomain of a registered domain is the same outlet (news.example.org)
            if any(host == d or host.endswith("." + d) for d in _domains(e)):
                return PublisherMatch(e.id, f"publisher-by-domain: {host} is an alias of {e.id}")
    if sitename:
        for e in outlets:
            if sitename.casefold().strip() in _names(e):
                return PublisherMatch(e.id, f"publisher-by-name: site name {sitename!r} is a name of {e.id}")
    if not (sitename or host):
        return PublisherMatch(None, "publisher-unknown: the page names no site and has no host")
    label = sitename or host
    new_id = slugify(label.removeprefix("The ").removeprefix("the ")) if sitename else slugify(host)
    base, n = new_id, 2
    while new_id in entities:
        new_id, n = f"{base}-{n}", n + 1
    proposed = {"id": new_id, "type": "MediaOutlet", "label": label,
                "aliases": [host] if host else [], "role": "publisher"}
    return PublisherMatch(None, f"publisher-proposed: neither {host or '-'} nor {sitename!r} is in the register",
                          proposed)
