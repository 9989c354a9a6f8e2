"""The embedded, on-disk pyoxigraph store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox

from .swap import current_version_dir


class EmbeddedStore:
    """A pyoxigraph store on disk. Queries see the union of named graphs by default."""

    def __init__(self, path: Path, read_only: bool = True):
        self.path = Path(path)
        target = current_version_dir(self.path)
        if target is None:
            raise FileNotFoundError(f"no built store at {self.path} (run `claimgraph build`)")
        self.dir = target
        self._store = ox.Store.read_only(str(target)) if read_only else ox.Store(str(target))

    @property
    def raw(self) -> ox.Store:
        return self._store

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {}
        if default_graph:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        return self._store.query(sparql, **kwargs)

    def update(self, sparql: str) -> None:
        self._store.update(sparql)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def triple_counts(self) -> dict[str, int]:
        q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        return {row["g"].value: int(row["n"].value) for row in self._store.query(q)}

    def close(self) -> None:
        # pyoxigraph closes on drop; dropping our reference is all we can do.
        self._store = None  # type: ignore[assignment]
