"""SPARQL Update on /sparql, guarded by a bearer token; one writer at a time."""

from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import Response

from ..sparql.gate import GateError, check
from ..store.writer import StoreWriter
from .errors import ApiError
from .protocol import ProtocolRequest


class Writes:
    def __init__(self, ctx) -> None:  # noqa: ANN001 - AppContext (circular import)
        self.ctx = ctx
        self.writer: StoreWriter | None = None
        self._lock = asyncio.Lock()

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
