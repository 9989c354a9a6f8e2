"""A pool of killable query workers.

Each request borrows an idle worker; if the deadline passes the worker is
SIGKILLed and a fresh one spawned in its place, so a runaway query costs one
worker for at most the deadline and never the service. The queue in front
of the pool is bounded: when it is full the caller hears so at once.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from . import worker as worker_module

_ctx = mp.get_context("spawn")


@dataclass
class PoolError(Exception):
    status: int
    code: str
    message: str
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.message


class _Worker:
    def __init__(self, memory_mb: int):
        parent, child = _ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.proc = _ctx.Process(target=worker_module.main, args=(child, memory_mb), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.jobs = 0

    def wait_ready(self, timeout: float = 30.0) -> None:
        if self.conn.poll(timeout):
            msg = self.conn.recv()
            self.ready = msg[0] == "ready"
        if not self.ready:
            raise RuntimeError("query worker did not start")

    def kill(self) -> None:
        try:
            if self.proc.pid:
                os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.join(timeout=5)
        self.conn.close()


class WorkerPool:
    def __init__(self, size: int, memory_mb: int, queue_size: int):
        self.size = max(1, size)
        self.memory_mb = memory_mb
        self.queue_size = queue_size
        self._idle: asyncio.Queue[_Worker] | None = None
        self._waiting = 0
        self._lock = threading.Lock()
        self.stats = {"timeouts": 0, "crashes": 0, "respawns": 0, "rejected_full": 0, "jobs": 0}
        self._all: set[_Worker] = set()

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(asyncio.to_thread(self._spawn) for _ in range(self.size)))
        for w in workers:
            self._idle.put_nowait(w)

    def _spawn(self) -> _Worker:
        w = _Worker(self.memory_mb)
        w.wait_ready()
        with self._lock:
            self._all.add(w)
        return w

    async def _replace(self, dead: _Worker) -> None:
        with self._lock:
            self._all.discard(dead)
        await asyncio.to_thread(dead.kill)
        self.stats["respawns"] += 1
        fresh = await asyncio.to_thread(self._spawn)
        assert self._idle is not None
        self._idle.put_nowait(fresh)

    async def run(self, job: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        assert self._idle is not None, "pool not started"
        if self._waiting >= self.queue_size and self._idle.empty():
            self.stats["rejected_full"] += 1
            raise PoolError(503, "queue_full", "too many queries are waiting; try again shortly", retry_after=1)
        started = time.monotonic()
        self._waiting += 1
        try:
            w = await asyncio.wait_for(self._idle.get(), timeout=timeout)
        except asyncio.TimeoutError:
            raise PoolError(503, "timeout", f"no query worker became free within {timeout:g} s", retry_after=2) from None
        finally:
            self._waiting -= 1
        remaining = max(0.05, timeout - (time.monotonic() - started))
        self.stats["jobs"] += 1
        try:
            reply = await asyncio.to_thread(self._exchange, w, job, remaining)
        except _Deadline:
            self.stats["timeouts"] += 1
            asyncio.get_running_loop().create_task(self._replace(w))
            raise PoolError(503, "timeout", f"the query did not finish within {timeout:g} s and was stopped",
                            retry_after=max(1, int(timeout))) from None
        except _Crashed:
            self.stats["crashes"] += 1
            asyncio.get_running_loop().create_task(self._replace(w))
            raise PoolError(503, "worker_crashed",
                            "the query engine stopped while evaluating this query (memory or stack limit)",
                            retry_after=1) from None
        self._idle.put_nowait(w)
        return reply

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
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            await asyncio.to_thread(w.kill)

    @property
    def busy(self) -> int:
        return self.size - (self._idle.qsize() if self._idle else 0)


class _Deadline(Exception):
    pass


class _Crashed(Exception):
    pass
