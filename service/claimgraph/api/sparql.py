"""/sparql: the SPARQL 1.1 Protocol endpoint (queries here; updates in writes.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..sparql.formats import GRAPH_FORMATS
from ..sparql.negotiate import choose, graph_offers
from .context import AppContext
from .description import serialize_graph, service_description
from .errors import ApiError
from .protocol import parse


async def sparql_endpoint(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    req = await parse(request, ctx.settings.max_body_bytes)
    if req.update is not None:
        return await ctx.writes.update(request, req)
    if req.query is None:
        return wants_editor(request) or await describe_service(request)
    answer = await ctx.engine.query(
        req.query,
        accept=request.headers.get("accept"),
        format_param=req.format,
        default_graph=req.default_graph,
        named_graphs=req.named_graphs,
        timeout=req.timeout,
    )
    headers = {"X-Cache": "hit" if answer.cached else "miss", "Vary": "Accept"}
    headers.update(answer.headers)
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers)


async def describe_service(request: Request) -> Response:
    ctx: AppContext = request.app.state.ctx
    fmt = choose(request.headers.get("accept"), graph_offers())
    if fmt is None:
        raise ApiError(406, "not_acceptable", "the service description is available as "
                       + ", ".join(mt for mt, _ in GRAPH_FORMATS.values()), parameter="Accept")
    counts = await ctx.engine.trusted_counts()
    g = service_description(f"{ctx.public_url(request)}/sparql", counts, ctx.mint.dataset, ctx.updates_enabled)
    return Response(serialize_graph(g, fmt), media_type=GRAPH_FORMATS[fmt][0], headers={"Vary": "Accept"})


def wants_editor(request: Request) -> Response | None:
    """A browser opening /sparql with no query gets the editor (a SPARQL client still gets the
    service description: it does not ask for HTML first)."""
    accept = request.headers.get("accept", "")
    first = accept.split(",")[0].split(";")[0].strip().lower()
    if request.method == "GET" and first == "text/html" and "query" not in request.query_params:
        return RedirectResponse("/editor", status_code=303)
    return None
