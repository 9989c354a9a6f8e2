"""The SPARQL engine behind the HTTP layer: gate -> cache -> worker pool -> answer.

User queries never run in the server process. Our own queries (named
queries, REST lookups) are known to be bounded and run inline on a
read-only store in a thread, so lookups stay fast while workers are busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox

from ..config import Settings
from ..store.locator import StoreLocator
from .cache import AnswerCache
from .formats import GRAPH_FORMATS, SOLUTION_FORMATS
from .gate import GateError, Limits, check
from .metrics import Metrics
from .negotiate import choose, format_from_param, graph_offers, solution_offers
from .pool import PoolError, WorkerPool

log = logging.getLogger("claimgraph.query")


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    cached: bool = False


@dataclass
class QueryFailure(Exception):
    status: int
    code: str
    message: str
    parameter: str | None = None
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.message


class SparqlEngine:
    def __init__(self, settings: Settings, locator: StoreLocator | None = None):
        self.settings = settings
        self.locator = locator or StoreLocator(settings.store)
        self.limits = Limits(max_bytes=settings.max_query_bytes)
        self.pool = WorkerPool(settings.workers, settings.worker_memory_mb, settings.queue_size)
        self.cache = AnswerCache(settings.cache_entries)
        self.metrics = Metrics()
        self._inline: tuple[Path, ox.Store] | None = None
        self._inline_lock = threading.Lock()
        self.generation = 0  # bumped on every write, part of every cache key

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()

    # -- user queries --------------------------------------------------------

    def negotiate(self, form: str, accept: str | None, format_param: str | None) -> str:
        graph = form in ("CONSTRUCT", "DESCRIBE")
        if format_param:
            name = format_from_param(format_param, graph)
            if name is None:
                options = ", ".join(GRAPH_FORMATS if graph else SOLUTION_FORMATS)
                raise QueryFailure(400, "bad_format", f"format={format_param!r} does not fit a {form} result; "
                                   f"use one of {options}", parameter="format")
            return name
        name = choose(accept, graph_offers() if graph else solution_offers())
        if name is None:
            offered = ", ".join(mt for mt, _f in (GRAPH_FORMATS if graph else SOLUTION_FORMATS).values())
            raise QueryFailure(406, "not_acceptable", f"none of the Accept header's types fits a {form} result; "
                               f"this endpoint offers {offered}", parameter="Accept")
        return name

    def effective_timeout(self, requested: float | None) -> float:
        limit = self.settings.query_timeout
        if requested is None:
            return limit
        return max(0.01, min(limit, requested))

    async def query(
        self,
        text: str,
        *,
        accept: str | None = None,
        format_param: str | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        started = time.perf_counter()
        outcome, rows_note = "ok", ""
        try:
            try:
                verdict = check(text, self.limits, self.settings.allowed_services)
            except GateError as exc:
                self.metrics.inc("claimgraph_queries_rejected_total", reason=exc.code)
                raise QueryFailure(exc.status, exc.code, exc.message, parameter="query") from None
            fmt = self.negotiate(verdict.form, accept, format_param)
            store_dir = self.locator.current()
            key = (verdict.text, tuple(default_graph or ()), tuple(named_graphs or ()), fmt,
                   str(store_dir), self.generation)
            hit = self.cache.get(key)
            if hit is not None:
                self.metrics.inc("claimgraph_cache_hits_total")
                outcome = "cache"
                return Answer(hit.status, hit.media_type, hit.body, dict(hit.headers), cached=True)
            self.metrics.inc("claimgraph_cache_misses_total")
            graph = verdict.form in ("CONSTRUCT", "DESCRIBE")
            job = {
                "query": verdict.text,
                "store_dir": str(store_dir),
                "default_graph": default_graph or None,
                "named_graphs": named_graphs or None,
                "solution_format": fmt if not graph else "json",
                "graph_format": fmt if graph else "turtle",
                "max_bytes": self.settings.max_result_bytes,
            }
            deadline = self.effective_timeout(timeout)
            try:
                reply = await self.pool.run(job, deadline)
            except PoolError as exc:
                self.metrics.inc("claimgraph_queries_failed_total", reason=exc.code)
                raise QueryFailure(exc.status, exc.code, exc.message, retry_after=exc.retry_after) from None
            if reply[0] == "error":
                _tag, status, code, message = reply
                self.metrics.inc("claimgraph_queries_failed_total", reason=code)
                raise QueryFailure(status, code, message, parameter="query" if status == 400 else None)
            _tag, kind, fmt, body = reply
            media = (GRAPH_FORMATS[fmt][0] if kind == "graph" else SOLUTION_FORMATS[fmt][0])
            if media.startswith("text/") or media.endswith("json") or media.endswith("xml"):
                media += "; charset=utf-8"
            answer = Answer(200, media, body)
            self.cache.put(key, answer, len(body))
            rows_note = f"{len(body)}B"
            return answer
        except QueryFailure as exc:
            outcome = exc.code
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.inc("claimgraph_queries_total", outcome="ok" if outcome in ("ok", "cache") else "error")
            self.metrics.observe("claimgraph_query_duration_seconds", elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(json.dumps({"event": "query", "ms": round(elapsed * 1000, 2), "outcome": outcome,
                                     "size": rows_note, "query": text[:200]}))

    # -- our own bounded queries -----------------------------------------------

    def _inline_store(self) -> ox.Store:
        current = self.locator.current()
        with self._inline_lock:
            if self._inline is None or self._inline[0] != current:
                self._inline = (current, ox.Store.read_only(str(current)))
            return self._inline[1]

    def run_trusted(self, sparql: str, substitutions: Mapping[str, Any] | None = None,
                    union: bool = True) -> list[dict[str, Any]] | bool | list[Any]:
        """Evaluate one of our own queries now, in this thread; rows as dicts of pyoxigraph terms."""
        store = self._inline_store()
        kwargs: dict[str, Any] = {"use_default_graph_as_union": union}
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        result = store.query(sparql, **kwargs)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            return [{n: sol[n] for n in names} for sol in result]
        return list(result)

    async def trusted(self, sparql: str, substitutions: Mapping[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self.run_trusted, sparql, substitutions)

    def invalidate(self) -> None:
        self.generation += 1
        self.cache.clear()
        with self._inline_lock:
            self._inline = None

    async def trusted_counts(self) -> dict[str, int]:
        """Triples per named graph of the live store, cached per store version."""
        key = ("__counts__", str(self.locator.current()), self.generation)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        rows = await self.trusted("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        counts = {r["g"].value: int(r["n"].value) for r in rows}  # type: ignore[union-attr]
        self.cache.put(key, counts, 64 * len(counts))
        return counts
