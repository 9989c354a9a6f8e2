"""/api/entities: the register (states, organisations, people, policies, concepts, ...)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import pyoxigraph as ox
from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from . import records
from .common import (CachedRoute, SLUG_PATTERN, addresses, context, keyset_page, nested, unique_by_id,
                     unknown_entity, views)
from .envelope import check_known, choose_format, item_response, list_response, page_size
from .queries import (CLAIMS_ABOUT_ENTITY, ENTITIES_PAGE, MENTIONS_OF_ENTITY, NESTED_LIMIT, REFERENCES_TO,
                      STATEMENTS_ABOUT)
from .version_files import entity_lists
from .views import CG, load_views, py

router = APIRouter(prefix="/api", tags=["REST lookups"], route_class=CachedRoute)

EntityType = Literal["State", "Organization", "Person", "MediaOutlet", "Place", "Group", "Policy", "Event", "Concept"]
Limit = Annotated[int | None, Query(ge=1, description="Page size (default 50; values above 500 are capped to 500).")]
Cursor = Annotated[str | None, Query(max_length=4096, description="Opaque cursor: the `next` of the previous page.")]
Format = Literal["json", "jsonld", "csv"]
ItemFormat = Literal["json", "jsonld"]


@router.get("/entities", summary="List entities, optionally of one type")
async def list_entities(
    request: Request,
    type: Annotated[EntityType | None, Query(description="Only entities of this register type.")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: Annotated[Format | None, Query(description="json (default), jsonld or csv; or use Accept.")] = None,
) -> Response:
    check_known(request, {"type"})
    ctx = context(request)
    fmt = choose_format(request, format, tabular=True)
    size = page_size(limit)
    filters = {"type": type}
    iris, nxt = await keyset_page(ctx, ENTITIES_PAGE, {"type": ox.Literal(type) if type else None}, filters,
                                  cursor, size)
    addr = addresses(ctx)
    rows = [records.entity_row(v, addr) for v in await views(ctx, iris)]
    return list_response(request, rows, fmt, size, nxt)


def _brief_claim(r: dict[str, Any], addr: Any) -> dict[str, Any]:
    claim = py(r["claim"])
    return {"id": claim, "claimId": addr.short(claim), "href": addr.api(claim),
            "quote": {"text": py(r["quote"])}, "kind": py(r["kind"]),
            "stance": records.STANCES.get(py(r["stance"])), "attribution": records.ATTRIBUTIONS.get(py(r["attribution"])),
            "claimant": {"id": py(r["claimant"]), "label": py(r["claimantLabel"])},
            "article": {"id": py(r["article"]), "href": addr.api(py(r["article"]))}}


def in_order(rows: list[dict[str, Any]], item: str) -> list[dict[str, Any]]:
    """Rows by article, then position in the text (the queries leave sorting to us: see queries.py)."""
    return sorted(rows, key=lambda r: (r["article"].value, int(r["begin"].value), r[item].value))


def entity_item(ctx: Any, iri: str) -> dict[str, Any] | None:
    """Everything /api/entities/{id} shows, read in one worker thread."""
    engine, addr = ctx.engine, addresses(ctx)
    view = load_views(engine, [iri])[0]
    if not view.exists or view.one(str(CG.registerId)) is None:
        return None
    item = records.entity_row(view, addr)
    node = {"entity": ox.NamedNode(iri)}
    lists = entity_lists(ctx)
    if lists is not None:  # the build's tables: the first rows in reading order, by one index range each
        found_m, found_c = lists.mentions(iri, NESTED_LIMIT + 1), lists.claims_about(iri, NESTED_LIMIT + 1)
    else:
        found_m = in_order(engine.run_trusted(MENTIONS_OF_ENTITY, node), "mention")
        found_c = in_order(engine.run_trusted(CLAIMS_ABOUT_ENTITY, node), "claim")
    mentions, cut_m = nested(found_m, NESTED_LIMIT)
    # Each mention's entity is this one: leave it out of the nested rows.
    item["mentionedAs"] = [{k: v for k, v in m.items() if k != "entity"}
                           for m in unique_by_id(records.mention_row(r, addr) for r in mentions)]
    claims, cut_c = nested(found_c, NESTED_LIMIT)
    item["claimsAbout"] = [_brief_claim(r, addr) for r in claims]
    statements = [r["statement"].value for r in engine.run_trusted(STATEMENTS_ABOUT, node)][:NESTED_LIMIT]
    item["statements"] = [records.statement_row(v, addr) for v in load_views(engine, statements)]
    refs = sorted(r["reference"].value for r in engine.run_trusted(REFERENCES_TO, node))[:NESTED_LIMIT]
    ref_rows = []
    for v in load_views(engine, refs):
        is_event = str(CG.EventReference) in v.types()
        ref_rows.append(records.event_row(v, addr) if is_event else records.policy_reference_row(v, addr))
    item["references"] = ref_rows
    item["truncated"] = {"mentionedAs": cut_m, "claimsAbout": cut_c}
    item["more"] = {"claims": f"/api/claims?subject={addr.short(iri)}"}
    return {k: v for k, v in item.items() if v != []}


@router.get("/entities/{entity_id}", summary="One entity with its mentions, the claims about it and its links")
async def get_entity(
    request: Request,
    entity_id: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=80, description="Register id, e.g. russia.")],
    format: Annotated[ItemFormat | None, Query(description="json (default) or jsonld; or use Accept.")] = None,
) -> Response:
    check_known(request, set())
    ctx = context(request)
    fmt = choose_format(request, format, tabular=False)
    item = await asyncio.to_thread(entity_item, ctx, ctx.mint.entity(entity_id))
    if item is None:
        raise await unknown_entity(ctx, entity_id, "entity_id")
    return item_response(request, item, fmt)
