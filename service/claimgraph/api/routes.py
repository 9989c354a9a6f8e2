"""Every HTTP route of claimgraph, in one table: the whole surface at a glance.

Each feature module owns its handlers; this table owns the paths.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from fastapi import APIRouter, FastAPI

from . import exports, reconcile
from . import graph_store, ops, sparql
from . import linked_data, named_queries, rest
from ..web import routes as web
from ..web.pages import Pages
from .openapi_doc import complete
from .routing import add_route

# Paths answered by an ASGI app of their own, in front of the routing (api/app.py mounts them):
# /sparql reads the protocol's parameters from the raw request; openapi_doc.py documents it.
MOUNTED: dict[str, Callable[..., Any]] = {"/sparql": sparql.SparqlEndpoint()}

# (path, methods, handler, name, include in OpenAPI)
ROUTES: list[tuple[str, list[str], Callable[..., Any], str, bool]] = [
    ("/store", ["GET", "HEAD", "PUT", "POST", "DELETE"], graph_store.graph_store, "graph_store", True),
    ("/store/{path:path}", ["GET", "HEAD", "PUT", "POST", "DELETE"], graph_store.graph_store, "graph_store_direct", True),
    ("/health", ["GET"], ops.health, "health", True),
    ("/metrics", ["GET"], ops.metrics, "metrics", True),
]

# Feature routers (REST, Linked Data, reconciliation, graph store) are mounted here.
ROUTERS: list[Any] = []
ROUTERS += [reconcile.router, exports.router]  # /reconcile… ; /dumps…, /exports…
# /api/… REST lookups; /api/queries/… named queries (built from queries/*.rq); Linked Data under the
# base IRI's path (/id/… by default), /ontology…, /context.jsonld.
ROUTERS += [rest.router, named_queries.build_router, linked_data.build_router]
# The web app (web/routes.py): /, /search, /read/…, /entity/…, /compare, /editor, /docs; /static.
ROUTERS += [web.build_router]


def mount(app: FastAPI) -> None:
    # The web app's renderer, for the HTML of Linked Data and named-query pages (api/ never imports web/).
    app.state.ctx.html = Pages
    for path, methods, handler, name, in_schema in ROUTES:
        add_route(app, path, handler, methods, name, include_in_schema=in_schema)
    for router in ROUTERS:
        # A factory (a function of the app) builds routes that depend on the deployment's settings.
        app.include_router(router if isinstance(router, APIRouter) else router(app))
    web.mount_static(app)
    _valid_openapi(app)


def _valid_openapi(app: FastAPI) -> None:
    """Keep /openapi.json valid OpenAPI whatever a handler looks like (openapi-spec-validator checks it):
    FastAPI leaves out a templated path parameter its handler reads from the request (declare it).
    Operation ids are unique by construction (routing.add_route)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for path, operations in generate().get("paths", {}).items():
                templated = re.findall(r"{([^}/]+)}", path)
                for _method, operation in operations.items():
                    declared = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "path"}
                    for name in templated:
                        if name not in declared:
                            operation.setdefault("parameters", []).append(
                                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
            complete(app.openapi_schema)  # the statuses, media types and protocol parameters handlers hide
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
