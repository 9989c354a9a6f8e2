"""The engine's own results: pyoxigraph in this process, asked exactly what the servers are asked.

The reference claimgraph must match: whatever it adds in front of the engine (gate, inline
evaluation, in-memory copies, workers, answer cache, result writers) must not lose a test.
Same Driver interface as evaluation.Driver, answers shaped like HTTP responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

BASE = "http://engine.invalid/sparql"  # the base the servers give (their endpoint); any IRI will do
SOLUTIONS = {"application/sparql-results+xml": ox.QueryResultsFormat.XML,
             "text/tab-separated-values": ox.QueryResultsFormat.TSV, "text/csv": ox.QueryResultsFormat.CSV}


@dataclass
class Answer:
    status_code: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class _Info:
    name = "engine"

    @staticmethod
    def syntax_error(status: int, body: str) -> bool:
        return status == 400


class EngineDriver:
    def __init__(self) -> None:
        self.s = _Info()
        self.store = ox.Store()

    def reset(self) -> None:
        self.store = ox.Store()

    def put(self, graph: str | None, data: bytes) -> None:
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self.store.clear_graph(target)
        self.store.load(data, ox.RdfFormat.N_TRIPLES, to_graph=target)

    def update(self, text: str, params: dict | None = None) -> Answer:
        try:
            self.store.update(text, base_iri=BASE)
        except SyntaxError as exc:
            return Answer(400, str(exc).encode())
        except Exception as exc:  # noqa: BLE001 - an evaluation error, as a server's 500
            return Answer(500, str(exc).encode())
        return Answer(204)

    def query(self, text: str, accept: str, params: list[tuple[str, str]]) -> Answer:
        kwargs: dict = {"base_iri": BASE}
        defaults = [ox.NamedNode(v) for k, v in params if k == "default-graph-uri"]
        named = [ox.NamedNode(v) for k, v in params if k == "named-graph-uri"]
        if defaults:
            kwargs["default_graph"] = defaults
            kwargs["named_graphs"] = named
        try:
            result = self.store.query(text, **kwargs)
            if isinstance(result, ox.QueryTriples):
                return Answer(200, result.serialize(format=ox.RdfFormat.N_TRIPLES),
                              {"content-type": "application/n-triples"})
            media = accept.split(",")[0].split(";")[0].strip()
            fmt = SOLUTIONS.get(media, ox.QueryResultsFormat.JSON)
            if fmt == ox.QueryResultsFormat.JSON:
                media = "application/sparql-results+json"
            return Answer(200, result.serialize(format=fmt), {"content-type": media})
        except SyntaxError as exc:
            return Answer(400, str(exc).encode())
        except Exception as exc:  # noqa: BLE001
            return Answer(500, str(exc).encode())

    def graph(self, iri: str) -> set[str]:
        from . import compare

        data = self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(iri))
        return set(compare.parse_triples(data, ox.RdfFormat.N_TRIPLES))
