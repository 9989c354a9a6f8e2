"""SPARQL Update on /sparql, guarded by a bearer token; one writer at a time."""

from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import Response

from ..sparql.gate import GateError, check
from ..sparql.lexer import LexError
from ..sparql.targets import written_graphs
from ..store.ownership import Ownership
from ..store.writer import StoreWriter
from .errors import ApiError
from .protocol import ProtocolRequest


class Writes:
    def __init__(self, ctx) -> None:  # noqa: ANN001 - AppContext (circular import)
        self.ctx = ctx
        self.writer: StoreWriter | None = None
        self._lock = asyncio.Lock()
        self.ownership = Ownership(ctx.settings.base_iri)

    def start(self) -> None:
        if self.ctx.updates_enabled:
            # A superseded snapshot must outlive any query that may still open it.
            grace = 2 * self.ctx.settings.query_timeout + 5
            self.writer = StoreWriter(self.ctx.settings.store, self.ctx.engine.locator, grace=grace)
            self.writer.start()

    def authorize(self, request: Request) -> None:
        token = self.ctx.settings.update_token
        if not token:
            raise ApiError(403, "updates_disabled",
                           "this endpoint is read-only; set CLAIMGRAPH_UPDATE_TOKEN to enable updates")
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise ApiError(401, "unauthorized", "updates need an Authorization: Bearer token",
                           parameter="Authorization", headers={"WWW-Authenticate": 'Bearer realm="claimgraph"'})
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise ApiError(403, "forbidden", "the bearer token is not valid for updates", parameter="Authorization")

    def guard_graph(self, iri: str | None, parameter: str = "graph") -> None:
        """409 for a write to a graph the build owns: the next build would discard it."""
        if iri is not None and self.ownership.owns(iri):
            raise ApiError(409, "graph_owned_by_build",
                           f"<{iri}> is made by `claimgraph build` from data/ and a rebuild replaces it; "
                           "write to a graph of your own (those are kept across rebuilds), or change the "
                           "reading in data/ and rebuild", parameter=parameter)

    def guard_update(self, text: str) -> None:
        try:
            targets = written_graphs(text)
        except LexError:
            return  # the engine refuses it with its own syntax error before writing anything
        if targets.anywhere:
            raise ApiError(409, "graph_owned_by_build",
                           f"this update may write graphs that `claimgraph build` owns ({targets.anywhere[0]}), "
                           f"and a rebuild would discard that write; name the graphs it writes, none of "
                           f"{self.ownership.describe()}", parameter="update")
        for iri in sorted(targets.graphs):
            self.guard_graph(iri, parameter="update")

    async def run(self, action) -> object:  # noqa: ANN001 - callable on a pyoxigraph Store
        assert self.writer is not None
        async with self._lock:
            result = await asyncio.to_thread(self.writer.write, action)
        self.ctx.engine.invalidate()
        return result

    async def update(self, request: Request, req: ProtocolRequest) -> Response:
        self.authorize(request)
        assert req.update is not None
        try:
            verdict = check(req.update, self.ctx.engine.limits, self.ctx.settings.allowed_loads, update=True)
        except GateError as exc:
            raise ApiError(exc.status, exc.code, exc.message, parameter="update") from None
        self.guard_update(verdict.text)
        if req.using_graph or req.using_named_graph:
            raise ApiError(400, "unsupported_parameter",
                           "using-graph-uri / using-named-graph-uri are not supported; put USING in the update",
                           parameter="using-graph-uri" if req.using_graph else "using-named-graph-uri")
        if req.default_graph or req.named_graphs:
            # The protocol defines these for queries only; silently ignoring them would mislead.
            raise ApiError(400, "unsupported_parameter",
                           "default-graph-uri / named-graph-uri apply to queries; an update names its graphs itself",
                           parameter="default-graph-uri" if req.default_graph else "named-graph-uri")

        def apply(store) -> None:  # noqa: ANN001
            store.update(verdict.text)

        try:
            await self.run(apply)
        except SyntaxError as exc:
            raise ApiError(400, "syntax_error", str(exc), parameter="update") from None
        except (ValueError, RuntimeError, OSError) as exc:
            # pyoxigraph raises RuntimeError for e.g. CREATE GRAPH on an existing graph or
            # DROP GRAPH on a missing one (no SILENT): the client's request, not our fault.
            raise ApiError(400, "update_failed", str(exc), parameter="update") from None
        return Response(status_code=204)
