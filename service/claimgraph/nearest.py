"""The nearest ids to a mistyped one, by id, label and alias: the "did you mean" of every message
that names an unknown entity (a reading's, a REST path's, a web page's)."""

from __future__ import annotations

from typing import Iterable

from rapidfuzz import fuzz, process


def nearest_ids(value: str, candidates: Iterable[tuple[str, str, Iterable[str]]], limit: int = 3) -> list[str]:
    """`russia (Russia)` or `russia (alias “Moscow”)` for the closest of (id, label, aliases)."""
    names: dict[str, tuple[str, str]] = {}  # a name -> (id, how to show the match)
    for eid, label, aliases in candidates:
        names.setdefault(eid, (eid, label))
        names.setdefault(label, (eid, label))
        for alias in aliases:
            names.setdefault(alias, (eid, f"alias “{alias}”"))
    found: list[str] = []
    seen: set[str] = set()
    # WRatio weighs partial matches: "moscow" finds the alias "Moscow" of russia.
    for name, score, _ in process.extract(value, list(names), scorer=fuzz.WRatio, limit=limit * 4):
        eid, shown = names[name]
        if score >= 70 and eid not in seen:
            seen.add(eid)
            found.append(f"{eid} ({shown})")
        if len(found) == limit:
            break
    return found


def did_you_mean(value: str, candidates: Iterable[tuple[str, str, Iterable[str]]], otherwise: str) -> str:
    """`; did you mean a (A), b (alias “B”)?`, or `; <otherwise>` when nothing is near."""
    found = nearest_ids(value, candidates)
    return f"; did you mean {', '.join(found)}?" if found else f"; {otherwise}"
