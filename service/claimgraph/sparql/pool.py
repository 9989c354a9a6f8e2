"""A pool of killable query workers.

Each request borrows an idle worker; if the deadline passes the worker is
SIGKILLed and a fresh one spawned in its place, so a runaway query costs one
worker for at most the deadline and never the service. The queue in front
of the pool is bounded: when it is full the caller hears so at once.

Workers are spawned (not forked: the server is multi-threaded), leave the
host network unless the pool is for allow-listed SERVICE calls, and prove
they can open the store under their memory cap before they are counted as
ready, so a cap too small fails the server's start, not a user's query.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Callable

from ..failure import Failure
from ..namespaces import PREFIXES
from . import worker as worker_module

_ctx = mp.get_context("spawn")
log = logging.getLogger("claimgraph.pool")


class PoolError(Failure):
    """No worker answered: the queue was full, the deadline passed, or the worker died."""


@dataclass(frozen=True)
class PoolConfig:
    """Everything a pool and its workers are built from, decided once by the engine."""

    size: int = 1
    memory_mb: int = 2048  # each worker's address-space cap
    queue_size: int = 0  # queries that may wait for a worker before the next is refused
    isolate: bool = True  # workers leave the host network (all but the SERVICE pool)
    # Where workers open the store to prove the cap fits (called at each spawn: the live version).
    warm_store: Callable[[], str] | None = None
    memory_quads: int = 0  # workers read an in-memory copy of stores up to this many quads
    idle_copy: bool = True  # workers copy the store they start on once idle (worker.py)


class _Worker:
    def __init__(self, config: PoolConfig):
        parent, child = _ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.memory_mb = config.memory_mb
        store_dir = config.warm_store() if config.warm_store else None
        options = {"isolate": config.isolate, "store_dir": store_dir, "memory_quads": config.memory_quads,
                   "idle_copy": config.idle_copy, "prefixes": PREFIXES}  # for @prefix lines and a JSON-LD @context
        self.proc = _ctx.Process(target=worker_module.main, args=(child, config.memory_mb, options), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.jobs = 0
        self.info: dict[str, Any] = {}

    def wait_ready(self, timeout: float = 30.0) -> None:
        why = f"did not report ready within {timeout:g} s"
        try:
            if self.conn.poll(timeout):
                msg = self.conn.recv()
                self.ready = msg[0] == "ready"
                if self.ready:
                    self.info = msg[2] if len(msg) > 2 else {}
                else:
                    why = (f"could not open the store under CLAIMGRAPH_WORKER_MEMORY_MB={self.memory_mb}: "
                           f"{msg[1]}")
        except (EOFError, OSError):
            self.proc.join(timeout=5)
            code = self.proc.exitcode
            why = f"exited with code {code} before it was ready"
            if code is not None and code < 0:
                why += (f" (signal {-code}); CLAIMGRAPH_WORKER_MEMORY_MB={self.memory_mb} may be too small "
                        "to open the store")
        if not self.ready:
            self.kill()
            raise RuntimeError(f"query worker {why}")

    def kill(self) -> None:
        try:
            if self.proc.pid:
                os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.join(timeout=5)
        self.conn.close()


class WorkerPool:
    def __init__(self, config: PoolConfig):
        self.config = config
        self.size = max(1, config.size)
        self.queue_size = config.queue_size
        self.isolate = config.isolate
        self._idle: asyncio.Queue[_Worker] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.stats: dict[str, Any] = {"timeouts": 0, "crashes": 0, "respawns": 0, "rejected_full": 0, "jobs": 0,
                                      "queued": 0, "network": "not started"}
        self._all: set[_Worker] = set()

    # Subclasses count waiters through this attribute; /health shows it live.
    @property
    def _waiting(self) -> int:
        return self.stats["queued"]

    @_waiting.setter
    def _waiting(self, value: int) -> None:
        self.stats["queued"] = value

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(asyncio.to_thread(self._spawn) for _ in range(self.size)))
        for w in workers:
            self._idle.put_nowait(w)
        network = sorted({w.info.get("network", "unknown") for w in workers})
        self.stats["network"] = ", ".join(network)
        # Address space an idle worker already holds, against its cap: how much is left for queries.
        self.stats["memory_mb"] = self.config.memory_mb
        self.stats["idle_vm_mb"] = max(w.info.get("vm_mb", -1) for w in workers)
        if self.isolate and network != ["isolated"]:
            log.warning("query workers share the host network (%s): only the gate stands between SERVICE "
                        "and the network", self.stats["network"])

    def _spawn(self) -> _Worker:
        w = _Worker(self.config)
        w.wait_ready()
        with self._lock:
            self._all.add(w)
        return w

    async def _replace(self, dead: _Worker) -> None:
        with self._lock:
            self._all.discard(dead)
        await asyncio.to_thread(dead.kill)
        self.stats["respawns"] += 1
        delay = 0.5
        while not self._closed:
            try:
                fresh = await asyncio.to_thread(self._spawn)
            except RuntimeError as exc:
                # Keep trying: a pool that silently shrinks would end as a server that answers nothing.
                log.error("respawning a query worker failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if self._closed:
                await asyncio.to_thread(fresh.kill)
                return
            assert self._idle is not None
            self._idle.put_nowait(fresh)
            return

    async def _acquire(self, idle: "asyncio.Queue[_Worker]", timeout: float) -> _Worker:
        if not idle.empty() and not self._waiting:
            # No one queues ahead of us: no task, no timer. A worker handed back while others
            # wait belongs to the oldest waiter, or the tail latency explodes.
            return idle.get_nowait()
        if self._waiting >= self.queue_size and idle.empty():
            self.stats["rejected_full"] += 1
            raise PoolError(503, "queue_full", "too many queries are waiting; try again shortly",
                            retry_after=1)
        self._waiting += 1
        try:
            return await asyncio.wait_for(idle.get(), timeout=timeout)
        except asyncio.TimeoutError:
            raise PoolError(503, "timeout", f"no query worker became free within {timeout:g} s",
                            retry_after=2) from None
        finally:
            self._waiting -= 1

    async def run(self, job: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        idle = self._idle
        assert idle is not None, "pool not started"
        started = time.monotonic()
        w = await self._acquire(idle, timeout)
        while not w.proc.is_alive():
            # It died while idle (killed from outside, the OOM killer): this query never reached it,
            # so it costs the query nothing. Replace it and take the next free worker.
            self.stats["crashes"] += 1
            asyncio.get_running_loop().create_task(self._replace(w))
            w = await self._acquire(idle, max(0.05, timeout - (time.monotonic() - started)))
        remaining = max(0.05, timeout - (time.monotonic() - started))
        self.stats["jobs"] += 1
        try:
            reply = await self._send(w, job, remaining)
        except _Deadline:
            self.stats["timeouts"] += 1
            asyncio.get_running_loop().create_task(self._replace(w))
            raise PoolError(503, "timeout", f"the query did not finish within {timeout:g} s and was stopped",
                            retry_after=max(1, int(timeout))) from None
        except asyncio.CancelledError:
            # The caller left mid-query; the answer will never be read and it may be a runaway.
            asyncio.get_running_loop().create_task(self._replace(w))
            raise
        except _Crashed:
            self.stats["crashes"] += 1
            asyncio.get_running_loop().create_task(self._replace(w))
            raise PoolError(503, "worker_crashed",
                            "the query engine stopped while evaluating this query (memory or stack limit)",
                            retry_after=1) from None
        idle.put_nowait(w)
        return reply

    async def _send(self, w: _Worker, job: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        """One exchange with a worker; raises _Deadline or _Crashed. Subclasses change how it waits."""
        return await asyncio.to_thread(self._exchange, w, job, timeout)

    @staticmethod
    def _exchange(w: _Worker, job: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        try:
            w.conn.send(job)
            if not w.conn.poll(timeout):
                raise _Deadline()
            return w.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            raise _Crashed() from None

    async def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            await asyncio.to_thread(w.kill)

    @property
    def busy(self) -> int:
        return self.size - (self._idle.qsize() if self._idle else 0)

    @property
    def idle(self) -> int:
        return self._idle.qsize() if self._idle else 0


class _Deadline(Exception):
    pass


class _Crashed(Exception):
    pass
