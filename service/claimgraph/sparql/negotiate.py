"""Content negotiation with q-values (RFC 9110 §12.5.1)."""

from __future__ import annotations

from .formats import GRAPH_ALIASES, GRAPH_FORMATS, SOLUTION_ALIASES, SOLUTION_FORMATS


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """(media range, q, position) sorted by preference; q=0 ranges are kept to exclude."""
    if not header:
        return [("*/*", 1.0, 0)]
    out = []
    for pos, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        out.append((media, q, pos))
    return out


def _specificity(media_range: str) -> int:
    if media_range == "*/*":
        return 0
    if media_range.endswith("/*"):
        return 1
    return 2


def choose(header: str | None, offers: list[tuple[str, str]]) -> str | None:
    """Pick the format name among offers [(media type, name)] that the client likes best.

    Ties go to the server's order of offers (its preferred format first).
    """
    ranges = parse_accept(header)
    best: tuple[float, int, int] | None = None
    chosen = None
    for index, (media, name) in enumerate(offers):
        q_for = None
        spec = -1
        for rng, q, _pos in ranges:
            if rng == media or rng == "*/*" or (rng.endswith("/*") and media.startswith(rng[:-1])):
                s = _specificity(rng)
                if s > spec:
                    spec, q_for = s, q
        if q_for is None or q_for <= 0:
            continue
        key = (q_for, -index, spec)
        if best is None or key > best:
            best, chosen = key, name
    return chosen


def solution_offers() -> list[tuple[str, str]]:
    offers = [(mt, name) for name, (mt, _f) in SOLUTION_FORMATS.items()]
    offers += [(mt, name) for mt, name in SOLUTION_ALIASES.items() if (mt, name) not in offers]
    return offers


def graph_offers() -> list[tuple[str, str]]:
    offers = [(mt, name) for name, (mt, _f) in GRAPH_FORMATS.items()]
    offers += [(mt, name) for mt, name in GRAPH_ALIASES.items() if (mt, name) not in offers]
    return offers


def format_from_param(value: str, graph: bool) -> str | None:
    """`format=json` / `format=text/turtle` style overrides some clients send."""
    v = value.strip().lower()
    names, aliases = (GRAPH_FORMATS, GRAPH_ALIASES) if graph else (SOLUTION_FORMATS, SOLUTION_ALIASES)
    if v in names:
        return v
    return aliases.get(v)
