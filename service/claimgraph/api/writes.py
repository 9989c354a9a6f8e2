"""SPARQL Update on /sparql, guarded by a bearer token; one writer at a time."""

from __future__ import annotations

import asyncio
import hmac

import pyoxigraph as ox

from starlette.requests import Request
from starlette.responses import Response

from ..sparql.gate import GateError, check
from ..sparql.lexer import LexError
from ..sparql.prefixes import with_prefixes
from ..sparql.syntax_errors import explain
from ..sparql.targets import Targets, written_graphs
from ..sparql.using import DatasetConflict, with_using
from ..store.ownership import Ownership
from ..store.remote_writer import RemoteWriter
from ..store.writer import StoreWriter
from .errors import ApiError
from .protocol import ProtocolRequest


class Writes:
    def __init__(self, ctx) -> None:  # noqa: ANN001 - AppContext (circular import)
        self.ctx = ctx
        self.writer: StoreWriter | RemoteWriter | None = None
        self._lock = asyncio.Lock()
        self.ownership = Ownership(ctx.settings.base_iri)

    def start(self) -> None:
        engine = self.ctx.engine
        if self.ctx.updates_enabled and engine.remote is not None:
            mint = self.ctx.mint
            self.writer = RemoteWriter(engine.remote, engine.locator, mint.dataset, mint.graph("dataset"))
        elif self.ctx.updates_enabled:
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

    def guard_update(self, text: str) -> Targets | None:
        """409 for an update that names a build-owned graph. Returns what it writes, for
        guard_anywhere to decide on what may write ANY graph."""
        try:
            targets = written_graphs(text, self.ctx.engine.base_iri)
        except LexError:
            return None  # the engine refuses it with its own syntax error before writing anything
        for iri in sorted(targets.graphs):
            self.guard_graph(iri, parameter="update")
        return targets

    def guard_anywhere(self, store, targets: Targets | None) -> None:  # noqa: ANN001 - a pyoxigraph Store
        """An update that may write any graph is refused while the store holds a graph the build owns
        (checked under the writer's lock, so no build slips one in between). A graph variable in a
        template is refused always: it may name a build graph that does not exist yet."""
        if targets is None or not targets.anywhere:
            return
        anywhere = targets.anywhere
        variable = [why for why in anywhere if why not in targets.removes_existing]
        owned = next((g.value for g in store.named_graphs()
                      if isinstance(g, ox.NamedNode) and self.ownership.owns(g.value)), None)
        if variable or owned is not None:
            raise ApiError(409, "graph_owned_by_build",
                           f"this update may write graphs that `claimgraph build` owns ({anywhere[0]}), "
                           f"and a rebuild would discard that write; name the graphs it writes, none of "
                           f"{self.ownership.describe()}", parameter="update")

    async def run(self, action) -> object:  # noqa: ANN001 - callable on a pyoxigraph Store
        assert self.writer is not None
        async with self._lock:
            result = await asyncio.to_thread(self.writer.write, action)
        self.ctx.engine.invalidate()
        return result

    async def update(self, request: Request, req: ProtocolRequest) -> Response:
        self.authorize(request)
        assert req.update is not None
        declared, shift = with_prefixes(req.update)
        try:
            verdict = check(declared, self.ctx.engine.limits, self.ctx.settings.allowed_loads, update=True)
        except GateError as exc:
            raise ApiError(exc.status, exc.code, exc.message, parameter="update") from None
        if req.default_graph or req.named_graphs:
            # The protocol defines these for queries only; silently ignoring them would mislead.
            raise ApiError(400, "unsupported_parameter",
                           "default-graph-uri / named-graph-uri apply to queries; an update takes "
                           "using-graph-uri / using-named-graph-uri",
                           parameter="default-graph-uri" if req.default_graph else "named-graph-uri")
        try:
            text = with_using(verdict.text, req.using_graph, req.using_named_graph, verdict.lexed)
        except DatasetConflict as exc:
            raise ApiError(400, "dataset_conflict", str(exc),
                           parameter="using-graph-uri" if req.using_graph else "using-named-graph-uri") from None
        targets = self.guard_update(text)
        base = self.ctx.engine.base_iri

        def apply(store) -> None:  # noqa: ANN001
            self.guard_anywhere(store, targets)
            store.update(text, base_iri=base)

        try:
            await self.run(apply)
        except SyntaxError as exc:
            raise ApiError(400, "syntax_error", explain(text, str(exc), shift), parameter="update") from None
        except (ValueError, RuntimeError, OSError) as exc:
            # pyoxigraph raises RuntimeError for e.g. CREATE GRAPH on an existing graph or
            # DROP GRAPH on a missing one (no SILENT): the client's request, not our fault.
            raise ApiError(400, "update_failed", str(exc), parameter="update") from None
        return Response(status_code=204)
