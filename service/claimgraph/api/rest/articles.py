"""/api/articles and their sentences (with the mentions and claims in each)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import pyoxigraph as ox
from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError
from . import records
from .common import (ITEM_PATTERN, SLUG_PATTERN, CachedRoute, addresses, context, entity_filter, keyset_page,
                     nested, require, unique_by_id)
from .entities import Cursor, Format, ItemFormat, Limit
from .envelope import check_known, choose_format, item_response, list_response, page_size
from .queries import (ARTICLE_COUNTS, ARTICLES_PAGE, CLAIMS_IN_SENTENCE, MENTIONS_IN_SENTENCE, NESTED_LIMIT,
                      SENTENCES_MENTIONING_PAGE, SENTENCES_PAGE)
from .views import CG, NIF, load_views, py

router = APIRouter(prefix="/api", tags=["REST lookups"], route_class=CachedRoute)

Role = Literal["actor", "target", "partner", "subject", "source", "location", "other"]
ROLE_IRI = {word: iri for iri, word in records.ROLES.items()}
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=80, description="The article's slug.")]
ITEM_FORMAT = Query(description="json (default) or jsonld; or use Accept.")
LIST_FORMAT = Query(description="json (default), jsonld or csv; or use Accept.")


@router.get("/articles", summary="List articles")
async def list_articles(
    request: Request,
    publisher: Annotated[str | None, Query(pattern=SLUG_PATTERN, max_length=80,
                                           description="Only articles of this publisher (register id).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, LIST_FORMAT] = None,
) -> Response:
    filters = {"publisher": publisher}
    check_known(request, filters)
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    subs = {"publisher": await entity_filter(ctx, "publisher", publisher)}
    iris, nxt = await keyset_page(ctx, ARTICLES_PAGE, subs, filters, cursor, size)
    addr = addresses(ctx)
    rows = [records.article_row(v, addr) for v in await asyncio.to_thread(load_views, ctx.engine, iris)]
    return list_response(request, rows, fmt, size, nxt)


def _article_item(ctx: Any, iri: str) -> dict[str, Any] | None:
    engine, addr = ctx.engine, addresses(ctx)
    v = load_views(engine, [iri])[0]
    if str(CG.Article) not in v.types():
        return None
    item = records.article_row(v, addr)
    text = v.one(str(CG.text))
    if text is not None:
        t = load_views(engine, [text.value])[0]
        item["content"] = {"id": text.value, "string": t.value(str(NIF.isString)), "sha256": t.value(str(CG.sha256))}
    node = {"article": ox.NamedNode(iri)}
    item["counts"] = {name: (py(rows[0]["n"]) if rows else 0)
                      for name, sparql in ARTICLE_COUNTS.items()
                      for rows in [engine.run_trusted(sparql, node)]}
    slug = addr.short(iri)
    item["more"] = {"sentences": f"/api/articles/{slug}/sentences", "claims": f"/api/claims?article={slug}",
                    "events": f"/api/events?article={slug}", "policies": f"/api/policies?article={slug}"}
    return item


@router.get("/articles/{slug}", summary="One article: metadata, full text, counts")
async def get_article(request: Request, slug: SlugPath,
                      format: Annotated[ItemFormat | None, ITEM_FORMAT] = None) -> Response:
    check_known(request, set())
    ctx = context(request)
    fmt = choose_format(request, format, tabular=False)
    item = await asyncio.to_thread(_article_item, ctx, ctx.mint.article(slug))
    if item is None:
        raise ApiError(404, "not_found", f"there is no article {slug!r} (see /api/articles)", parameter="slug")
    return item_response(request, item, fmt)


def _mentions(engine: Any, addr: Any, sentence: str) -> tuple[list[dict[str, Any]], bool]:
    rows, cut = nested(engine.run_trusted(MENTIONS_IN_SENTENCE, {"sentence": ox.NamedNode(sentence)}), NESTED_LIMIT)
    return unique_by_id(records.mention_row(r, addr) for r in rows), cut


def _sentence_rows(ctx: Any, iris: list[str], with_claims: bool) -> list[dict[str, Any]]:
    engine, addr = ctx.engine, addresses(ctx)
    out = []
    for v in load_views(engine, iris):
        row = records.sentence_row(v, addr)
        row["mentions"], cut = _mentions(engine, addr, v.iri)
        claims = [r["claim"].value for r in engine.run_trusted(CLAIMS_IN_SENTENCE, {"sentence": ox.NamedNode(v.iri)})]
        if with_claims:
            row["claimsInSentence"] = [records.claim_row(c, addr) for c in load_views(engine, claims[:NESTED_LIMIT])]
        else:
            row["claimsInSentence"] = [{"id": c, "claimId": addr.short(c), "href": addr.api(c)} for c in claims]
        if cut:
            row["truncated"] = {"mentions": True}
        out.append(row)
    return out


@router.get("/articles/{slug}/sentences", summary="An article's sentences in order, with their mentions")
async def list_sentences(
    request: Request,
    slug: SlugPath,
    mentions: Annotated[str | None, Query(pattern=SLUG_PATTERN, max_length=80,
                                          description="Only sentences that mention this entity (register id).")] = None,
    role: Annotated[Role | None, Query(description="Only sentences with a mention in this role "
                                                   "(of the `mentions` entity, if given).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, LIST_FORMAT] = None,
) -> Response:
    filters = {"slug": slug, "mentions": mentions, "role": role}
    check_known(request, {"mentions", "role"})
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    article = await require(ctx, ctx.mint.article(slug), "slug", "article", slug, "/api/articles")
    subs = {"article": article, "mentions": await entity_filter(ctx, "mentions", mentions),
            "role": ox.NamedNode(ROLE_IRI[role]) if role else None}
    page_query = SENTENCES_MENTIONING_PAGE if (mentions or role) else SENTENCES_PAGE
    iris, nxt = await keyset_page(ctx, page_query, subs, filters, cursor, size)
    rows = await asyncio.to_thread(_sentence_rows, ctx, iris, False)
    return list_response(request, rows, fmt, size, nxt)


@router.get("/articles/{slug}/sentences/{sentence}", summary="One sentence with its mentions and claims")
async def get_sentence(
    request: Request,
    slug: SlugPath,
    sentence: Annotated[str, Path(pattern=ITEM_PATTERN, max_length=80, description="The sentence id, e.g. s4.")],
    format: Annotated[ItemFormat | None, ITEM_FORMAT] = None,
) -> Response:
    check_known(request, set())
    ctx = context(request)
    fmt = choose_format(request, format, tabular=False)
    iri = ctx.mint.sentence(slug, sentence)
    rows = await asyncio.to_thread(_sentence_rows, ctx, [iri], True)
    if not rows or "position" not in rows[0]:
        raise ApiError(404, "not_found", f"article {slug!r} has no sentence {sentence!r} "
                       f"(see /api/articles/{slug}/sentences)", parameter="sentence")
    return item_response(request, rows[0], fmt)
