"""The SPARQL engine behind the HTTP layer: gate -> cache -> worker pool -> answer.

User queries never run in the server process. Our own queries (named
queries, REST lookups) are known to be bounded and run inline on a
read-only store in a thread, so lookups stay fast while workers are busy.

Three pools of killable workers, all behind the same deadline:
`pool` (the regular workers, no network), `fast_pool` (one worker that
takes a query only when all regular workers are busy, and only for
CLAIMGRAPH_FAST_LANE_MS: a point lookup is answered in milliseconds while
two runaways hold the regular workers; a query that overruns the lane goes
on to wait for a regular worker), and `net_pool` (started on first use,
the only workers with network, for queries whose every SERVICE target the
gate found on CLAIMGRAPH_SERVICE_ALLOWLIST).
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
        self.fast_pool: WorkerPool | None = None
        self.net_pool: WorkerPool | None = None
        self._net_lock = asyncio.Lock()
        self.cache = AnswerCache(settings.cache_entries)
        self.metrics = Metrics()
        self._inline: tuple[Path, ox.Store] | None = None
        self._inline_lock = threading.Lock()
        self.generation = 0  # bumped on every write, part of every cache key

    def _store_dir(self) -> str:
        return str(self.locator.current())

    def _sibling(self, size: int, queue_size: int, isolate: bool) -> WorkerPool:
        # Same class as the regular pool (the app may have swapped in LoopWorkerPool, whose
        # constructor takes the three positional arguments only).
        pool = type(self.pool)(size, self.settings.worker_memory_mb, queue_size)
        pool.isolate = isolate
        pool.warm_store = self._store_dir
        return pool

    async def start(self) -> None:
        self.pool.warm_store = self._store_dir
        await self.pool.start()
        if self.settings.fast_lane_ms > 0:
            self.fast_pool = self._sibling(1, 0, isolate=True)
            await self.fast_pool.start()
            self.pool.stats.update(fast_lane_jobs=0, fast_lane_overruns=0)

    async def close(self) -> None:
        for pool in (self.pool, self.fast_pool, self.net_pool):
            if pool is not None:
                await pool.close()

    async def _network_pool(self) -> WorkerPool:
        async with self._net_lock:
            if self.net_pool is None:
                pool = self._sibling(1, self.settings.queue_size, isolate=False)
                await pool.start()
                self.net_pool = pool
            return self.net_pool

    async def _dispatch(self, job: dict[str, Any], services: bool, deadline: float) -> tuple[Any, ...]:
        if services:
            return await (await self._network_pool()).run(job, deadline)
        started = time.monotonic()
        fast = self.fast_pool
        if fast is None or self.pool.busy < self.pool.size or fast.idle == 0:
            return await self.pool.run(job, deadline)
        budget = min(deadline, self.settings.fast_lane_ms / 1000)
        self.pool.stats["fast_lane_jobs"] += 1
        try:
            return await fast.run(job, budget)
        except PoolError as exc:
            if exc.code != "timeout" or budget >= deadline:
                raise
            self.pool.stats["fast_lane_overruns"] += 1  # not a short query: on to a regular worker
        remaining = max(0.01, deadline - (time.monotonic() - started))
        try:
            return await self.pool.run(job, remaining)
        except PoolError as exc:
            if exc.code == "timeout":
                # Tell the client the deadline it was given, not what was left of it after the lane.
                exc.message = exc.message.replace(f"{remaining:g} s", f"{deadline:g} s")
                exc.retry_after = max(1, int(deadline))
            raise

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
                if len(text) > 4096:
                    # Tokenizing is pure Python: tens of ms for a 64 KB query. In a thread the
                    # event loop still gets the GIL every switch interval, so /health stays fast.
                    verdict = await asyncio.to_thread(check, text, self.limits, self.settings.allowed_services)
                else:
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
                "services": bool(verdict.services),
            }
            deadline = self.effective_timeout(timeout)
            try:
                reply = await self._dispatch(job, bool(verdict.services), deadline)
            except PoolError as exc:
                self.metrics.inc("claimgraph_queries_failed_total", reason=exc.code)
                raise QueryFailure(exc.status, exc.code, exc.message, retry_after=exc.retry_after) from None
            if reply[0] == "error":
                _tag, status, code, message = reply
                self.metrics.inc("claimgraph_queries_failed_total", reason=code)
                raise QueryFailure(status, code, message, parameter="query" if status in (400, 403) else None,
                                   retry_after=1 if status >= 500 else None)
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
