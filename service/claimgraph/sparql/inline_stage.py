"""Stage 4 (execute) for a user query proven bounded: run in the serving process, no worker.

sparql/bounded.py proves a bound on a query's work before it starts (a tree of triple patterns
hanging from constant subjects: counted root quads times the store's per-predicate fan-out); this
stage measures that fan-out once per store version (in a worker: full scans, killable), checks the
bound against INLINE_BUDGET and runs the query here, on the event loop up to INLINE_DIRECT rows and
in a thread above. It also holds the read-only store our own queries (run_trusted) read, and the
in-memory copy of it (store/mirror.py) inline queries use once it is made. Anything unexpected
answers None, and the engine sends the query to a worker, whose errors the client then gets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable

import pyoxigraph as ox

from ..config import Settings
from ..store.mirror import MemoryMirror
from . import bounded
from .formats import SOLUTION_FORMATS
from .gate import Verdict
from .metrics import Metrics
from .worker import _BoundedWriter, _TooBig, too_large

# At most INLINE_BUDGET rows / index lookups, proven before they start. pyoxigraph parses, plans, runs
# and serializes the benchmark's point lookup in ~90 µs and its 6-pattern join in ~400 µs; a worker
# round trip adds ~170 µs of pipe and wake-ups. Up to INLINE_DIRECT rows the query runs on the event
# loop: handing the 6-pattern join to a thread (the GIL is released while it runs) measured 8% slower
# with one serving process per core (2,071 vs 2,248 req/s), the hand-off costing more than the
# overlap gives once every core has its own process.
INLINE_BUDGET = 2048
INLINE_DIRECT = 256
INLINE_MAX_PATTERNS = 8

log = logging.getLogger("claimgraph.query")


class InlineStage:
    def __init__(self, settings: Settings, current: Callable[[], Path], generation: Callable[[], int],
                 run_in_worker: Callable[[dict[str, Any], float], Any], metrics: Metrics, base_iri: str,
                 failure: type[Exception]):
        self.settings = settings
        self._current = current          # the live store version's directory
        self._generation = generation    # the engine's write generation
        self._run_in_worker = run_in_worker
        self.metrics = metrics
        self.base_iri = base_iri
        self.failure = failure           # the engine's QueryFailure
        self._store: tuple[Path, ox.Store] | None = None
        self._lock = threading.Lock()
        self.mirror = MemoryMirror(settings.memory_quads if settings.inline else 0)
        # Per store version: the fan-out table inline queries are bounded with (None: not measurable).
        self._fanout: tuple[tuple[str, int], dict[str, int] | None] | None = None
        self._fanout_task: asyncio.Task[None] | None = None
        self._root_counts: dict[tuple[Any, ...], int] = {}  # quads per root pattern, this fan-out's store

    def store(self) -> ox.Store:
        """The live version, opened read-only once per version."""
        current = self._current()
        with self._lock:
            if self._store is None or self._store[0] != current:
                self._store = (current, ox.Store.read_only(str(current)))
            return self._store[1]

    def forget(self) -> None:
        """After a write: the store is opened again, the copy made again."""
        with self._lock:
            self._store = None
        self.mirror.forget()

    def close(self) -> None:
        if self._fanout_task is not None and not self._fanout_task.done():
            self._fanout_task.cancel()

    def plan(self, verdict: Verdict) -> bounded.Plan | None:
        """bounded.classify's plan for a gated query, or None: it goes to a worker."""
        if not (self.settings.inline and verdict.form in ("SELECT", "ASK") and not verdict.services):
            return None
        return bounded.classify(verdict.text, INLINE_MAX_PATTERNS, verdict.lexed)

    async def run(self, verdict: Verdict, plan: bounded.Plan, fmt: str, store_dir: Path) -> tuple[str, str, bytes] | None:
        """(kind, format, body) for a query proven bounded on this store, or None (no proof for this
        store yet, or something unexpected), which sends it to a worker."""
        text = verdict.text
        try:
            found = self._bound(plan, store_dir)
            if found is None:
                return None
            store, bound = found
            streamed = plan.scan_rows is not None
            if bound <= INLINE_DIRECT:
                answer = self._evaluate(store, text, fmt, streamed)
            else:
                answer = await asyncio.to_thread(self._evaluate, store, text, fmt, streamed)
        except _TooBig:
            self.metrics.inc("claimgraph_queries_failed_total", reason="result_too_large")
            raise self.failure(413, "result_too_large", too_large(self.settings.max_result_bytes)) from None
        except SyntaxError as exc:
            self.metrics.inc("claimgraph_queries_failed_total", reason="syntax_error")
            raise self.failure(400, "syntax_error", str(exc), parameter="query") from None
        except Exception:  # noqa: BLE001 - anything unexpected: let a worker answer it, with its error shapes
            return None
        self.metrics.inc("claimgraph_inline_queries_total")
        return answer

    def _bound(self, plan: bounded.Plan, store_dir: Path) -> tuple[ox.Store, int] | None:
        """The store to run the query on and the proven bound on its work, or None: no proof."""
        store = self.store()
        if self._store is None or self._store[0] != store_dir:
            return None  # the store changed since `store_dir` was read: no proof for this one
        # The same version, in memory once copied; asked before the fan-out is known, so that a
        # rebuild's new version replaces the old copy (and its memory) at once.
        copy = self.mirror.get(store_dir, store)
        if copy is not None:
            store = copy
        fanout = self._fanout_for(store_dir)
        if fanout is None:
            if plan.scan_rows is None:
                return None
            fanout = {}  # a lone-pattern scan needs none (sparql/bounded.py)
        counts = self._root_counts  # the dict of this fan-out's store version (replaced with it)
        bound = bounded.work_bound(plan, store, fanout, INLINE_BUDGET, counts=counts)
        return None if bound is None else (store, bound)

    def _evaluate(self, store: ox.Store, text: str, fmt: str, streamed: bool = False) -> tuple[str, str, bytes]:
        result = store.query(text, use_default_graph_as_union=True, base_iri=self.base_iri)
        if not isinstance(result, (ox.QueryBoolean, ox.QuerySolutions)):
            raise TypeError("not a SELECT or ASK")
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
        if streamed:
            # A lone-pattern scan's rows are bounded, their size is not (no longest-literal bound):
            # written through the byte cap, as a worker writes, so it stops at the cap.
            out = _BoundedWriter(self.settings.max_result_bytes)
            result.serialize(out, SOLUTION_FORMATS[fmt][1])
            return kind, fmt, out.value()
        # Straight to bytes (a Python writer costs 10-30 µs a query): work_bound has already capped
        # the rows times the longest literal, so the whole answer fits in memory; the user's byte
        # cap is then applied as a worker applies it.
        body = result.serialize(format=SOLUTION_FORMATS[fmt][1])
        if len(body) > self.settings.max_result_bytes:
            raise _TooBig()
        return kind, fmt, body

    def _fanout_for(self, store_dir: Path) -> dict[str, int] | None:
        key = (str(store_dir), self._generation())
        if self._fanout is not None and self._fanout[0] == key:
            return self._fanout[1]
        if self._fanout_task is None or self._fanout_task.done():
            self._fanout_task = asyncio.get_running_loop().create_task(self._measure_fanout(key))
        return None

    async def _measure_fanout(self, key: tuple[str, int]) -> None:
        """Measure the store's fan-out in a worker (full scans: killable, under the query deadline)."""
        table: dict[str, int] | None = None
        try:
            results = []
            for sparql in (bounded.FANOUT_QUERY, bounded.OUTDEGREE_QUERY, bounded.LONGEST_QUERY):
                job = {"query": sparql, "store_dir": key[0], "default_graph": None, "named_graphs": None,
                       "solution_format": "json", "graph_format": "turtle",
                       "max_bytes": 16 << 20, "services": False}  # one row per predicate: not the user's cap
                reply = await self._run_in_worker(job, self.settings.query_timeout)
                if reply[0] != "ok":
                    raise RuntimeError(f"{reply[2]}: {reply[3]}")
                results.append(json.loads(reply[3])["results"]["bindings"])
            table = bounded.parse_fanout(*results)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - then this store version gets no inline queries
            log.warning("fan-out of %s not measured (%s): every query goes to the workers", key[0], exc)
        if key == (str(self._current()), self._generation()):
            self._fanout = (key, table)
            self._root_counts = {}
