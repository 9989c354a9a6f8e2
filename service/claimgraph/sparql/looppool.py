"""The worker pool with its pipes read by the event loop instead of a thread per query.

Same workers, same deadlines, same errors as pool.WorkerPool; only the
exchange differs. WorkerPool hands every query to `asyncio.to_thread`; the
thread coming back from the pipe must then win the GIL from the busy event
loop, and each hop costs a thread hand-off either way. Here the loop watches
each worker's pipe (one `add_reader` for the worker's lifetime), parses
multiprocessing's framing itself and resolves a future; the deadline is a
`call_later` that leads to the same SIGKILL and respawn as before.

The wire format is multiprocessing.Connection's: a 4-byte big-endian signed
length (-1 then an 8-byte length for payloads over 2 GiB), then a pickle.
The worker side (worker.py) is unchanged and still uses Connection.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import struct
from typing import Any

from .pool import PoolConfig, WorkerPool, _Crashed, _Deadline, _Worker

_READ_CHUNK = 1 << 20


class _Pipe:
    """The loop's side of one worker's pipe: frames in, one pending future at a time."""

    __slots__ = ("fd", "loop", "buf", "need", "fut", "dead")

    def __init__(self, w: _Worker, loop: asyncio.AbstractEventLoop):
        self.fd = w.conn.fileno()
        self.loop = loop
        self.buf = bytearray()
        self.need = -1  # payload size once the header is read
        self.fut: asyncio.Future[bytes] | None = None
        self.dead = False
        loop.add_reader(self.fd, self.readable)

    def readable(self) -> None:
        try:
            chunk = os.read(self.fd, _READ_CHUNK)  # the loop said readable: this does not block
        except OSError:
            chunk = b""
        if not chunk:
            # EOF: the worker is gone. Stop watching (EOF stays readable forever) and fail its query.
            self.close()
            self._fail(_Crashed())
            return
        self.buf += chunk
        try:
            payload = self._frame()
        except _Crashed as exc:
            self._fail(exc)
            return
        if payload is not None and self.fut is not None and not self.fut.done():
            self.fut.set_result(payload)

    def _frame(self) -> bytes | None:
        if self.need < 0:
            if len(self.buf) < 4:
                return None
            (size,) = struct.unpack_from("!i", self.buf)
            head = 4
            if size == -1:
                if len(self.buf) < 12:
                    return None
                (size,) = struct.unpack_from("!Q", self.buf, 4)
                head = 12
            del self.buf[:head]
            self.need = size
        if len(self.buf) < self.need:
            return None
        if len(self.buf) > self.need or self.fut is None:
            # One answer per job: extra or unasked-for bytes mean the pipe is not what we think it is.
            self.dead = True
            raise _Crashed()
        payload = bytes(self.buf)
        self.buf.clear()
        self.need = -1
        return payload

    def _fail(self, exc: BaseException) -> None:
        self.dead = True
        if self.fut is not None and not self.fut.done():
            self.fut.set_exception(exc)

    def expire(self) -> None:
        if self.fut is not None and not self.fut.done():
            self.fut.set_exception(_Deadline())

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            self.fd = -1


class LoopWorkerPool(WorkerPool):
    """WorkerPool whose query exchange runs on the event loop (see module docstring)."""

    def __init__(self, config: PoolConfig):
        super().__init__(config)
        self._pipes: dict[int, _Pipe] = {}  # id(worker) -> its pipe, while the worker lives

    async def _send(self, w: _Worker, job: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        loop = asyncio.get_running_loop()
        pipe = self._pipes.get(id(w))
        if pipe is None:
            pipe = self._pipes[id(w)] = _Pipe(w, loop)
        if pipe.dead:
            raise _Crashed()
        fut: asyncio.Future[bytes] = loop.create_future()
        pipe.fut = fut
        timer = loop.call_later(timeout, pipe.expire)
        try:
            try:
                # Jobs are small and the worker is idle, blocked in recv: this write does not wait.
                w.conn.send(job)
            except (OSError, BrokenPipeError):
                raise _Crashed() from None
            payload = await fut
        finally:
            timer.cancel()
            pipe.fut = None
        return pickle.loads(payload)

    def _forget(self, w: _Worker) -> None:
        pipe = self._pipes.pop(id(w), None)
        if pipe is not None:
            pipe.close()  # before the worker's pipe is closed: the loop must not watch a reused fd

    async def _replace(self, dead: _Worker) -> None:
        self._forget(dead)
        await super()._replace(dead)

    async def close(self) -> None:
        with self._lock:
            workers = list(self._all)
        for w in workers:
            self._forget(w)
        await super().close()
