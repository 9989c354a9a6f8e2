"""Register entities by their labels and aliases, on word boundaries; unknown names as candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..reading.locate import whole_word_occurrences
from ..reading.model import Entity, Span


@dataclass(frozen=True)
class Found:
    begin: int            # offsets in the whole text
    end: int
    text: str
    entity: str
    rule: str


def _names(e: Entity) -> list[str]:
    # Domains and e-mail-like aliases are for matching publishers, not running text.
    return [n for n in dict.fromkeys([e.label, *e.aliases]) if n and len(n) > 1]


def register_mentions(text: str, sentence: Span, entities: dict[str, Entity]) -> list[Found]:
    """Every whole-word, case-sensitive occurrence of a label or alias inside the sentence.
    A match inside a longer match of the same entity is dropped ("Russia" in "Russian Federation");
    nested matches of different entities stay ("U.S." inside "U.S.-Russia relations")."""
    region = text[sentence.begin:sentence.end]
    found: list[Found] = []
    for e in entities.values():
        for name in _names(e):
            for at in whole_word_occurrences(region, name):
                b = sentence.begin + at
                rule = "mention-by-label" if name == e.label else "mention-by-alias"
                found.append(Found(b, b + len(name), name, e.id, f"{rule}: {name!r} names {e.id}"))
    kept = [f for f in found if not any(g is not f and g.entity == f.entity and g.begin <= f.begin and f.end <= g.end
                                        and (g.end - g.begin) > (f.end - f.begin) for g in found)]
    return sorted(set(kept), key=lambda f: (f.begin, -(f.end - f.begin), f.entity))


CAPITALISED = re.compile(
    r"(?<![\w’'])(?:[A-Z][\w’'.-]*|[A-Z]{2,})(?:\s+(?:(?:of|for|and|the|de|von|al)\s+)?(?:[A-Z][\w’'.-]*))*")
NOT_NAMES = {"I", "A", "An", "The", "This", "That", "These", "Those", "It", "Its", "He", "She", "They", "We", "You",
             "But", "And", "Or", "Yet", "If", "In", "On", "At", "As", "By", "For", "Of", "To", "So", "Since", "After",
             "Before", "Until", "Even", "However", "Today", "Recently", "More", "Most", "Both", "Three", "Two", "One",
             "On", "Over", "Its", "Their", "Our", "Contact", "What", "When", "Where", "Why", "How", "Not", "No"}


def candidate_names(text: str, sentence: Span, taken: list[Found]) -> list[Span]:
    """Capitalised spans that match no register entity: proposed as new entities.
    The first word of a sentence is capitalised anyway, so alone it is no evidence of a name."""
    region = text[sentence.begin:sentence.end]
    out = []
    for m in CAPITALISED.finditer(region):
        words = m.group(0).rstrip(".’'-")
        b = sentence.begin + m.start()
        # Drop leading function words the pattern let in ("The European Commission" -> "European Commission").
        while (first := words.split(" ", 1)[0]) in NOT_NAMES and " " in words:
            words = words.split(" ", 1)[1]
            b = text.index(words, b)
        if words in NOT_NAMES or len(words) < 2:
            continue
        if b == sentence.begin and " " not in words and not words.isupper():
            continue
        e = b + len(words)
        if any(f.begin < e and b < f.end for f in taken):
            continue
        out.append(Span(b, e, words))
    return out
