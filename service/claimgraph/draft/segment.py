"""Sentence units by pysbd, paragraph by paragraph, checked to cover the whole text."""

from __future__ import annotations

from functools import lru_cache

from ..reading.article import paragraphs_of
from ..reading.model import Span


class SegmentationGap(Exception):
    pass


@lru_cache(maxsize=4)
def _segmenter(language: str):  # noqa: ANN202 - a pysbd.Segmenter
    import pysbd

    try:
        return pysbd.Segmenter(language=language, clean=False, char_span=True)
    except ValueError:  # a language pysbd has no rules for: its English rules are the nearest general ones
        return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_units(text: str, language: str = "en") -> list[Span]:
    """Every sentence unit in order; a unit never crosses a paragraph (one line of article.txt).
    Raises SegmentationGap if the units and the whitespace between them are not the whole text."""
    seg = _segmenter(language)
    units: list[Span] = []
    for para in paragraphs_of(text):
        pos = para.begin
        for piece in seg.segment(para.text):
            words = piece.sent.strip()
            if not words:
                continue
            # pysbd's offsets are into the paragraph; find the stripped words from where we are,
            # so the span is exact even where pysbd counted differently.
            at = text.find(words, pos, para.end)
            if at < 0:
                raise SegmentationGap(f"pysbd returned {words[:40]!r}, which is not in paragraph {para.text[:40]!r}")
            units.append(Span(at, at + len(words), words))
            pos = at + len(words)
    check_cover(text, units)
    return units


def check_cover(text: str, units: list[Span]) -> None:
    pos = 0
    for u in units:
        if text[u.begin:u.end] != u.text:
            raise SegmentationGap(f"unit at {u.begin} is not the text there")
        if text[pos:u.begin].strip():
            raise SegmentationGap(f"text at {pos}-{u.begin} is in no unit: {text[pos:u.begin].strip()[:40]!r}")
        pos = u.end
    if text[pos:].strip():
        raise SegmentationGap(f"text after {pos} is in no unit: {text[pos:].strip()[:40]!r}")
