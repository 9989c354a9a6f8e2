"""HTTP handlers of the reconciliation service (W3C Reconciliation Service API).

/reconcile            0.2 root (0.1-compatible): manifest, `queries`, `query`, `extend`
/reconcile/suggest/…  entity | type | property auto-complete (shared by 0.2 and 1.0-draft)
/reconcile/flyout/entity, /reconcile/preview, /reconcile/extend/propose
/reconcile/v1         1.0-draft root: manifest; /match, /extend (JSON bodies), and the same
                      suggest, preview and propose routes under /reconcile/v1/…
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..context import AppContext
from ..errors import ApiError
from ..protocol import read_body
from ..rest.common import addresses
from ..routing import add_route
from . import protocol as wire
from .index import Entry, Index, IndexCache
from .manifest import manifest_v02, manifest_v1, type_object
from .matching import Candidate, Query, rank
from .properties import BY_ID, PROPS, applies, as_suggestion, check, render
from .suggest import flyout_html, preview_html, suggest_entities, suggest_properties, suggest_types

JSONP_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,3}$")
SUGGEST_LIMIT = 10


def _ctx(request: Request) -> AppContext:
    return request.app.state.ctx


async def _index(request: Request) -> Index:
    ctx = _ctx(request)
    cache = ctx.extras.setdefault("reconcile.index", IndexCache())
    return await cache.get(ctx)


def _respond(body: Any, callback: str | None = None) -> Response:
    """JSON, or JSONP (0.1 clients) when a well-formed callback name is given."""
    if callback is None:
        return JSONResponse(body)
    if not JSONP_CALLBACK.match(callback):
        raise wire.bad("callback must be a JavaScript identifier such as jsonp123", "callback")
    text = json.dumps(body, ensure_ascii=False)
    return Response(f"/**/{callback}({text});", media_type="application/javascript; charset=utf-8",
                    headers={"X-Content-Type-Options": "nosniff"})


def candidate_json(c: Candidate) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.entry.id, "name": c.entry.name, "type": [type_object(c.entry.type)],
                           "score": c.score, "match": c.match, "features": c.features()}
    if c.entry.description:
        out["description"] = c.entry.description
    return out


def _run(index: Index, q: Query) -> list[dict[str, Any]]:
    return [candidate_json(c) for c in rank(index, q, check(index))]


def _meta(pids: list[tuple[str, int]]) -> list[dict[str, Any]]:
    meta = []
    for pid, _limit in pids:
        item: dict[str, Any] = {"id": pid, "name": BY_ID[pid].name}
        if pid == "broader":  # the one entity-valued property whose values have a single type
            item["type"] = type_object("Concept")
        meta.append(item)
    return meta


# -- 0.2 / 0.1 ---------------------------------------------------------------------------

async def service(request: Request) -> Response:
    """The 0.2 root: no parameters -> manifest; `queries` batch; 0.1 `query`; `extend`."""
    ctx = _ctx(request)
    p = await wire.params(request, ctx.settings.max_body_bytes)
    callback = p.get("callback")
    if "queries" in p:
        index = await _index(request)
        batch = wire.batch_v02(p["queries"])
        return _respond({key: {"result": _run(index, q)} for key, q in batch.items()}, callback)
    if "extend" in p:
        index = await _index(request)
        ids, pids = wire.extend_request(wire.load_json(p["extend"], "extend"), "extend")
        rows: dict[str, Any] = {}
        for ref, entry in ((i, index.resolve(i)) for i in ids):
            rows[ref] = {pid: (render(BY_ID[pid], entry, index, lim) if entry else []) for pid, lim in pids}
        return _respond({"meta": _meta(pids), "rows": rows}, callback)
    if "query" in p:
        index = await _index(request)
        return _respond({"result": _run(index, wire.single_v01(p["query"]))}, callback)
    return _respond(manifest_v02(ctx.public_url(request), ctx.mint), callback)


def _paging(p: dict[str, str], default_limit: int = SUGGEST_LIMIT) -> tuple[int, int]:
    raw_offset = p.get("offset", p.get("cursor", "0")) or "0"
    which = "offset" if "offset" in p else "cursor"
    if not raw_offset.isdigit():
        raise wire.bad(f"{which} must be a non-negative integer, got {raw_offset!r}", which)
    limit = wire.limit_of(p.get("limit") or None, "limit", default_limit)
    return int(raw_offset), limit


async def suggest(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in ("entity", "type", "property"):
        raise ApiError(404, "not_found", f"no suggest service for {kind!r}; use entity, type or property")
    p = await wire.params(request, 4096)
    prefix = p.get("prefix", "")
    if len(prefix) > wire.MAX_TEXT:
        raise wire.bad(f"prefix is longer than {wire.MAX_TEXT} characters", "prefix")
    offset, limit = _paging(p)
    type_id = wire.type_id(p["type"], "type") if p.get("type") else None
    if kind == "entity":
        result = suggest_entities(await _index(request), prefix, type_id, offset, limit)
    elif kind == "type":
        result = suggest_types(prefix, offset, limit)
    else:
        result = suggest_properties(prefix, type_id, offset, limit)
    return _respond({"result": result}, p.get("callback"))


async def _entry(request: Request, p: dict[str, str]) -> Entry:
    ref = p.get("id")
    if not ref:
        raise wire.bad("id is required: an entity id such as \"russia\"", "id", "missing_parameter")
    entry = (await _index(request)).resolve(ref)
    if entry is None:
        raise ApiError(404, "unknown_entity", f"no entity with id {ref!r}", parameter="id")
    return entry


async def flyout(request: Request) -> Response:
    p = await wire.params(request, 4096)
    entry = await _entry(request, p)
    return _respond({"id": p["id"], "html": flyout_html(entry)}, p.get("callback"))


async def preview(request: Request) -> Response:
    p = await wire.params(request, 4096)
    entry = await _entry(request, p)
    ctx = _ctx(request)
    return HTMLResponse(preview_html(entry, ctx.public_url(request) + (addresses(ctx).local(entry.iri) or "")))


async def propose(request: Request) -> Response:
    p = await wire.params(request, 4096)
    type_id = wire.type_id(p["type"], "type") if p.get("type") else None
    limit = wire.limit_of(p.get("limit") or None, "limit", len(PROPS))
    props = [as_suggestion(prop) for prop in PROPS if applies(prop, type_id)][:limit]
    body: dict[str, Any] = {"properties": props}
    if type_id is not None:
        body["type"] = p["type"]
    if p.get("limit"):
        body["limit"] = limit
    return _respond(body, p.get("callback"))


# -- 1.0-draft -------------------------------------------------------------------------------

async def _json_body(request: Request) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "unsupported_media_type", f"send a JSON body (application/json), not {media or 'nothing'}",
                       parameter="Content-Type")
    raw = await read_body(request, _ctx(request).settings.max_body_bytes)
    return wire.load_json(raw, "body")


async def manifest_1(request: Request) -> Response:
    ctx = _ctx(request)
    return JSONResponse(manifest_v1(ctx.public_url(request), ctx.mint))


async def match_1(request: Request) -> Response:
    doc = await _json_body(request)
    queries = wire.batch_v1(doc)
    index = await _index(request)
    return JSONResponse({"results": [{"candidates": _run(index, q)} for q in queries]})


async def extend_1(request: Request) -> Response:
    doc = await _json_body(request)
    ids, pids = wire.extend_request(doc, "body")
    index = await _index(request)
    rows = []
    for ref, entry in ((i, index.resolve(i)) for i in ids):
        rows.append({"id": ref, "properties": [
            {"id": pid, "values": render(BY_ID[pid], entry, index, lim) if entry else []} for pid, lim in pids]})
    return JSONResponse({"meta": _meta(pids), "rows": rows})


router = APIRouter()
for _path, _methods, _handler, _name in (
    ("/reconcile", ["GET", "POST"], service, "reconcile"),
    ("/reconcile/suggest/{kind}", ["GET"], suggest, "reconcile_suggest"),
    ("/reconcile/flyout/entity", ["GET"], flyout, "reconcile_flyout"),
    ("/reconcile/preview", ["GET"], preview, "reconcile_preview"),
    ("/reconcile/extend/propose", ["GET"], propose, "reconcile_propose"),
    ("/reconcile/v1", ["GET"], manifest_1, "reconcile_v1"),
    ("/reconcile/v1/match", ["POST"], match_1, "reconcile_v1_match"),
    ("/reconcile/v1/suggest/{kind}", ["GET"], suggest, "reconcile_v1_suggest"),
    ("/reconcile/v1/preview", ["GET"], preview, "reconcile_v1_preview"),
    ("/reconcile/v1/extend", ["POST"], extend_1, "reconcile_v1_extend"),
    ("/reconcile/v1/extend/propose", ["GET"], propose, "reconcile_v1_propose"),
):
    add_route(router, _path, _handler, _methods, _name, tags=["reconciliation"])
