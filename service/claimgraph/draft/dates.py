"""Dates the text gives, read relative to the publication date (dateparser for the wording)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..reading.model import Span

MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
PATTERNS = (
    ("day", re.compile(rf"\b(?:\d{{1,2}} {MONTHS} \d{{4}}|{MONTHS} \d{{1,2}}, \d{{4}})\b")),
    ("month", re.compile(rf"\b{MONTHS} \d{{4}}\b")),
    ("decade", re.compile(r"\b(?:the )?(?:1[5-9]|20)\d0s\b")),
    ("year", re.compile(r"\b(?:in|since|by|until|of|from) ((?:1[5-9]|20)\d\d)\b")),
    ("relative", re.compile(r"\b(?:next|last|this|past) (?:year|month|week)\b|\byesterday\b|\btoday\b", re.I)),
)


@dataclass
class DateFound:
    words: Span
    start: str
    end: str
    precision: str
    basis: str          # text | publication
    rule: str


def _parse(words: str, published: dt.date | None) -> dt.datetime | None:
    import dateparser

    settings = {"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False}
    if published:
        settings["RELATIVE_BASE"] = dt.datetime(published.year, published.month, published.day)
    return dateparser.parse(words, languages=["en"], settings=settings)


def dates_in(text: str, sentence: Span, published: str | None) -> list[DateFound]:
    pub = dt.date.fromisoformat(published) if published and len(published) == 10 else None
    region, out, taken = sentence.text, [], []
    for precision, pattern in PATTERNS:
        for m in pattern.finditer(region):
            g = 1 if precision == "year" else 0
            b, e = sentence.begin + m.start(g), sentence.begin + m.end(g)
            if any(t[0] < e and b < t[1] for t in taken):
                continue
            words = text[b:e]
            if precision == "decade":
                y = int(re.search(r"\d{4}", words).group(0))
                found = DateFound(Span(b, e, words), str(y), str(y + 9), "decade", "text", "date: a decade in the text")
            elif precision == "year":
                found = DateFound(Span(b, e, words), words, words, "year", "text", "date: a year in the text")
            elif precision == "relative":
                if pub is None:
                    continue
                low = words.lower()
                unit = "year" if "year" in low else "month" if "month" in low else "day"
                shift = 1 if low.startswith("next") else -1 if low.startswith(("last", "past")) or low == "yesterday" else 0
                if unit == "year":
                    y = pub.year + shift
                    start = end = str(y)
                    prec = "year"
                elif unit == "month":
                    parsed = _parse(words, pub)
                    if parsed is None:
                        continue
                    start = end = f"{parsed.year:04d}-{parsed.month:02d}"
                    prec = "month"
                else:
                    parsed = _parse(words, pub) if "week" not in low else None
                    if parsed is None:
                        continue
                    start = end = parsed.date().isoformat()
                    prec = "day"
                found = DateFound(Span(b, e, words), start, end, prec, "publication",
                                  f"date: “{words}” counted from the publication date {published}")
            else:
                parsed = _parse(words, pub)
                if parsed is None:
                    continue
                value = parsed.date().isoformat() if precision == "day" else f"{parsed.year:04d}-{parsed.month:02d}"
                found = DateFound(Span(b, e, words), value, value, precision, "text", f"date: dateparser read “{words}”")
            taken.append((b, e))
            out.append(found)
    return sorted(out, key=lambda f: f.words.begin)
