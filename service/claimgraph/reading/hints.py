"""Why the curator's words were not found, in words a curator can act on.

The usual cause is a character that looks the same and is not: a straight apostrophe typed
where the text has a curly one, a hyphen where it has a dash. Those are named with their code
points; otherwise the nearest passage of the text is shown.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from ..nearest import did_you_mean
from .locate import _short, whole_word_occurrences

# Characters a keyboard types, and what published text uses instead.
LOOKALIKES = {
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00a0": " ", "\u2009": " ",
    "\u202f": " ", "\u2026": "...",
}


def fold(s: str) -> str:
    return "".join(LOOKALIKES.get(ch, ch) for ch in s)


def describe(ch: str) -> str:
    return f"{ch} (U+{ord(ch):04X})"


def differing(found: str, typed: str) -> list[str]:
    """Each lookalike the text has where the typed words have another character."""
    out, i, j = [], 0, 0
    while i < len(found) and j < len(typed):
        a, b = found[i], typed[j]
        if a == b:
            i, j = i + 1, j + 1
            continue
        repl = LOOKALIKES.get(a, a)
        note = f"the text has {describe(a)} where the quote has {describe(b)}"
        if note not in out:
            out.append(note)
        i, j = i + 1, j + max(1, len(repl))
    return out


def not_found(text: str, words: str, begin: int, end: int, scope: str, whole_words: bool = False) -> str:
    region = text[begin:end]
    msg = f"{_short(words)} not found in {scope}"
    # Fold both sides the same way; "…" folds to three characters, so fold char by char
    # only where lengths agree (the common case: one lookalike for one character).
    if whole_words and words in region:
        inside = region.find(words)
        return (f"{msg} as a whole word: it occurs only inside a longer word "
                f"({region[max(0, inside - 10):inside + len(words) + 10]!r}); mentions match whole words")
    folded_region, folded_words = fold(region), fold(words)
    if len(folded_region) == len(region) and len(folded_words) == len(words):
        at = folded_region.find(folded_words)
        if at >= 0 and (notes := differing(region[at:at + len(words)], words)):
            found = region[at:at + len(words)]
            return f"{msg}: {'; '.join(notes)}; copy the words from article.txt ({found!r})"
    if not region.strip():
        return msg
    # The nearest passage: the best-aligned stretch of the region, widened to whole words.
    al = fuzz.partial_ratio_alignment(words, region)
    if al is not None and al.score >= 60:
        b, e = al.dest_start, al.dest_end
        while b > 0 and region[b - 1].isalnum():
            b -= 1
        while e < len(region) and region[e].isalnum():
            e += 1
        return f"{msg}; nearest in {scope}: {region[b:e]!r}"
    return msg


def suggest_entities(value: str, entities: dict, limit: int = 3) -> str:
    """ `; did you mean russia (Russia), …` for an unknown entity id, from ids, labels and aliases."""
    return did_you_mean(value, ((e.id, e.label, e.aliases) for e in entities.values()),
                        "see data/entities.yaml for the ids")


__all__ = ["not_found", "suggest_entities", "fold", "whole_word_occurrences"]
