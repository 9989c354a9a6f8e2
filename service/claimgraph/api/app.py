"""The FastAPI application: context, lifecycle, middleware, routes, errors."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from .. import __version__
from ..config import Settings
from ..namespaces import Minter
from ..sparql.engine import SparqlEngine
from ..store.remote import RemoteError
from . import errors, routes
from .context import AppContext
from .writes import Writes


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per backend request otherwise
    engine = SparqlEngine(settings)
    ctx = AppContext(settings=settings, engine=engine, mint=Minter(settings.base_iri))
    ctx.writes = Writes(ctx)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            engine.locator.current()  # fail fast with a clear message if nothing is built
        except RemoteError as exc:
            # A front end may start before its backend: it answers 503s until the backend is back.
            logging.getLogger("claimgraph").warning("the backend is not answering yet: %s", exc)
        ctx.writes.start()
        await engine.start()
        # What the server asked to run alongside (serve/: sharing /metrics between processes).
        tasks = [asyncio.get_running_loop().create_task(start()) for start in ctx.background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await engine.close()

    app = FastAPI(
        title="claimgraph",
        version=__version__,
        description="Who claims what in news and opinion articles: SPARQL 1.1, REST lookups, Linked Data, "
                    "reconciliation. Errors share one shape: {ok: false, error: {status, code, message, parameter}}.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        # /docs is the web app's own page (web/routes.py): Swagger UI served from /static, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    # Innermost of the middleware (added first): mounted paths still get CORS and GZip.
    app.add_middleware(Mounted, apps=routes.MOUNTED)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
                           allow_headers=["*"], expose_headers=["Retry-After", "X-Cache"])
    app.add_middleware(GZipMiddleware, minimum_size=4096)
    errors.install(app)
    routes.mount(app)
    return app


class Mounted:
    """ASGI middleware: a request for one of `apps`' exact paths goes to that app, the rest on to the routing."""

    def __init__(self, app: Any, apps: dict[str, Any]):
        self.app, self.apps = app, apps

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        mounted = self.apps.get(scope["path"]) if scope["type"] == "http" else None
        await (mounted or self.app)(scope, receive, send)
