"""/api/events (in time order) and /api/policies (who applies them to whom, where articles invoke them)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from ...named.params import DATE
from . import records
from .common import CachedRoute, SLUG_PATTERN, addresses, article_filter, context, entity_filter, keyset_page
from .entities import Cursor, Format, Limit
from .envelope import check_known, choose_format, list_response, page_size
from .queries import EVENTS_PAGE, NESTED_LIMIT, POLICIES_PAGE, REFERENCES_TO
from .views import CG, load_views

router = APIRouter(prefix="/api", tags=["REST lookups"], route_class=CachedRoute)

FORMAT = Query(description="json (default), jsonld or csv; or use Accept.")


def _slug(description: str) -> Any:
    return Query(pattern=SLUG_PATTERN, max_length=80, description=description)


def _date(description: str, alias: str | None = None) -> Any:
    return Query(pattern=DATE.pattern, alias=alias, description=description)


@router.get("/events", summary="Events the articles invoke, in time order")
async def list_events(
    request: Request,
    article: Annotated[str | None, _slug("Only events this article invokes (its slug).")] = None,
    refers_to: Annotated[str | None, _slug("Only references to this register event or entity.")] = None,
    from_: Annotated[str | None, _date("Only events that end on or after this time (YYYY[-MM[-DD]]).", "from")] = None,
    to: Annotated[str | None, _date("Only events that start on or before this time (YYYY[-MM[-DD]]).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, FORMAT] = None,
) -> Response:
    filters = {"article": article, "refers_to": refers_to, "from": from_, "to": to}
    check_known(request, filters)
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    subs = {"article": await article_filter(ctx, "article", article),
            "refers_to": await entity_filter(ctx, "refers_to", refers_to),
            "from": ox.Literal(from_) if from_ else None, "to": ox.Literal(to) if to else None}
    iris, nxt = await keyset_page(ctx, EVENTS_PAGE, subs, filters, cursor, size)
    addr = addresses(ctx)
    rows = [records.event_row(v, addr) for v in await asyncio.to_thread(load_views, ctx.engine, iris)]
    return list_response(request, rows, fmt, size, nxt)


def _policy_rows(ctx: Any, iris: list[str]) -> list[dict[str, Any]]:
    engine, addr = ctx.engine, addresses(ctx)
    rows = []
    for v in load_views(engine, iris):
        row = records.entity_row(v, addr)
        refs = sorted(r["reference"].value for r in engine.run_trusted(REFERENCES_TO, {"entity": ox.NamedNode(v.iri)}))
        uses = [u for u in load_views(engine, refs[:NESTED_LIMIT]) if str(CG.PolicyReference) in u.types()]
        row["references"] = [records.policy_reference_row(u, addr) for u in uses]
        rows.append(row)
    return rows


@router.get("/policies", summary="Policies with who applies them, to whom, and where articles invoke them")
async def list_policies(
    request: Request,
    applied_by: Annotated[str | None, _slug("Only policies this actor applies (register id).")] = None,
    applied_to: Annotated[str | None, _slug("Only policies applied to this actor (register id).")] = None,
    article: Annotated[str | None, _slug("Only policies this article invokes (its slug).")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, FORMAT] = None,
) -> Response:
    filters = {"applied_by": applied_by, "applied_to": applied_to, "article": article}
    check_known(request, filters)
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    subs = {"applied_by": await entity_filter(ctx, "applied_by", applied_by),
            "applied_to": await entity_filter(ctx, "applied_to", applied_to),
            "article": await article_filter(ctx, "article", article)}
    iris, nxt = await keyset_page(ctx, POLICIES_PAGE, subs, filters, cursor, size)
    rows = await asyncio.to_thread(_policy_rows, ctx, iris)
    return list_response(request, rows, fmt, size, nxt)
