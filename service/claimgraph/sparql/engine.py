"""The SPARQL engine behind the HTTP layer, one path in named stages (SparqlEngine.query):

    gate      every query, always (sparql/gate.py); the verdict is remembered per exact text
    negotiate the result format from the format parameter or Accept
    plan      answered from the cache, run inline, or sent to a worker
    execute   that plan, under the deadline (a worker's query parsed here first: sparql/parse_probe.py)

User queries run in killable worker processes, except those sparql/bounded.py
PROVES bounded before they start (a tree of triple patterns hanging from
constant subjects, whose rows are bounded by counted root quads and the
store's measured per-predicate fan-out): those run inline (sparql/inline_stage.py), saving
the ~170 µs pipe round trip (CLAIMGRAPH_INLINE=0 turns this off). Our own queries (named
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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox

from ..config import Settings
from ..failure import Failure
from ..namespaces import Minter
from ..store.locator import StoreLocator
from ..store.remote import RemoteError, RemoteStore, config_from
from ..store.remote_locator import RemoteLocator
from .bindings import with_bindings
from .cache import AnswerCache
from .formats import GRAPH_FORMATS, SOLUTION_FORMATS
from .gate import GateError, Limits, Verdict, check
from .metrics import Metrics
from .negotiate import choose, format_from_param, graph_offers, solution_offers
from .parse_probe import syntax_error
from .looppool import LoopWorkerPool
from .pool import PoolConfig, PoolError, WorkerPool
from .prefixes import with_prefixes
from .inline_stage import InlineStage
from .remote_stage import RemoteStage
from .syntax_errors import explain, located

# What a finished query adds to /metrics, ok or not (sparql/metrics.py record()).
_OK = (("claimgraph_queries_total", (("outcome", "ok"),)),)
_ERROR = (("claimgraph_queries_total", (("outcome", "error"),)),)
# What a response served from serve/response_cache.py adds: a cache hit and an answered query.
_RESPONSE_HIT = _OK + (("claimgraph_cache_hits_total", ()), ("claimgraph_fast_path_hits_total", ()))
# The gate's verdicts remembered per exact text (a dashboard re-sending a query after a write,
# when every cached answer is stale, skips the lexer): texts up to this long, this many of them.
VERDICT_TEXT = 4096
VERDICT_ENTRIES = 4096

log = logging.getLogger("claimgraph.query")


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    cached: bool = False


class QueryFailure(Failure):
    """A user query that was refused or did not finish, as the client is told."""


class SparqlEngine:
    def __init__(self, settings: Settings, locator: StoreLocator | None = None):
        self.settings = settings
        # CLAIMGRAPH_BACKEND=remote: a SPARQL server below this engine instead of the store on disk
        # (store/remote.py); its locator polls the server's state version in place of a directory.
        self.remote: RemoteStore | None = None
        if settings.remote:
            self.remote = RemoteStore(config_from(settings))
            self.locator: Any = RemoteLocator(self.remote, Minter(settings.base_iri).dataset, settings.remote_poll_s)
        else:
            self.locator = locator or StoreLocator(settings.store)
        self.limits = Limits(max_bytes=settings.max_query_bytes)
        # Relative IRIs in a query or update resolve against the endpoint's own URL (SPARQL 1.1
        # Protocol §2.1.4, §2.2.4: a service-defined base IRI, which "MAY be the service endpoint").
        # Fixed per deployment (not per request), so one query text has one answer in every cache.
        self.base_iri = f"{settings.url}/sparql"
        self._verdicts: dict[str, tuple[Verdict, Any]] = {}
        # Queries run by the event loop's own reads of the workers' pipes (looppool.py), or, with
        # CLAIMGRAPH_POOL_IO=thread, by a thread per exchange.
        self._pool_class = LoopWorkerPool if settings.pool_io == "loop" else WorkerPool
        # The regular workers scan whole stores (COUNT, GROUP BY): an in-memory copy makes that ~20%
        # cheaper (store/mirror.py).
        self.pool = self._new_pool(settings.workers, settings.queue_size, memory_quads=settings.memory_quads)
        self.fast_pool: WorkerPool | None = None
        self.net_pool: WorkerPool | None = None
        self._net_lock = asyncio.Lock()
        self.cache = AnswerCache(settings.cache_entries)
        self.metrics = Metrics()
        self.remote_stage = (RemoteStage(self.remote, settings.max_result_bytes, self.metrics, QueryFailure)
                             if self.remote is not None else None)
        self.generation = 0  # bumped on every write, part of every cache key
        self.inline = InlineStage(settings, self.locator.current, lambda: self.generation,
                                  lambda job, timeout: self.pool.run(job, timeout), self.metrics, self.base_iri,
                                  QueryFailure)
        self._negotiated: dict[tuple[bool, str | None], str | None] = {}

    def _store_dir(self) -> str:
        return str(self.locator.current())

    def _new_pool(self, size: int, queue_size: int, isolate: bool = True, memory_quads: int = 0,
                  idle_copy: bool = True) -> WorkerPool:
        return self._pool_class(PoolConfig(size, self.settings.worker_memory_mb, queue_size, isolate,
                                           self._store_dir, memory_quads, idle_copy))

    async def start(self) -> None:
        if self.remote is not None:
            return  # the server runs the queries: no workers to start
        await self.pool.start()
        if self.settings.fast_lane_ms > 0:
            # The lane's one worker takes every query that arrives while the regular ones are busy
            # (under a load of scans, a third of them), so it keeps a copy too; but it is killed on
            # every overrun, and copying on spawn would throw a copy away each time: it copies once
            # it has answered within the lane, after its replies (idle_copy off).
            self.fast_pool = self._new_pool(1, 0, memory_quads=self.settings.memory_quads, idle_copy=False)
            await self.fast_pool.start()
            self.pool.stats.update(fast_lane_jobs=0, fast_lane_overruns=0)

    async def close(self) -> None:
        self.inline.close()
        for pool in (self.pool, self.fast_pool, self.net_pool):
            if pool is not None:
                await pool.close()
        if self.remote is not None:
            await self.remote.aclose()

    async def _network_pool(self) -> WorkerPool:
        async with self._net_lock:
            if self.net_pool is None:
                # Not a copy: SERVICE calls seldom scan our own store.
                pool = self._new_pool(1, self.settings.queue_size, isolate=False)
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
        # Clients send a handful of distinct Accept headers; parsing one costs more than a cached lookup.
        memo = self._negotiated
        key = (graph, accept)
        name = memo.get(key, "")
        if name == "":
            name = choose(accept, graph_offers() if graph else solution_offers())
            if len(memo) >= 512:
                memo.clear()
            memo[key] = name
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
        """Answer a user's query: gate -> negotiate -> plan -> execute, each stage below."""
        started = time.perf_counter()
        outcome, rows_note = "ok", ""
        received = text
        text, shift = with_prefixes(text)   # the predeclared prefixes it uses, on one line before it
        try:
            verdict, plan = await self.gate(text, shift)
            fmt = self.negotiate(verdict.form, accept, format_param)
            store_dir = self.locator.current()
            key = self._cache_key(verdict.text, fmt, store_dir, default_graph, named_graphs)
            # plan: the cache's answer, else inline when proven bounded, else a worker.
            hit = self.cache.get(key)
            if hit is not None:
                self.metrics.inc("claimgraph_cache_hits_total")
                outcome = "cache"
                return Answer(hit.status, hit.media_type, hit.body, dict(hit.headers), cached=True)
            self.metrics.inc("claimgraph_cache_misses_total")
            answer = None
            if self.remote is not None:
                answer = await self._run_remote(verdict, fmt, store_dir, default_graph, named_graphs, timeout)
                rows_note = "remote"
            elif plan is not None and not default_graph and not named_graphs:
                ran = await self.inline.run(verdict, plan, fmt, store_dir)
                answer = self._ok(*ran) if ran is not None else None
                rows_note = "inline"
            if answer is None:
                answer = await self._run_in_worker(verdict, fmt, store_dir, default_graph, named_graphs, timeout)
                rows_note = ""
            self.cache.put(key, answer, len(answer.body))
            rows_note = f"{len(answer.body)}B {rows_note}".strip()
            return answer
        except QueryFailure as exc:
            outcome = exc.code
            if exc.code == "syntax_error":
                exc.message = explain(text, exc.message, shift)
            raise
        finally:
            self._account(started, outcome, rows_note, received)

    async def gate(self, text: str, shift: int = 0) -> tuple[Verdict, Any]:
        """Stage 1: the safety gate (sparql/gate.py) on every query, and whether it may run inline:
        (verdict, bounded.classify's plan or None). Remembered per exact text, never per shape."""
        known = self._verdicts.get(text)
        if known is not None:
            return known
        try:
            if len(text) > VERDICT_TEXT:
                # Tokenizing is pure Python: tens of ms for a 64 KB query. In a thread the event loop
                # still gets the GIL every switch interval, so /health stays fast.
                verdict = await asyncio.to_thread(check, text, self.limits, self.settings.allowed_services)
            else:
                verdict = check(text, self.limits, self.settings.allowed_services)
        except GateError as exc:
            self.metrics.inc("claimgraph_queries_rejected_total", reason=exc.code)
            raise QueryFailure(exc.status, exc.code, located(exc.message, text, exc.pos, shift),
                               parameter="query") from None
        plan = self.inline.plan(verdict) if self.remote is None else None
        verdict.lexed = None  # the tokens are not kept: a long query's would outweigh its text
        if len(text) <= VERDICT_TEXT:
            if len(self._verdicts) >= VERDICT_ENTRIES:
                self._verdicts.pop(next(iter(self._verdicts)))  # first in, first out
            self._verdicts[text] = (verdict, plan)
        return verdict, plan

    async def _run_in_worker(self, verdict: Verdict, fmt: str, store_dir: Path, default_graph: list[str] | None,
                             named_graphs: list[str] | None, timeout: float | None) -> Answer:
        """Stage 4, the general case: a killable worker, under the deadline."""
        await self._must_parse(verdict)
        graph = verdict.form in ("CONSTRUCT", "DESCRIBE")
        job = {
            "query": verdict.text,
            "base_iri": self.base_iri,
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
        _tag, kind, fmt, body, copy_quads = reply
        if copy_quads:
            self.metrics.inc("claimgraph_worker_copy_answers_total")
        return self._ok(kind, fmt, body)

    async def _must_parse(self, verdict: Verdict) -> None:
        """A query that does not parse is answered now, not after waiting for a worker that may be
        held by runaways, or a round trip to a backend (sparql/parse_probe.py): the same message on
        every path. Inline runs find parse errors themselves."""
        args = (verdict.text, verdict.form, verdict.form_at, self.base_iri)
        error = await asyncio.to_thread(syntax_error, *args) if len(verdict.text) > VERDICT_TEXT else syntax_error(*args)
        if error is not None:
            self.metrics.inc("claimgraph_queries_failed_total", reason="syntax_error")
            raise QueryFailure(400, "syntax_error", error, parameter="query")

    async def _run_remote(self, verdict: Verdict, fmt: str, store_dir: Any, default_graph: list[str] | None,
                          named_graphs: list[str] | None, timeout: float | None) -> Answer:
        """Stage 4 with a remote backend (sparql/remote_stage.py)."""
        assert self.remote_stage is not None
        await self._must_parse(verdict)
        kind, body = await self.remote_stage.run(verdict.text, verdict.form, fmt, store_dir.name, default_graph,
                                                 named_graphs, self.effective_timeout(timeout))
        return self._ok(kind, fmt, body)

    def _cache_key(self, text: str, fmt: str, store_dir: Path, default_graph: list[str] | None = None,
                   named_graphs: list[str] | None = None) -> tuple[Any, ...]:
        """One answer per query text, dataset, format, store version and write generation."""
        return (text, tuple(default_graph or ()), tuple(named_graphs or ()), fmt, str(store_dir), self.generation)

    def _account(self, started: float, outcome: str, rows_note: str, text: str,
                 counters: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None = None) -> None:
        """A finished query in /metrics (with `counters`, if given, instead of the outcome's) and the log."""
        elapsed = time.perf_counter() - started
        if counters is None:
            counters = _OK if outcome in ("ok", "cache") else _ERROR
        self.metrics.record(counters, "claimgraph_query_duration_seconds", elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps({"event": "query", "ms": round(elapsed * 1000, 2), "outcome": outcome,
                                 "size": rows_note, "query": text[:200]}))

    def answer_tag(self) -> tuple[str, int] | None:
        """What every kept answer must match: the store version and the write generation (None:
        nothing built)."""
        try:
            return (str(self.locator.current()), self.generation)
        except FileNotFoundError:
            return None

    def response_hit(self, elapsed: float) -> None:
        """Count an answer that serve/response_cache.py gave from its own store, so /metrics stays
        true: the cache's counter under its lock, the rest as a query answered from cache."""
        self.cache.hit()
        self.metrics.record(_RESPONSE_HIT, "claimgraph_query_duration_seconds", elapsed)

    @staticmethod
    def _ok(kind: str, fmt: str, body: bytes) -> Answer:
        media = (GRAPH_FORMATS[fmt][0] if kind == "graph" else SOLUTION_FORMATS[fmt][0])
        if media.startswith("text/") or media.endswith("json") or media.endswith("xml"):
            media += "; charset=utf-8"
        return Answer(200, media, body)

    # -- our own bounded queries -----------------------------------------------

    def run_trusted(self, sparql: str, substitutions: Mapping[str, Any] | None = None,
                    union: bool = True) -> list[dict[str, Any]] | bool | list[Any]:
        """Evaluate one of our own queries now, in this thread; rows as dicts of pyoxigraph terms."""
        if self.remote is not None:
            try:
                return self.remote.query(sparql, substitutions, union, self.locator.version())
            except RemoteError as exc:
                raise QueryFailure(exc.status, exc.code, exc.message, retry_after=exc.retry_after) from None
        store = self.inline.store()
        kwargs: dict[str, Any] = {"use_default_graph_as_union": union}
        if substitutions and any(isinstance(v, ox.BlankNode) for v in substitutions.values()):
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}  # no VALUES syntax for it
        elif substitutions:
            sparql = with_bindings(sparql, substitutions)  # planned bound (sparql/bindings.py)
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
        self.inline.forget()

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
