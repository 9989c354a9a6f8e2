"""Every HTTP route of claimgraph, in one table: the whole surface at a glance.

Each feature module owns its handlers; this table owns the paths.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI

from . import exports, reconcile
from . import graph_store, ops, sparql

# (path, methods, handler, name, include in OpenAPI)
ROUTES: list[tuple[str, list[str], Callable[..., Any], str, bool]] = [
    ("/sparql", ["GET", "POST"], sparql.sparql_endpoint, "sparql", True),
    ("/store", ["GET", "HEAD", "PUT", "POST", "DELETE"], graph_store.graph_store, "graph_store", True),
    ("/store/{path:path}", ["GET", "HEAD", "PUT", "POST", "DELETE"], graph_store.graph_store, "graph_store_direct", True),
    ("/health", ["GET"], ops.health, "health", True),
    ("/metrics", ["GET"], ops.metrics, "metrics", True),
]

# Feature routers (REST, Linked Data, reconciliation, graph store) are mounted here.
ROUTERS: list[Any] = []
ROUTERS += [reconcile.router, exports.router]  # /reconcile… ; /dumps…, /exports…


def mount(app: FastAPI) -> None:
    for path, methods, handler, name, in_schema in ROUTES:
        app.add_api_route(path, handler, methods=methods, name=name, include_in_schema=in_schema)
    for router in ROUTERS:
        app.include_router(router)
