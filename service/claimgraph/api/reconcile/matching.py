"""Name matching for reconciliation: tolerant of case, accents, punctuation, aliases and typos.

A spreadsheet column says "russian federation", "Moskow", "U.S.A.", "Rússia";
each must find its entity among labels and skos:altLabels, with a score a
person can read (0-100) and a match flag only when the winner is clear.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from .index import Entry, Index

# A candidate is a match when it scores at least this much ...
MATCH_SCORE = 80.0
# ... and leads the best other entity by at least this much.
MATCH_MARGIN = 10.0
# Names scoring below this are not candidates at all.
CANDIDATE_CUTOFF = 50.0
# Weight of property agreement when a query has both a name and properties: enough to part
# namesakes (equal names), too little for a fuzzy near-name to overtake a true name.
PROPERTY_WEIGHT = 0.2
# With type_strict "should" (what OpenRefine sends), a candidate of another type keeps this
# share of its score: a preference that an exact name of another type can still outweigh.
OFF_TYPE_FACTOR = 0.9

_ABBREVIATION = re.compile(r"(?<=\w)\.(?=\w)|(?<=\b\w)\.")
_NON_WORD = re.compile(r"[^\w]+")


def normalize(text: str) -> str:
    """Case-, accent- and punctuation-free form: "U.S.A." -> "usa", "Rússia" -> "russia"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    # Apostrophes vanish so "NATO's" and "natos" meet; "&" reads as "and".
    text = text.casefold().replace("&", " and ").replace("’", "").replace("'", "")
    # Dots inside abbreviations join their letters (U.S. -> us) rather than splitting them.
    text = _ABBREVIATION.sub("", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ").strip()
    return re.sub(r"^the ", "", text)


def _cover_discount(query: str, name: str) -> float:
    """Token-set agreement is discounted by how much of the longer side is left over:
    "nato alliance" ⊇ "nato" scores high, but "russia" inside "us sanctions
    against russia" must not tie with "russia" itself. Between 0.75 and 0.95."""
    if not query or not name:
        return 0.0
    return 0.75 + 0.2 * min(len(query), len(name)) / max(len(query), len(name))


# (scorer, discount): every scorer runs in rapidfuzz's C code over all names; the
# discount is applied afterwards to the few names that pass the cutoff.
SCORERS = ((fuzz.ratio, None), (fuzz.token_sort_ratio, None), (fuzz.token_set_ratio, _cover_discount))
MAX_DISCOUNT = 0.95


def name_score(query: str, name: str) -> float:
    """0-100: how well a normalized query fits a normalized name."""
    return max(s(query, name) * (d(query, name) if d else 1.0) for s, d in SCORERS)


@dataclass
class Condition:
    """A property constraint: pid with values; `required` drops non-matching candidates."""

    pid: str
    values: list[Any]
    required: bool = False
    quantifier: str = "any"  # any | all | none


@dataclass
class Query:
    text: str | None = None
    types: list[str] = field(default_factory=list)
    type_strict: str = "any"  # any | all | should
    limit: int = 5
    conditions: list[Condition] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # 1.0 `matchType: id` conditions


@dataclass
class Candidate:
    entry: "Entry"
    score: float
    name_score: float
    label_hit: bool
    type_match: bool
    property_share: float | None
    id_hit: bool
    match: bool = False

    def features(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"id": "name_similarity", "name": "Similarity of the query to the best label or alias (0-100)",
             "value": round(self.name_score, 1)},
            {"id": "label_match", "name": "The best-matching name is the entity's label (not an alias)",
             "value": self.label_hit},
            {"id": "type_match", "name": "The entity has one of the requested types", "value": self.type_match},
            {"id": "mentions", "name": "How often articles mention the entity", "value": self.entry.mentions},
        ]
        if self.id_hit:
            out.append({"id": "id_match", "name": "The query is the entity's identifier", "value": True})
        if self.property_share is not None:
            out.append({"id": "property_match", "name": "Share of property conditions the entity satisfies",
                        "value": round(self.property_share, 3)})
        return out


def name_scores(index: "Index", text: str) -> dict[str, tuple[float, bool]]:
    """Best (score, is_label) per entry for a query text, over every label and alias."""
    norm = normalize(text)
    best: dict[str, tuple[float, bool]] = {}
    if not norm:
        return best
    for scorer, discount in SCORERS:
        cutoff = CANDIDATE_CUTOFF / MAX_DISCOUNT if discount else CANDIDATE_CUTOFF
        for name, score, i in process.extract(norm, index.names, scorer=scorer, processor=None,
                                              limit=None, score_cutoff=cutoff):
            if discount:
                score *= discount(norm, name)
                if score < CANDIDATE_CUTOFF:
                    continue
            eid, is_label = index.owners[i]
            if (score, is_label) > best.get(eid, (-1.0, False)):
                best[eid] = (float(score), is_label)
    return best


def type_ok(entry: "Entry", types: list[str], strict: str) -> bool:
    if not types:
        return True
    if strict == "all":
        return all(t == entry.type for t in types)
    return entry.type in types


def rank(index: "Index", q: Query, property_check: Any) -> list[Candidate]:
    """Score every plausible entity for one query; sorted best first, match flags set.

    property_check(entry, condition) -> bool decides one property condition.
    """
    scored: dict[str, tuple[float, bool]] = name_scores(index, q.text) if q.text else {}
    id_hits: set[str] = set()
    for ref in ([q.text] if q.text else []) + q.ids:
        found = index.resolve(ref)
        if found is not None:
            id_hits.add(found.id)
            scored[found.id] = (100.0, True)
    pool = scored.keys() if (q.text or q.ids) else index.entries.keys()
    out: list[Candidate] = []
    for eid in pool:
        entry = index.entries[eid]
        nscore, is_label = scored.get(eid, (0.0, False))
        typed = type_ok(entry, q.types, q.type_strict)
        if not typed and q.type_strict != "should":
            continue
        share = None
        if q.conditions:
            passed = 0
            dropped = False
            for cond in q.conditions:
                ok = property_check(entry, cond)
                passed += ok
                dropped = dropped or (cond.required and not ok)
            if dropped:
                continue
            share = passed / len(q.conditions)
        if q.text or q.ids:
            score = nscore if share is None else nscore * (1 - PROPERTY_WEIGHT) + 100 * share * PROPERTY_WEIGHT
        else:
            if not share:
                continue  # properties only: a candidate must satisfy at least one
            score = 100 * share
        if not typed:
            score *= OFF_TYPE_FACTOR
        out.append(Candidate(entry, round(score, 1), nscore, is_label, typed, share, eid in id_hits))
    out.sort(key=lambda c: (-c.score, not c.label_hit, -c.entry.mentions, c.entry.name))
    if out:
        top = out[0]
        runner_up = out[1].score if len(out) > 1 else 0.0
        top.match = (top.score >= MATCH_SCORE and top.score - runner_up >= MATCH_MARGIN and top.type_match
                     and (top.property_share is None or top.property_share == 1.0))
    return out[: q.limit]
