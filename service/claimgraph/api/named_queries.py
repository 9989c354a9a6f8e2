"""Named queries as REST endpoints: /api/queries/<name>, one typed OpenAPI operation per queries/*.rq.

Each declared parameter becomes a typed query parameter (enum, integer range,
id pattern, length) that FastAPI checks first; the named/ package then turns
the value into one RDF term bound with pyoxigraph substitutions. The SPARQL
text is read once at start-up and never changes per request.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..named import NamedQuery, ParamError, load_queries
from ..named.params import Param
from .context import AppContext
from .errors import ApiError
from .rest.common import CachedRoute, addresses, exists
from .rest.envelope import check_known, choose_format, decode_cursor, encode_cursor, list_response, page_size
from .rest.views import py

TAG = "Named queries"


def _annotation(p: Param) -> Any:
    """The Python type FastAPI validates (and documents in OpenAPI) for one declared parameter."""
    common: dict[str, Any] = {"alias": p.name, "description": p.description or None}
    if p.example is not None:
        common["examples"] = [p.example]
    base: Any
    if p.type == "integer":
        base, query = int, Query(ge=p.minimum, le=p.maximum, **common)
    elif p.type == "boolean":
        base, query = bool, Query(**common)
    elif p.type == "enum":
        base, query = Literal[tuple(p.values)], Query(**common)  # type: ignore[misc]
    else:
        schema = p.schema()
        base = str
        query = Query(pattern=schema.get("pattern"), max_length=schema.get("maxLength", p.max_length), **common)
    return Annotated[base if p.required else base | None, query]


async def _check_refs(ctx: AppContext, q: NamedQuery, bindings: dict[str, Any], raw: dict[str, Any]) -> None:
    """A parameter naming an entity, article or claim that does not exist is a 404, not an empty answer."""
    for p in q.params:
        term = bindings.get(p.name)
        if p.type in ("entity", "article", "claim") and term is not None and not await exists(ctx, term.value):
            where = {"entity": "/api/entities", "article": "/api/articles", "claim": "/api/claims"}[p.type]
            shown = raw.get(p.name) if raw.get(p.name) is not None else p.default
            raise ApiError(404, "not_found", f"{p.name}: there is no {p.type} {str(shown)!r} (see {where})",
                           parameter=p.name)


def _rows(q: NamedQuery, solutions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = q.columns or (list(solutions[0]) if solutions else [])
    return [{c: py(s.get(c)) for c in columns} for s in solutions]


def _endpoint(q: NamedQuery) -> Any:
    async def run_named_query(request: Request, **kwargs: Any) -> Response:
        ctx: AppContext = request.app.state.ctx
        check_known(request, [p.name for p in q.params])
        fmt = choose_format(request, kwargs.get("format"), tabular=True, linked=False)
        size = page_size(kwargs.get("limit"))
        raw = {p.name: kwargs.get(f"p_{p.name}") for p in q.params}
        try:
            bindings = q.bindings(raw, ctx.mint)
        except ParamError as exc:
            raise ApiError(exc.status, exc.code, exc.message, parameter=exc.parameter) from None
        await _check_refs(ctx, q, bindings, raw)
        filters = {k: str(v) for k, v in bindings.items()}
        offset = decode_cursor(kwargs.get("cursor"), filters) or 0
        if not isinstance(offset, int) or offset < 0:
            raise ApiError(400, "bad_cursor", "cursor does not belong to this query", parameter="cursor")
        rows = await _cached_rows(ctx, q, bindings)
        page = rows[offset:offset + size]
        nxt = encode_cursor(offset + size, filters) if offset + size < len(rows) else None
        return list_response(request, page, fmt, size, nxt, truncated=len(rows) >= q.limit,
                             columns=list(q.columns), query=q.name, bindings=filters)

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    for p in q.params:
        default = inspect.Parameter.empty if p.required else p.default
        # Internal names are prefixed: a parameter may be called `from`, a Python keyword.
        params.append(inspect.Parameter(f"p_{p.name}", inspect.Parameter.KEYWORD_ONLY, default=default,
                                        annotation=_annotation(p)))
    params += [
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
            int | None, Query(ge=1, description="Rows per page (default 50; values above 500 are capped).")]),
        inspect.Parameter("cursor", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
            str | None, Query(max_length=4096, description="Opaque cursor: the `next` of the previous page.")]),
        inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
            Literal["json", "csv"] | None, Query(description="json (default) or csv; or use Accept.")]),
    ]
    run_named_query.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run_named_query.__name__ = "named_" + q.name.replace("-", "_")
    return run_named_query


async def _cached_rows(ctx: AppContext, q: NamedQuery, bindings: dict[str, Any]) -> list[dict[str, Any]]:
    """The whole (bounded) answer, cached per store version so paging does not re-run the query."""
    key = ("named", q.name, tuple(sorted((k, str(v)) for k, v in bindings.items())),
           str(ctx.engine.locator.current()), ctx.engine.generation)
    hit = ctx.engine.cache.get(key)
    if hit is not None:
        return hit
    rows = _rows(q, await ctx.engine.trusted(q.sparql, bindings))
    ctx.engine.cache.put(key, rows, 200 * max(1, len(rows)))
    return rows


def describe(q: NamedQuery, ctx: AppContext) -> dict[str, Any]:
    example_query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in q.example.items()}
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "tags": list(q.tags),
        "endpoint": f"/api/queries/{q.name}",
        "params": [p.describe() for p in q.params],
        "columns": list(q.columns),
        "limit": q.limit,
        "example": q.example,
        "example_url": f"/api/queries/{q.name}" + (f"?{urlencode(example_query)}" if example_query else ""),
        "sparql_url": f"/api/queries/{q.name}.rq",
        "sparql": q.sparql,
        "example_sparql": q.example_sparql(ctx.mint),
    }


def build_router(app: FastAPI) -> APIRouter:
    """One route per queries/*.rq of this deployment (the folder and base IRI come from its settings)."""
    ctx: AppContext = app.state.ctx
    queries = load_queries(ctx.settings.queries_dir, ctx.mint)
    ctx.extras["named_queries"] = queries
    router = APIRouter(route_class=CachedRoute)

    async def list_queries(request: Request) -> JSONResponse:
        check_known(request, ())
        rows = [describe(q, ctx) for q in queries.values()]
        return JSONResponse({"ok": True, "count": len(rows), "rows": rows})

    async def query_text(request: Request, name: str) -> Response:
        q = queries.get(name)
        if q is None:
            raise ApiError(404, "not_found", f"there is no named query {name!r} (see /api/queries)", parameter="name")
        return Response(q.sparql, media_type="application/sparql-query; charset=utf-8")

    pages = ctx.html(addresses(ctx))

    async def queries_page(request: Request) -> Response:
        return pages.render("queries.html", title="Named queries", queries=[describe(q, ctx) for q in queries.values()])

    router.add_api_route("/queries", queries_page, methods=["GET"], include_in_schema=False)
    router.add_api_route("/api/queries", list_queries, methods=["GET"], tags=[TAG],
                         summary="Every named query with its parameters, an example and its SPARQL")
    router.add_api_route("/api/queries/{name}.rq", query_text, methods=["GET"], tags=[TAG],
                         summary="The SPARQL text of a named query")
    for q in queries.values():
        params_doc = "\n".join(f"- `{p.name}` ({p.type}{', required' if p.required else ''}): {p.description}"
                               for p in q.params)
        router.add_api_route(f"/api/queries/{q.name}", _endpoint(q), methods=["GET"], tags=[TAG],
                             summary=q.title, operation_id=f"named_query_{q.name.replace('-', '_')}",
                             description=f"{q.description}\n\nParameters:\n{params_doc}\n\n"
                                         f"SPARQL: /api/queries/{q.name}.rq" if q.params else q.description)
    return router


__all__ = ["build_router", "describe"]
