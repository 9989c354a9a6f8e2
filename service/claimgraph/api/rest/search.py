"""/api/search?q=: ranked, typo-tolerant search over labels, aliases and the words of claims.

The candidates come from the store version's SQLite FTS5 trigram index (store/search_index.py:
written by the build, shared by every serving process), and only those are scored here with
rapidfuzz, so a search costs the same over ten articles or ten thousand, and the client's text
never reaches SPARQL at all.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from rapidfuzz import fuzz, process, utils
from starlette.requests import Request
from starlette.responses import Response

from ...store import search_index as sidx
from ..errors import ApiError
from .common import CachedRoute, addresses, context
from .entities import Cursor, Format, Limit
from .envelope import check_known, choose_format, decode_cursor, encode_cursor, list_response, page_size
from .version_files import per_version, version_file

router = APIRouter(prefix="/api", tags=["REST lookups"], route_class=CachedRoute)

# A label outranks an alias, and both outrank the words of a claim, at equal similarity.
FIELD_WEIGHT = {"label": 1.0, "alias": 0.97, "quote": 0.92, "paraphrase": 0.88}
MIN_SCORE = 70.0
PARTIAL_WEIGHT = 0.9
MAX_HITS = 1000  # ranked results kept per query; pages are cut from these
GOOD = 90.0  # a hit this good: no need to look for the query's words misspelt in claims


# A candidate is a row of the store version's index (its item, resource, field, text, label, detail).
Entry = sidx.Row


class Ranker:
    """Scores a set of candidate rows against a query (the set is small: the index chose it)."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries
        self.choices = [utils.default_process(e.text) for e in entries]

    def scores(self, query: str) -> dict[int, float]:
        """Similarity of the query to each indexed text, 0-100 (C-speed passes; Python only sees hits).

        Whole-text similarity (ratio) catches a misspelt name ("Rusia" ~ "Russia"); the best-matching
        part (partial_ratio) finds the query inside a longer label or a claim ("sanctons" in a
        sentence), but only where the text is at least as long as the query, so a short alias
        ("US") is not found inside a longer query, and it counts a little less than a whole match.
        """
        out: dict[int, float] = {}
        for _c, score, i in process.extract(query, self.choices, scorer=fuzz.ratio, processor=None,
                                            score_cutoff=MIN_SCORE, limit=None):
            out[i] = score
        for _c, score, i in process.extract(query, self.choices, scorer=fuzz.partial_ratio, processor=None,
                                            score_cutoff=MIN_SCORE / PARTIAL_WEIGHT, limit=None):
            text = self.choices[i]
            if len(text) < len(query):
                continue
            # A match that starts inside a word ("us" in "russia") is weak evidence; for a short
            # query it is none at all.
            # (The best window of a misspelt word may begin a letter or two into it, hence the slack.)
            start = fuzz.partial_ratio_alignment(query, text).dest_start
            if len(query) <= 3 and start > 0 and text[start - 1].isalnum():
                continue
            if len(query) > 3 and start > 0 and text[max(0, start - 2):start].isalnum():
                score *= 0.85
            # Of two texts that contain the query, the one it covers more of ranks higher ("Rus": Russia first).
            out[i] = max(out.get(i, 0.0), score * PARTIAL_WEIGHT + 10.0 * len(query) / len(text))
        return out

    def search(self, q: str, resource: str | None) -> list[dict[str, Any]]:
        query = utils.default_process(q)
        if not query:
            return []
        best: dict[str, tuple[float, Entry]] = {}
        for index, score in self.scores(query).items():
            e = self.entries[index]
            if resource and e.resource != resource:
                continue
            exact = self.choices[index] == query
            weighted = min(100.0, score * FIELD_WEIGHT[e.field] + (5.0 if exact else 0.0))
            if weighted < MIN_SCORE:
                continue
            if e.item not in best or weighted > best[e.item][0]:
                best[e.item] = (weighted, e)
        ranked = sorted(best.values(), key=lambda se: (-se[0], se[1].resource != "entity", se[1].label.lower(),
                                                        se[1].item))
        return [{"score": round(score, 1), "entry": e} for score, e in ranked[:MAX_HITS]]


class Search:
    """One store version's search: candidates from its index, ranked here."""

    def __init__(self, index: sidx.SearchIndex, source: str):
        self.index = index
        self.source = source  # "build": the version's index file; "memory": made by this process

    def search(self, q: str, resource: str | None) -> list[dict[str, Any]]:
        rows = self.index.candidates(q, resource)
        hits = _rank(rows, q, resource)
        if resource != "entity" and (not hits or hits[0]["score"] < GOOD):
            # Nothing matched well: perhaps the words of a claim, misspelt.
            hits = _rank(rows + self.index.near_texts(q), q, resource)
        return hits


def _rank(rows: list[sidx.Row], q: str, resource: str | None) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str]] = set()
    entries = []
    for r in rows:
        if (r.item, r.field, r.text) not in seen:
            seen.add((r.item, r.field, r.text))
            entries.append(r)
    return Ranker(entries).search(q, resource)


def _index(ctx: Any) -> Search:
    """The search of the live store version: its index file when the build wrote one, else (a
    snapshot after a SPARQL Update, a store from older code) one made in memory, once."""
    def make(current: Path) -> Search:
        path = version_file(ctx, current)
        if path is not None and path.is_file():
            return Search(sidx.SearchIndex.open(path), "build")
        if ctx.engine.remote is not None:
            graphs = ctx.engine.remote.graph_names(ctx.engine.locator.version())
            return Search(sidx.SearchIndex.in_memory(sidx.rows_by_parts(ctx.engine.run_trusted, graphs)), "memory")
        rows = ctx.engine.run_trusted(sidx.SEARCH_ROWS)
        return Search(sidx.SearchIndex.in_memory(tuple(r[c].value for c in sidx.COLUMNS) for r in rows), "memory")

    return per_version(ctx, "search_index", make)


def _row(hit: dict[str, Any], addr: Any) -> dict[str, Any]:
    e: Entry = hit["entry"]
    row: dict[str, Any] = {"id": e.item, "href": addr.api(e.item), "resource": e.resource, "label": e.label,
                           "score": hit["score"], "field": e.field, "matched": e.text}
    row["entityType" if e.resource == "entity" else "kind"] = e.detail
    if e.resource == "entity":
        row["registerId"] = addr.short(e.item)
    else:
        row["claimId"] = addr.short(e.item)
    return row


@router.get("/search", summary="Ranked, typo-tolerant search over entity labels, aliases and claim text")
async def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="What to look for; typos are tolerated.")],
    resource: Annotated[Literal["entity", "claim"] | None,
                        Query(description="Only entities or only claims.")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, Query(description="json (default), jsonld or csv; or use Accept.")] = None,
) -> Response:
    filters = {"q": q, "resource": resource}
    check_known(request, filters)
    if not q.strip():
        raise ApiError(422, "invalid_parameter", "q: must contain something to search for", parameter="q")
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    offset = decode_cursor(cursor, filters) or 0
    if not isinstance(offset, int) or offset < 0:
        raise ApiError(400, "bad_cursor", "cursor does not belong to this list", parameter="cursor")
    index = await asyncio.to_thread(_index, ctx)
    hits = await asyncio.to_thread(index.search, q, resource)
    page = hits[offset:offset + size]
    nxt = encode_cursor(offset + size, filters) if offset + size < len(hits) else None
    addr = addresses(ctx)
    return list_response(request, [_row(h, addr) for h in page], fmt, size, nxt,
                         truncated=len(hits) >= MAX_HITS, total=len(hits))
