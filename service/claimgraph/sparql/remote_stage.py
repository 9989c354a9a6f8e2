"""Stage 4 (execute) with a remote backend: the server answers, our writers write.

The engine (sparql/engine.py) gates, negotiates and plans every query the same way whatever the
backend; with CLAIMGRAPH_BACKEND=remote the execute stage is this one. The server is asked for
SPARQL JSON or N-Triples (store/remote.py fetch, abandoned at the deadline), and its answer is
parsed and written by the same writers as an embedded answer, under the same byte cap, so every
result format is byte-identical on every backend. Its failures become the engine's QueryFailure
with the status and code the embedded path would give.
"""

from __future__ import annotations

import asyncio

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..store.remote import RemoteError, RemoteStore, remote_solutions, remote_triples
from .formats import GRAPH_FORMATS, SOLUTION_FORMATS
from .metrics import Metrics
from .rdf_writer import write_rdf
from .worker import _BoundedWriter, _TooBig, too_large

LARGE_ANSWER = 65536  # bytes: parsed and written off the event loop above this


class RemoteStage:
    def __init__(self, remote: RemoteStore, max_result_bytes: int, metrics: Metrics,
                 failure: type[Exception]):
        self.remote = remote
        self.max_result_bytes = max_result_bytes
        self.metrics = metrics
        self.failure = failure  # the engine's QueryFailure (status, code, message, ...)

    async def run(self, text: str, form: str, fmt: str, version: str, default_graph: list[str] | None,
                  named_graphs: list[str] | None, deadline: float) -> tuple[str, bytes]:
        """(answer kind, body) for a gated query, or the engine's failure."""
        graph = form in ("CONSTRUCT", "DESCRIBE")
        try:
            # The server's answer may be larger than ours (JSON is wordier than most formats): a margin.
            body = await self.remote.fetch(text, graph, default_graph, named_graphs, deadline, version,
                                           self.max_result_bytes * 4 + (1 << 20))
            if len(body) > LARGE_ANSWER:
                return await asyncio.to_thread(self.write, body, graph, fmt)
            return self.write(body, graph, fmt)
        except RemoteError as exc:
            self.metrics.inc("claimgraph_queries_failed_total", reason=exc.code)
            message = too_large(self.max_result_bytes) if exc.code == "result_too_large" else exc.message
            raise self.failure(exc.status, exc.code, message, retry_after=exc.retry_after) from None
        except _TooBig:
            self.metrics.inc("claimgraph_queries_failed_total", reason="result_too_large")
            raise self.failure(413, "result_too_large", too_large(self.max_result_bytes)) from None

    def write(self, body: bytes, graph: bool, fmt: str) -> tuple[str, bytes]:
        body = self.remote.normalized(body, graph)
        out = _BoundedWriter(self.max_result_bytes)
        if graph:
            write_rdf(remote_triples(body), out, GRAPH_FORMATS[fmt][1], PREFIXES)
            return "graph", out.value()
        result = remote_solutions(body)
        result.serialize(out, SOLUTION_FORMATS[fmt][1])
        return ("boolean" if isinstance(result, ox.QueryBoolean) else "solutions"), out.value()
