"""The query worker: a child process that evaluates one query at a time.

It imports nothing but pyoxigraph (and store/mirror.py, for an in-memory
copy of small stores), opens the store read-only (a directory no one writes
while it is open), caps its own address space, and answers over a pipe. The
parent kills it when a deadline passes; nothing here needs to cooperate for
that.

Before anything else it leaves the host's network (a fresh network
namespace, where not even loopback is up) unless it is one of the workers
meant for allow-listed SERVICE calls: pyoxigraph follows SERVICE to any
host, so the gate's refusal is backed by a kernel that has no route.
"""

from __future__ import annotations

import ctypes
import errno
import io
import os
import resource
import signal
import socket
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_M_ARENA_MAX = -8


class _TooBig(Exception):
    pass


class _BoundedWriter(io.RawIOBase):
    """Collects serialized output, refusing to grow past a byte limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:  # noqa: ANN401 - buffer protocol
        n = len(b)
        self.size += n
        if self.size > self.limit:
            raise _TooBig()
        self.parts.append(bytes(b))
        return n

    def value(self) -> bytes:
        return b"".join(self.parts)


def too_large(limit: int) -> str:
    """What a client is told when a result passes the byte cap, wherever the query ran."""
    return f"the result is larger than {limit} bytes; add a LIMIT or narrow the query"


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def isolate_network() -> str:
    """Move this (still single-threaded) process into an empty network namespace.

    As root CLONE_NEWNET suffices; otherwise an unprivileged user namespace
    is needed too. Returns "isolated" only after checking that even loopback
    is unreachable, else "shared (<why>)"."""
    libc = _libc()
    reason = ""
    for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            break
        reason = os.strerror(ctypes.get_errno())
    else:
        return f"shared (unshare: {reason})"
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(1)
    try:
        probe.connect(("127.0.0.1", 9))
    except OSError as exc:
        if exc.errno == errno.ENETUNREACH:
            return "isolated"
        return f"shared (loopback still answers: {exc.strerror})"
    finally:
        probe.close()
    return "shared (loopback still answers)"


def _prepare_process(memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    libc = _libc()
    # Every glibc malloc arena reserves 64 MB of address space, and RLIMIT_AS
    # counts reservations: with the default arenas the store would not even
    # open under 512 MB (measured), with two it opens under 192 MB.
    libc.mallopt(_M_ARENA_MAX, 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # crashes are expected; core dumps are not wanted


def _watch_parent() -> None:
    """Exit when the server is gone, even in the middle of a runaway query.

    (PR_SET_PDEATHSIG would fire when the *thread* that spawned us exits,
    which in the server is a pool thread, not the server.)"""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass


def _copy_budget(wanted: int, memory_mb: int) -> int:
    """How many quads this worker may copy into memory (store/mirror.py): 0 under a cap below 1 GB.

    Under RLIMIT_AS the copy costs address space, not only RSS. Measured as VmSize
    while a copy is made on glibc with two arenas: +192 MB for 5.7k quads, +211 MB
    for 93k (the copying thread's arena and stack, the dump, the loader's buffers):
    ~200 MB plus ~2.5 KB a quad, budgeted within a quarter of the room left after
    start-up, so the copy is never what a query runs out of (a 320 MB cap lost a
    query to it in the tests: a Rust allocation failure aborts the process)."""
    if wanted <= 0 or memory_mb < 1024:
        return 0
    room = memory_mb - max(0, _vm_mb())
    return max(0, min(wanted, int((room / 4 - 200) * 400)))


def _copy_when_idle(conn: Connection, mirror: Any, store_dir: Path, store: Any) -> None:
    """Wait for the next job; if none comes before the copy of `store_dir` is due, start it now.

    A worker otherwise starts its copy after a reply, so one that waits idle from spawn until a
    burst of scans would answer the first second or two of them from the disk (~20% more CPU
    each). Copying while idle delays no job of this worker's (the copy is made in a thread, the
    GIL released), though it takes a core for ~1 s per 100k quads."""
    try:
        wait = mirror.due_in(store_dir)
        while wait is not None and not conn.poll(wait):
            mirror.get(store_dir, store)
            wait = mirror.due_in(store_dir)
    except (EOFError, OSError):
        raise  # the pipe: the caller's to handle
    except Exception:  # noqa: BLE001 - no copy (MemoryMirror logs why): the disk answers
        pass


def _vm_mb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return -1


_NETWORK_HINTS = ("os error 101", "network is unreachable", "lookup address", "name resolution")


def _os_error(exc: OSError, job: dict[str, Any], network: str) -> tuple[int, str, str]:
    text = str(exc)
    if job.get("services"):
        return 502, "service_failed", f"an allow-listed SERVICE endpoint did not answer: {text}"
    if network == "isolated" and any(h in text.lower() for h in _NETWORK_HINTS):
        return 403, "network_refused", "the query tried to reach the network; query workers have no network access"
    return 503, "store_unavailable", f"the store could not be read: {text}"


class QueryWorker:
    """One worker's state: its store, its in-memory copy, and how it answers a job."""

    def __init__(self, conn: Connection, memory_mb: int, options: dict[str, Any], network: str):
        from ..store.mirror import MemoryMirror

        self.conn, self.memory_mb, self.network = conn, memory_mb, network
        self.prefixes: dict[str, str] = options.get("prefixes") or {}
        self.store: Any = None
        self.store_dir: str | None = None
        self.memory_quads = int(options.get("memory_quads", 0))
        self.mirror = MemoryMirror(0)  # sized by serve(), once the store the worker starts on is open
        self.idle_dir: str | None = None  # the version to copy while idle (set once started)

    def open(self, store_dir: str) -> None:
        """Open `store_dir` read-only (OSError if it cannot be)."""
        import pyoxigraph as ox

        self.store = None
        self.store = ox.Store.read_only(store_dir)
        self.store_dir = store_dir

    def serve(self, idle_copy: bool) -> None:
        """Answer jobs until the pipe closes or a None job arrives."""
        from ..store.mirror import MemoryMirror

        # Whole-store scans read an in-memory copy of small stores (~20% less CPU for a COUNT over
        # 93k quads), made in a thread while the worker waits for jobs, sized (with the store open)
        # so that the copy is never what a query runs out of (_copy_budget).
        self.mirror = MemoryMirror(_copy_budget(self.memory_quads, self.memory_mb))
        # Only the version the worker starts on is copied while idle: a later one (a write's snapshot)
        # waits for a second reply, so a burst of writes does not have every worker copy each version.
        if idle_copy and self.store is not None:
            self.idle_dir = self.store_dir
            self.mirror.get(Path(self.store_dir), self.store, start=False)  # due for a copy once settled
        while True:
            try:
                if self.idle_dir is not None and self.store_dir == self.idle_dir:
                    _copy_when_idle(self.conn, self.mirror, Path(self.idle_dir), self.store)
                job = self.conn.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
            self.conn.send(self.answer(job))
            self.copy_between_jobs()

    def answer(self, job: dict[str, Any]) -> tuple[Any, ...]:
        """The reply to one job: ("ok", kind, format, body, quads of the copy that answered or 0), or
        ("error", status, code, message). Serialized completely first: never half a body."""
        import pyoxigraph as ox

        from .formats import GRAPH_FORMATS, SOLUTION_FORMATS
        from .rdf_writer import write_rdf

        try:
            if self.store is None or self.store_dir != job["store_dir"]:
                try:
                    self.open(job["store_dir"])
                except OSError as exc:
                    return ("error", 503, "store_unavailable", f"the store could not be opened: {exc}")
            copy = self.mirror.get(Path(self.store_dir), self.store, start=False)
            source = copy if copy is not None else self.store
            kwargs: dict[str, Any] = {"base_iri": job.get("base_iri")}
            if job.get("default_graph"):
                kwargs["default_graph"] = [ox.NamedNode(g) for g in job["default_graph"]]
            else:
                kwargs["use_default_graph_as_union"] = True
            if job.get("named_graphs"):
                kwargs["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
            result = source.query(job["query"], **kwargs)
            out = _BoundedWriter(job["max_bytes"])
            if isinstance(result, (ox.QueryBoolean, ox.QuerySolutions)):
                kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
                fmt = job["solution_format"]
                result.serialize(out, SOLUTION_FORMATS[fmt][1])
            else:
                kind, fmt = "graph", job["graph_format"]
                write_rdf(result, out, GRAPH_FORMATS[fmt][1], self.prefixes)
            return ("ok", kind, fmt, out.value(), self.mirror.quads if copy is not None else 0)
        except _TooBig:
            return ("error", 413, "result_too_large", too_large(job["max_bytes"]))
        except SyntaxError as exc:
            return ("error", 400, "syntax_error", str(exc))
        except MemoryError:
            return ("error", 503, "memory_limit", "the query exceeded the worker's memory limit")
        except OSError as exc:
            return ("error", *_os_error(exc, job, self.network))
        except (ValueError, TypeError) as exc:
            return ("error", 400, "bad_request", str(exc))
        except Exception as exc:  # noqa: BLE001 - whatever the engine raises, the parent gets an answer
            return ("error", 400, "query_error", f"{type(exc).__name__}: {exc}")

    def copy_between_jobs(self) -> None:
        """Start the copy of the store in use, if due. Between queries, with the reply out: a query's
        own start never waits for a copy to begin (it is made in a thread, the GIL released)."""
        if self.store is not None and self.store_dir is not None:
            try:
                self.mirror.get(Path(self.store_dir), self.store)
            except Exception:  # noqa: BLE001 - no copy (MemoryMirror logs why): the disk answers
                pass


def main(conn: Connection, memory_mb: int, options: dict[str, Any] | None = None) -> None:
    options = options or {}
    _prepare_process(memory_mb)
    network = isolate_network() if options.get("isolate") else "shared (allow-listed SERVICE)"
    _watch_parent()  # after unshare: a user namespace can only be entered single-threaded

    import pyoxigraph  # noqa: F401 - loaded (with the mirror's module, below) before the cap is set

    worker = QueryWorker(conn, memory_mb, options, network)
    _limit_memory(memory_mb)
    warm = options.get("store_dir")
    if warm:
        # Prove, before taking any query, that the store opens under the memory cap.
        try:
            worker.open(warm)
            worker.store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True)
        except (OSError, MemoryError) as exc:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
    conn.send(("ready", os.getpid(), {"network": network, "vm_mb": _vm_mb(), "memory_mb": memory_mb}))
    worker.serve(bool(options.get("idle_copy")))


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through claimgraph.sparql.pool")
