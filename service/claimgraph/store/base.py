"""The small interface between claimgraph and its RDF storage.

Everything above this line (CLI, HTTP, named queries) talks to a GraphStore;
the embedded pyoxigraph store is one implementation, a remote SPARQL 1.1
server is meant to be another, selected by configuration alone.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

QueryResult = Any  # pyoxigraph QuerySolutions | QueryBoolean | QueryTriples


@runtime_checkable
class GraphStore(Protocol):
    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> QueryResult: ...

    def update(self, sparql: str) -> None: ...

    def named_graphs(self) -> list[str]: ...

    def triple_counts(self) -> dict[str, int]: ...

    @property
    def version(self) -> str: ...

    def close(self) -> None: ...
