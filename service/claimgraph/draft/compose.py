"""The machine draft as reading items, every one `status: draft` with the rule that proposed it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ingest.publisher import slugify
from ..reading.locate import occurrences, whole_word_occurrences
from ..reading.model import Entity, Span
from .claims import claim_for
from .dates import dates_in
from .mentions import candidate_names, register_mentions

BOILERPLATE = re.compile(r"@|\b(?:contact us|all rights reserved|subscribe|newsletter|cookies?|follow us)\b", re.I)


@dataclass
class Draft:
    sentences: list[dict]
    claims: list[dict]
    events: list[dict]
    policies: list[dict]
    entities: list[dict]


def occurrence(text: str, sentence: Span, begin: int, words: str, whole_words: bool = True) -> int | None:
    """The `occurrence:` the reading needs, counted as its check counts: whole words for mentions,
    any occurrence for the other items' words."""
    find = whole_word_occurrences if whole_words else occurrences
    hits = find(text[sentence.begin:sentence.end], words)
    if len(hits) <= 1:
        return None
    return hits.index(begin - sentence.begin) + 1


def draft_reading(text: str, units: list[Span], entities: dict[str, Entity], title: str | None,
                  published: str | None, segmenter: str) -> Draft:
    d = Draft([], [], [], [], [])
    candidates: dict[str, dict] = {}
    for n, unit in enumerate(units, 1):
        sid = f"s{n}"
        found = register_mentions(text, unit, entities)
        role, role_rule = None, None
        if title and unit.text.strip().rstrip(".") == title.strip().rstrip("."):
            role, role_rule = "headline", "headline: the unit is the page's title"
        elif BOILERPLATE.search(unit.text) and len(unit.text.split()) <= 12:
            role, role_rule = "boilerplate", "boilerplate: a short unit with an address or site furniture"
        sentence: dict = {"id": sid, "text": unit.text}
        if role:
            sentence["role"] = role
        sentence["status"] = "draft"
        sentence["rule"] = f"sentence unit: {segmenter}" + (f"; {role_rule}" if role_rule else "")
        mentions = []
        for f in found:
            m = {"text": f.text, "entity": f.entity, "role": "other"}
            if (occ := occurrence(text, unit, f.begin, f.text)) is not None:
                m["occurrence"] = occ
            mentions.append({**m, "status": "draft", "rule": f.rule})
        sentence["mentions"] = mentions
        d.sentences.append(sentence)
        for span in candidate_names(text, unit, found):
            key = span.text
            entry = candidates.setdefault(key, {"id": slugify(key), "type": None, "label": key, "mentions": []})
            m = {"sentence": sid, "text": span.text}
            if (occ := occurrence(text, unit, span.begin, span.text)) is not None:
                m["occurrence"] = occ
            entry["mentions"].append(m)
        if role is None:
            c = claim_for(text, unit, found)
            if c is not None:
                claim = {"id": f"c{len(d.claims) + 1}", "status": "draft", "rule": "; ".join(c.rules),
                         "quote": c.quote.text, "sentence": sid, "claimant": c.claimant}
                if c.source:
                    claim["source"] = c.source
                claim.update({"attribution": c.attribution, "kind": c.kind})
                if c.hedge:
                    claim["hedges"] = [c.hedge]
                claim["about"] = c.about
                d.claims.append(claim)
        for f in found:
            e = entities[f.entity]
            if e.type == "Policy":
                item = {"id": f"p{len(d.policies) + 1}", "entity": e.id, "mention": f.text, "sentence": sid}
                if (occ := occurrence(text, unit, f.begin, f.text, False)) is not None:
                    item["occurrence"] = occ
                d.policies.append({**item, "status": "draft", "rule": f"policy: {f.text!r} names register policy {e.id}"})
            elif e.type == "Event":
                item = {"id": f"e{len(d.events) + 1}", "entity": e.id, "label": e.label, "mention": f.text, "sentence": sid}
                if (occ := occurrence(text, unit, f.begin, f.text, False)) is not None:
                    item["occurrence"] = occ
                d.events.append({**item, "status": "draft", "rule": f"event: {f.text!r} names register event {e.id}"})
        if role is None:
            for date in dates_in(text, unit, published):
                item = {"id": f"e{len(d.events) + 1}", "label": f"what {sid} dates to {date.words.text}",
                        "mention": date.words.text, "sentence": sid}
                if (occ := occurrence(text, unit, date.words.begin, date.words.text, False)) is not None:
                    item["occurrence"] = occ
                when = {"text": date.words.text, "start": date.start, "end": date.end, "precision": date.precision,
                        "basis": date.basis}
                if "occurrence" in item:
                    when["occurrence"] = item["occurrence"]
                d.events.append({**item, "when": when, "status": "draft", "rule": date.rule})
    taken = set(entities)
    for entry in candidates.values():
        base, k = entry["id"], 2
        while entry["id"] in taken:
            entry["id"], k = f"{base}-{k}", k + 1
        taken.add(entry["id"])
        d.entities.append({**entry, "status": "draft",
                           "rule": "candidate: a capitalised name that matches no label or alias of the register"})
    return d
