"""The interface the CLI's `query` and `stats` read the store through (store/embedded.py).

The service does not use it: sparql/engine.py opens each store version with pyoxigraph
itself (killable workers, inline queries, in-memory copies), or, with CLAIMGRAPH_BACKEND=remote,
talks to a SPARQL server through store/remote.py; the build writes versions through
store/swap.py.
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

    def close(self) -> None: ...
