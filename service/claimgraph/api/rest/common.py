"""What every REST handler shares: addresses, keyset pages, node views, existence checks."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

import pyoxigraph as ox
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from ...named.params import ITEM_ID, SLUG
from ...nearest import did_you_mean
from ..context import AppContext
from ..errors import ApiError
from .envelope import decode_cursor, encode_cursor
from .queries import EXISTS_NODE
from .views import Addresses, NodeView, load_views

SLUG_PATTERN = SLUG.pattern
ITEM_PATTERN = ITEM_ID.pattern


def context(request: Request) -> AppContext:
    return request.app.state.ctx


async def cached(request: Request, build: Callable[[], Awaitable[Response]]) -> Response:
    """A finished 200 answer, cached per exact request and store version (the engine's byte-bounded LRU,
    which every write or swap empties): repeated lookups skip their queries entirely."""
    ctx = context(request)
    engine = ctx.engine
    key = ("http", request.method, request.url.path, tuple(sorted(request.query_params.multi_items())),
           request.headers.get("accept", ""), request.headers.get("host", ""), ctx.settings.public_url,
           str(engine.locator.current()), engine.generation)
    hit = engine.cache.get(key)
    if hit is not None:
        body, headers = hit
        return Response(body, headers={**headers, "X-Cache": "hit"})
    response = await build()
    if response.status_code == 200 and isinstance(getattr(response, "body", None), bytes):
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        engine.cache.put(key, (response.body, headers), len(response.body) + 512)
        response.headers["X-Cache"] = "miss"
    return response


class CachedRoute(APIRoute):
    """A route whose 200 answers go through `cached` (use as APIRouter(route_class=CachedRoute))."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def cached_handler(request: Request) -> Response:
            return await cached(request, lambda: handler(request))

        return cached_handler


def addresses(ctx: AppContext) -> Addresses:
    addr = ctx.extras.get("addresses")
    if addr is None:
        path = urlsplit(ctx.mint.base).path or "/"
        addr = ctx.extras["addresses"] = Addresses(ctx.mint, path if path.endswith("/") else path + "/")
    return addr


async def keyset_page(ctx: AppContext, sparql: str, subs: dict[str, Any], filters: dict[str, Any],
                      cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    """IRIs of one page of a keyset list query, and the cursor of the next page (None on the last)."""
    after = decode_cursor(cursor, filters)
    bound = {k: v for k, v in subs.items() if v is not None}
    if after is not None:
        if not isinstance(after, str):
            raise ApiError(400, "bad_cursor", "cursor does not belong to this list", parameter="cursor")
        bound["after"] = ox.Literal(after)
    rows = await ctx.engine.trusted(sparql, bound)
    items: list[tuple[str, str]] = []
    seen: set[str] = set()
    for r in rows:
        iri = r["item"].value
        if iri not in seen:  # the union of named graphs can repeat a solution
            seen.add(iri)
            items.append((iri, r["key"].value))
    page = items[:limit]
    more = len(items) > limit or len(rows) >= _limit_of(sparql)
    next_cursor = encode_cursor(page[-1][1], filters) if more and page else None
    return [iri for iri, _k in page], next_cursor


def _limit_of(sparql: str) -> int:
    return int(sparql.rsplit("LIMIT", 1)[1].split()[0])


async def views(ctx: AppContext, iris: list[str]) -> list[NodeView]:
    if not iris:
        return []
    return await asyncio.to_thread(load_views, ctx.engine, iris)


async def view(ctx: AppContext, iri: str) -> NodeView:
    return (await views(ctx, [iri]))[0]


async def exists(ctx: AppContext, iri: str) -> bool:
    rows = await ctx.engine.trusted(EXISTS_NODE, {"node": ox.NamedNode(iri)})
    return bool(rows)


async def require(ctx: AppContext, iri: str, parameter: str, what: str, value: str, listing: str) -> ox.NamedNode:
    """The node for a filter or path id, or a 404 that names the parameter and where to find valid ids."""
    if not await exists(ctx, iri):
        raise ApiError(404, "not_found", f"{parameter}: there is no {what} {value!r} (see {listing})",
                       parameter=parameter)
    return ox.NamedNode(iri)


async def entity_filter(ctx: AppContext, parameter: str, value: str | None) -> ox.NamedNode | None:
    if value is None:
        return None
    iri = ctx.mint.entity(value)
    if not await exists(ctx, iri):
        raise await unknown_entity(ctx, value, parameter, prefix=f"{parameter}: ")
    return ox.NamedNode(iri)


NAMES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?id ?label ?alt WHERE { ?e cg:registerId ?id ; skos:prefLabel ?label OPTIONAL { ?e skos:altLabel ?alt } }"""


async def unknown_entity(ctx: AppContext, value: str, parameter: str, prefix: str = "") -> ApiError:
    """A 404 for an entity id no one registered, naming the nearest ids, labels and aliases
    ("no entity 'moscow'; did you mean russia (alias “Moscow”)?"). Only on this error path does
    it read every register name."""
    names: dict[str, tuple[str, set[str]]] = {}
    for r in await ctx.engine.trusted(NAMES):
        label, aliases = names.setdefault(r["id"].value, (r["label"].value, set()))
        if r["alt"] is not None:
            aliases.add(r["alt"].value)
    hint = did_you_mean(value, ((i, label, sorted(aliases)) for i, (label, aliases) in names.items()),
                        "see /api/entities for the ids")
    return ApiError(404, "not_found", f"{prefix}there is no entity {value!r}{hint}", parameter=parameter)


async def article_filter(ctx: AppContext, parameter: str, value: str | None) -> ox.NamedNode | None:
    if value is None:
        return None
    return await require(ctx, ctx.mint.article(value), parameter, "article", value, "/api/articles")


def unique_by_id(rows: Any) -> list[dict[str, Any]]:
    """Rows in order, each id once (the union of named graphs can repeat a solution)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        if row["id"] not in seen:
            seen.add(row["id"])
            out.append(row)
    return out


def nested(rows: list[Any], limit: int) -> tuple[list[Any], bool]:
    """A capped nested list and whether it was cut."""
    return rows[:limit], len(rows) > limit
