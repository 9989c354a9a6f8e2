"""/api/claims: who claims what, filtered by claimant, subject, topic, kind, stance, hedging, attribution."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import pyoxigraph as ox
from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from ...store.entity_lists import EntityLists
from ..errors import ApiError
from . import records
from .common import (ITEM_PATTERN, SLUG_PATTERN, CachedRoute, _limit_of, addresses, article_filter, context,
                     entity_filter, keyset_page, views)
from .entities import Cursor, Format, ItemFormat, Limit
from .envelope import check_known, choose_format, decode_cursor, encode_cursor, item_response, list_response, page_size
from .queries import ARTICLES_AFTER, PAGE_LIMIT, claims_page
from .version_files import entity_lists
from .views import CG

router = APIRouter(prefix="/api", tags=["REST lookups"], route_class=CachedRoute)

Kind = Literal["factual", "causal", "evaluative", "predictive", "normative"]
Stance = Literal["favourable", "critical", "neutral", "mixed"]
Attribution = Literal["own-voice", "reported"]
STANCE_IRI = {word: iri for iri, word in records.STANCES.items()}
ATTRIBUTION_IRI = {word: iri for iri, word in records.ATTRIBUTIONS.items()}


def _id(description: str) -> Any:
    return Query(pattern=SLUG_PATTERN, max_length=80, description=description)


async def article_walk(ctx: Any, filters: dict[str, Any], cursor: str | None,
                       size: int) -> tuple[list[str], str | None]:
    """One page of every claim, in the same key order (and with the same cursors) as the filtered
    lists, read article by article: see ARTICLES_AFTER."""
    after = decode_cursor(cursor, filters)
    if after is not None and (not isinstance(after, str) or "\t" not in after):
        raise ApiError(400, "bad_cursor", "cursor does not belong to this list", parameter="cursor")
    one_article = claims_page(frozenset({"article"}))
    items: list[tuple[str, str]] = []
    seen: set[str] = set()

    def take(rows: Any) -> None:
        for r in rows:
            if r["item"].value not in seen:  # the union of named graphs can repeat a solution
                seen.add(r["item"].value)
                items.append((r["item"].value, r["key"].value))

    last_article = None
    if after is not None:
        last_article = after.split("\t", 1)[0]
        take(await ctx.engine.trusted(one_article, {"article": ox.NamedNode(last_article),
                                                    "after": ox.Literal(after)}))
    more_articles = True
    while len(items) <= size:
        subs = {"after": ox.Literal(last_article)} if last_article is not None else {}
        batch = [r["article"].value for r in await ctx.engine.trusted(ARTICLES_AFTER, subs)]
        more_articles = len(batch) == _limit_of(ARTICLES_AFTER)
        for n, article in enumerate(batch, 1):
            take(await ctx.engine.trusted(one_article, {"article": ox.NamedNode(article)}))
            last_article = article
            if len(items) > size:
                more_articles = more_articles or n < len(batch)
                break
        if not more_articles:
            break
    page = items[:size]
    more = len(items) > size or more_articles
    return [iri for iri, _k in page], (encode_cursor(page[-1][1], filters) if more and page else None)


def subject_walk(lists: EntityLists, subject: str, filters: dict[str, Any], cursor: str | None,
                 size: int) -> tuple[list[str], str | None] | None:
    """One page of the claims about `subject` from the build's tables (store/entity_lists.py): the
    same items, keys and cursors as claims_page({"subject"}), which sorts every claim about the
    subject per page (a hub has one in most articles). None for a cursor this walk cannot place
    (the query then answers it, comparing keys as strings)."""
    after = decode_cursor(cursor, filters)
    position = None
    if after is not None:
        if not isinstance(after, str):
            raise ApiError(400, "bad_cursor", "cursor does not belong to this list", parameter="cursor")
        parts = after.split("\t")
        if len(parts) != 3 or len(parts[1]) != 10 or not parts[1].isdigit():
            return None
        position = (parts[0], int(parts[1]), parts[2])
    rows = lists.claims_after(subject, position, PAGE_LIMIT)
    items: dict[str, str] = {}
    for claim, article, begin in rows:
        if not isinstance(begin, int) or not 0 <= begin < 10 ** 10:
            return None  # an offset the query's zero-padding would not sort as a number
        items.setdefault(claim, f"{article}\t{begin:010d}\t{claim}")  # the query's ?key
    page = list(items.items())[:size]
    more = len(items) > size or len(rows) >= PAGE_LIMIT
    return [iri for iri, _k in page], (encode_cursor(page[-1][1], filters) if more and page else None)


async def about_page(ctx: Any, subject: ox.NamedNode, filters: dict[str, Any], cursor: str | None,
                     size: int) -> tuple[list[str], str | None]:
    """A page of the claims about `subject` alone: from the build's table when the live version has
    one (subject_walk), else the keyset query; the same items and cursors either way."""
    lists = entity_lists(ctx)
    walked = None if lists is None else await asyncio.to_thread(
        subject_walk, lists, subject.value, filters, cursor, size)
    if walked is not None:
        return walked
    return await keyset_page(ctx, claims_page(frozenset({"subject"})), {"subject": subject}, filters, cursor, size)


@router.get("/claims", summary="List claims, filtered")
async def list_claims(
    request: Request,
    claimant: Annotated[str | None, _id("Register id of whoever makes the claim (own-voice claims: "
                                        "use attribution=own-voice).")] = None,
    subject: Annotated[str | None, _id("Register id of something the claim is about (cg:about).")] = None,
    topic: Annotated[str | None, _id("Register id of a topic the claim bears on (cg:topic).")] = None,
    kind: Annotated[Kind | None, Query(description="The kind of claim.")] = None,
    stance: Annotated[Stance | None, Query(description="The claim's stance toward its stance target.")] = None,
    hedged: Annotated[bool | None, Query(description="true: only hedged claims; false: only unhedged ones.")] = None,
    attribution: Annotated[Attribution | None, Query(description="own-voice or reported.")] = None,
    article: Annotated[str | None, _id("Only claims of this article (its slug).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, Query(description="json (default), jsonld or csv; or use Accept.")] = None,
) -> Response:
    filters = {"claimant": claimant, "subject": subject, "topic": topic, "kind": kind, "stance": stance,
               "hedged": hedged, "attribution": attribution, "article": article}
    check_known(request, filters)
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    subs = {
        "claimant": await entity_filter(ctx, "claimant", claimant),
        "subject": await entity_filter(ctx, "subject", subject),
        "topic": await entity_filter(ctx, "topic", topic),
        "article": await article_filter(ctx, "article", article),
        "kind": ox.Literal(kind) if kind else None,
        "stance": ox.NamedNode(STANCE_IRI[stance]) if stance else None,
        "attribution": ox.NamedNode(ATTRIBUTION_IRI[attribution]) if attribution else None,
        "hedged": ox.Literal(hedged) if hedged is not None else None,
    }
    given = frozenset(k for k, v in subs.items() if v is not None)
    if given == {"subject"}:
        iris, nxt = await about_page(ctx, subs["subject"], filters, cursor, size)
    elif given:
        iris, nxt = await keyset_page(ctx, claims_page(given), subs, filters, cursor, size)
    else:
        iris, nxt = await article_walk(ctx, filters, cursor, size)
    addr = addresses(ctx)
    rows = [records.claim_row(v, addr) for v in await views(ctx, iris)]
    return list_response(request, rows, fmt, size, nxt)


@router.get("/claims/{article}/{claim}", summary="One claim: quote in its sentence, claimant, stance, hedging")
async def get_claim(
    request: Request,
    article: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=80, description="The article's slug.")],
    claim: Annotated[str, Path(pattern=ITEM_PATTERN, max_length=80, description="The claim's id, e.g. c4.")],
    format: Annotated[ItemFormat | None, Query(description="json (default) or jsonld; or use Accept.")] = None,
) -> Response:
    check_known(request, set())
    ctx = context(request)
    fmt = choose_format(request, format, tabular=False)
    v = (await views(ctx, [ctx.mint.claim(article, claim)]))[0]
    if str(CG.Claim) not in v.types():
        raise ApiError(404, "not_found", f"article {article!r} has no claim {claim!r} "
                       f"(see /api/claims?article={article})", parameter="claim")
    item = records.claim_row(v, addresses(ctx))
    sentence, quote = item.get("sentence") or {}, item.get("quote") or {}
    if "begin" in sentence and "begin" in quote:
        # Offsets of the quote (and hedge) inside the sentence's text, ready for highlighting.
        item["quoteInSentence"] = {"begin": quote["begin"] - sentence["begin"], "end": quote["end"] - sentence["begin"]}
        if item.get("hedge"):
            h = item["hedge"]
            item["hedgeInSentence"] = {"begin": h["begin"] - sentence["begin"], "end": h["end"] - sentence["begin"]}
    return item_response(request, item, fmt)
