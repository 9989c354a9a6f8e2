"""The query worker: a child process that evaluates one query at a time.

It imports nothing but pyoxigraph, opens the store read-only (a directory no
one writes while it is open), caps its own address space, and answers over
a pipe. The parent kills it when a deadline passes; nothing here needs to
cooperate for that.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any


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


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass


def main(conn: Connection, memory_mb: int) -> None:
    import pyoxigraph as ox

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    _limit_memory(memory_mb)
    store = None
    store_dir = None
    solution_formats = {
        "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
    }
    graph_formats = {
        "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML,
    }
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            wanted_dir = job["store_dir"]
            if store is None or store_dir != wanted_dir:
                store = None
                store = ox.Store.read_only(wanted_dir)
                store_dir = wanted_dir
            kwargs: dict[str, Any] = {}
            if job.get("default_graph"):
                kwargs["default_graph"] = [ox.NamedNode(g) for g in job["default_graph"]]
            else:
                kwargs["use_default_graph_as_union"] = True
            if job.get("named_graphs"):
                kwargs["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
            result = store.query(job["query"], **kwargs)
            out = _BoundedWriter(job["max_bytes"])
            if isinstance(result, ox.QueryBoolean):
                kind, fmt = "boolean", job["solution_format"]
                result.serialize(out, solution_formats[fmt])
            elif isinstance(result, ox.QuerySolutions):
                kind, fmt = "solutions", job["solution_format"]
                result.serialize(out, solution_formats[fmt])
            else:
                kind, fmt = "graph", job["graph_format"]
                result.serialize(out, graph_formats[fmt])
            conn.send(("ok", kind, fmt, out.value()))
        except _TooBig:
            conn.send(("error", 413, "result_too_large",
                       f"the result is larger than {job['max_bytes']} bytes; add a LIMIT or narrow the query"))
        except SyntaxError as exc:
            conn.send(("error", 400, "syntax_error", str(exc)))
        except MemoryError:
            conn.send(("error", 503, "memory_limit", "the query exceeded the worker's memory limit"))
        except (ValueError, TypeError) as exc:
            conn.send(("error", 400, "bad_request", str(exc)))
        except OSError as exc:
            conn.send(("error", 500, "store_error", f"the store could not be read: {exc}"))
        except Exception as exc:  # noqa: BLE001 - whatever the engine raises, the parent gets an answer
            conn.send(("error", 400, "query_error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through claimgraph.sparql.pool")
