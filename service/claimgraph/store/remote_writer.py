"""Writes through the API to a remote backend: the embedded writer's interface (store/writer.py).

The API's write actions (api/writes.py, api/graph_store.py) are functions of a pyoxigraph
Store; here they get a stand-in with the five methods they use, each a SPARQL Update or an
ASK sent to the server. After each write the backend's state version is moved on, so that
every front end (this one at once, others within their poll) stops answering from caches of
the state before it. Failures read as the embedded store's: a syntax error as pyoxigraph's
SyntaxError (checked here first, on an empty store, unless the update LOADs), a refused
update as RuntimeError.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

import pyoxigraph as ox

from .remote import RemoteError, RemoteStore
from .remote_graphs import after_write, written_graphs
from .remote_locator import RemoteLocator

T = TypeVar("T")


class RemoteWriteStore:
    """What a write action may call, as on a pyoxigraph Store."""

    def __init__(self, remote: RemoteStore):
        self.remote = remote
        self.touched: set[str] = set()  # graphs the updates named as written (store/remote_graphs.py)
        self.unknown = False            # an update that may have written graphs it does not name

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        if "LOAD" not in sparql.upper():
            # The same parser as embedded, so the same syntax errors; an empty store makes it cheap
            # (nothing to match) and harmless (LOAD, which would reach out, is never run here).
            try:
                ox.Store().update(sparql, base_iri=base_iri)
            except SyntaxError:
                raise
            except Exception:  # noqa: BLE001 - e.g. DROP GRAPH of a graph the empty store lacks: the server judges
                pass
        named, unknown = written_graphs(sparql, base_iri)
        self.touched |= named
        self.unknown |= unknown
        try:
            self.remote.update(sparql, base_iri)
        except RemoteError as exc:
            if exc.status == 400:
                raise RuntimeError(exc.message) from None
            raise

    def contains_named_graph(self, graph: ox.NamedNode) -> bool:
        return bool(self.remote.query("ASK { GRAPH ?g { } }", {"g": graph}, union=False))

    def named_graphs(self) -> list[ox.NamedNode]:
        return [ox.NamedNode(g) for g in self.remote.graph_names()]

    def clear_graph(self, graph: Any) -> None:
        self.update("CLEAR DEFAULT" if isinstance(graph, ox.DefaultGraph) else f"CLEAR GRAPH <{graph.value}>")

    def remove_graph(self, graph: ox.NamedNode) -> None:
        self.update(f"DROP GRAPH <{graph.value}>")


class RemoteWriter:
    def __init__(self, remote: RemoteStore, locator: RemoteLocator, dataset_iri: str, void_graph: str):
        self.remote = remote
        self.locator = locator
        self.dataset_iri = dataset_iri
        self.void_graph = void_graph
        self._lock = threading.Lock()
        self.writes = 0

    def start(self) -> None:
        """Nothing to open: the server holds the state."""

    def write(self, action: Callable[[Any], T]) -> T:
        with self._lock:
            target = RemoteWriteStore(self.remote)
            try:
                result = action(target)
            finally:  # a failed action may have applied some of its updates
                if target.touched or target.unknown:
                    after_write(self.remote, target.touched, target.unknown)
            self.writes += 1
            self.locator.known(self.remote.bump_version(self.dataset_iri, self.void_graph))
            return result
