"""Finding the curator's words in the text: the only source of offsets."""

from __future__ import annotations

import re

from .model import Span


def occurrences(haystack: str, needle: str) -> list[int]:
    found, start = [], 0
    while needle:
        i = haystack.find(needle, start)
        if i < 0:
            break
        found.append(i)
        start = i + 1
    return found


def whole_word_occurrences(haystack: str, needle: str) -> list[int]:
    """Occurrences not glued to a letter or digit on either side: "Europe" is not in "European"."""
    if not needle:
        return []
    left = r"(?<!\w)" if re.match(r"\w", needle[0]) else ""
    right = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
    return [m.start() for m in re.finditer(f"(?={left}{re.escape(needle)}{right})", haystack)]


def locate(text: str, words: str, begin: int, end: int, occurrence: int | None, scope: str,
           whole_words: bool = False) -> Span | str:
    """Return the span of `words` inside text[begin:end], or a message saying why not.

    Ambiguity is an error unless the curator says which occurrence is meant,
    so a later edit of the text can never silently move an anchor.
    """
    if not isinstance(words, str) or not words.strip():
        return "empty text to locate"
    hits = (whole_word_occurrences if whole_words else occurrences)(text[begin:end], words)
    if not hits:
        from .hints import not_found  # a hint costs a fuzzy search: only when something is wrong

        return not_found(text, words, begin, end, scope, whole_words)
    if occurrence is None:
        if len(hits) > 1:
            return f"{_short(words)} is ambiguous: it occurs {len(hits)} times in {scope}; add occurrence: N"
        occurrence = 1
    if not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1:
        return f"occurrence must be a positive integer, got {occurrence!r}"
    if occurrence > len(hits):
        return f"occurrence {occurrence} of {_short(words)} requested, but it occurs {len(hits)} time(s) in {scope}"
    b = begin + hits[occurrence - 1]
    span = Span(b, b + len(words), words)
    assert text[span.begin : span.end] == words
    return span


def _short(words: str) -> str:
    return repr(words if len(words) <= 60 else words[:57] + "...")
