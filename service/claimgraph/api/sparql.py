"""/sparql: the SPARQL 1.1 Protocol endpoint (queries here; updates in writes.py).

One request, in stages a reader can follow: parse (protocol.py) -> the engine's gate, negotiate,
plan and execute (sparql/engine.py SparqlEngine.query) -> write (answer_response). The endpoint is
an ASGI app of its own, mounted in front of FastAPI's routing (api/app.py): the protocol's
parameters are read from the raw request, so FastAPI's routing, dependency solving and exception
middleware would add ~60 µs a query and nothing else. CORS and GZip still wrap it, and its errors
are answered by the app's own handlers (errors.respond).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..sparql.formats import GRAPH_FORMATS
from ..sparql.negotiate import choose, graph_offers
from .context import AppContext
from .description import serialize_graph, service_description
from .errors import ApiError, respond
from .protocol import parse

METHODS = ("GET", "HEAD", "POST")


class SparqlEndpoint:
    """The ASGI app answering /sparql."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = Request(scope, receive, send)
        try:
            if request.method not in METHODS:
                raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed on /sparql",
                               headers={"Allow": ", ".join(METHODS)})
            response = await sparql_endpoint(request)
        except Exception as exc:  # noqa: BLE001 - answered as every route's errors are
            response = await respond(request, exc)
        await response(scope, receive, send)


def answer_response(answer: Any) -> Response:
    """A query answer as HTTP: the one place the SPARQL answer headers are set (also for /store reads)."""
    headers = {"X-Cache": "hit" if answer.cached else "miss", "Vary": "Accept", **answer.headers}
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers)


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
    return answer_response(answer)


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
