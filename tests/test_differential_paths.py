"""Every execution path gives the engine's answer: generated queries, plain pyoxigraph as the judge.

Hypothesis builds queries over the data's own shapes (subjects, predicates, classes and literals
read from the store: point lookups, joins along real edges, type scans, FILTERs, OPTIONAL,
DISTINCT, ORDER BY with LIMIT, ASK, COUNT with GROUP BY, VALUES). Each is answered by
pyoxigraph on the same store directory, and over HTTP by claimgraph servers with the speed
mechanisms in different positions:

    default   response cache, answer cache, inline evaluation, in-memory copies, loop pipe reads
    plain     all of them off, a thread per worker exchange, no fast lane
    mixed     inline on but on the disk store, no response cache, thread pipe reads

Each query is sent twice per server (the second may be answered by a cache), by GET and by POST.
Results are compared as multisets of rows (as ordered lists where the query orders every
projected variable), blank-node labels normalised. The number of examples is bounded for CI
(fixed seed); CLAIMGRAPH_FUZZ_EXAMPLES sets more (`make fuzz`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.liveserver import LiveServer, start_server
from support.stores import make_store

JSON = "application/sparql-results+json"
EXAMPLES = int(os.environ.get("CLAIMGRAPH_FUZZ_EXAMPLES", "60"))
pytestmark = pytest.mark.timeout(max(300, 2 * EXAMPLES))  # ~0.3 s an example: longer runs need longer
CONFIGS = {
    "default": {},
    "plain": {"CLAIMGRAPH_FAST_PATH": "0", "CLAIMGRAPH_INLINE": "0", "CLAIMGRAPH_MEMORY_QUADS": "0",
              "CLAIMGRAPH_CACHE_ENTRIES": "0", "CLAIMGRAPH_POOL_IO": "thread", "CLAIMGRAPH_FAST_LANE_MS": "0"},
    "mixed": {"CLAIMGRAPH_FAST_PATH": "0", "CLAIMGRAPH_MEMORY_QUADS": "0", "CLAIMGRAPH_POOL_IO": "thread"},
}


class World:
    """The store under test, its servers, and the terms queries are built from."""

    def __init__(self, store: Path, servers: dict[str, LiveServer]):
        self.store_dir = store.resolve()  # the version directory the link points at
        self.servers = servers
        self.ox = ox.Store.read_only(str(self.store_dir))
        self.subjects = self._column("SELECT DISTINCT ?x WHERE { ?x ?p ?o } ORDER BY ?x LIMIT 300")
        self.predicates = self._column("SELECT DISTINCT ?x WHERE { ?s ?x ?o } ORDER BY ?x")
        self.classes = self._column("SELECT DISTINCT ?x WHERE { ?s a ?x } ORDER BY ?x")
        # Edges between resources: (predicate, predicate of the object) pairs that really chain.
        self.chains = [(r["p"], r["q"]) for r in self._rows(
            "SELECT DISTINCT ?p ?q WHERE { ?s ?p ?o . ?o ?q ?v FILTER(isIRI(?o)) } ORDER BY ?p ?q LIMIT 200")]
        self.literals = self._column(
            "SELECT DISTINCT ?x WHERE { ?s ?p ?x FILTER(isLiteral(?x) && STRLEN(STR(?x)) < 40) } ORDER BY ?x LIMIT 200")

    def _rows(self, sparql: str) -> list[dict[str, str]]:
        result = self.ox.query(sparql, use_default_graph_as_union=True)
        names = [v.value for v in result.variables]
        return [{n: str(row[n]) for n in names} for row in result]

    def _column(self, sparql: str) -> list[str]:
        return [r["x"] for r in self._rows(sparql)]

    def reference(self, sparql: str) -> tuple[int, Any]:
        """What pyoxigraph itself answers: (200, result) or (400, None) for a query it refuses."""
        try:
            result = self.ox.query(sparql, use_default_graph_as_union=True)
        except SyntaxError:
            return 400, None
        return 200, json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    servers: dict[str, LiveServer] = {}
    root = tmp_path_factory.mktemp("differential")
    store = make_store(root, articles=3)
    try:
        for name, env in CONFIGS.items():
            # Every server reads the same read-only version directory: none of them writes.
            servers[name] = start_server(store, root, env=env)
        yield World(store, servers)
    finally:
        for live in servers.values():
            live.stop()


def queries(w: World) -> st.SearchStrategy[tuple[str, bool]]:
    """(query text, whether its rows come in a total order). Terms are written as pyoxigraph's
    str() gives them, which is their SPARQL form: <iri>, "lit"@en, "1"^^<datatype>."""
    s, p, c, lit = (st.sampled_from(w.subjects), st.sampled_from(w.predicates), st.sampled_from(w.classes),
                    st.sampled_from(w.literals or ['"none"']))
    limit = st.integers(1, 40)
    point = st.builds(lambda s_, f: (f"SELECT ?p ?o WHERE {{ {s_} ?p ?o {f} }}", False), s,
                      st.sampled_from(["", "FILTER(isLiteral(?o))", "FILTER(?p != <urn:x:none>)", "FILTER(isIRI(?o))"]))
    ordered_point = st.builds(lambda s_, n: (f"SELECT ?p ?o WHERE {{ {s_} ?p ?o }} ORDER BY ?p ?o LIMIT {n}", True),
                              s, limit)
    typed = st.builds(lambda c_, n: (f"SELECT ?x WHERE {{ ?x a {c_} }} ORDER BY ?x LIMIT {n}", True), c, limit)
    chain = st.builds(lambda pq, n, d: (f"SELECT {d}?s ?v WHERE {{ ?s {pq[0]} ?o . ?o {pq[1]} ?v }} "
                                        f"ORDER BY ?s ?v LIMIT {n}", True),
                      st.sampled_from(w.chains or [(w.predicates[0], w.predicates[0])]), limit,
                      st.sampled_from(["", "DISTINCT "]))
    rooted = st.builds(lambda s_, pq: (f"SELECT ?o ?v WHERE {{ {s_} {pq[0]} ?o . OPTIONAL {{ ?o {pq[1]} ?v }} }}", False),
                       s, st.sampled_from(w.chains or [(w.predicates[0], w.predicates[0])]))
    by_value = st.builds(lambda p_, l_: (f"SELECT ?s WHERE {{ ?s {p_} {l_} }}", False), p, lit)
    ask = st.builds(lambda s_, p_: (f"ASK {{ {s_} {p_} ?o }}", False), s, p)
    count = st.builds(lambda p_: (f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ ?s {p_} ?o . OPTIONAL {{ ?s a ?t }} }} "
                                  "GROUP BY ?t", False), p)
    values = st.builds(lambda ss, p_: (f"SELECT ?s ?o WHERE {{ VALUES ?s {{ {' '.join(ss)} }} ?s {p_} ?o }}", False),
                       st.lists(s, min_size=1, max_size=4), p)
    broken = st.builds(lambda s_: (f"SELECT ?o WHERE {{ {s_} ?p ", False), s)
    return st.one_of(point, ordered_point, typed, chain, rooted, by_value, ask, count, values, broken)


def _normalised(result: Any, ordered: bool) -> Any:
    if "boolean" in result:
        return result["boolean"]
    labels: dict[str, str] = {}

    def cell(term: dict[str, str] | None) -> tuple[str, ...] | None:
        if term is None:
            return None
        if term["type"] == "bnode":  # labels are per result set: compare by first appearance
            return ("bnode", labels.setdefault(term["value"], f"b{len(labels)}"))
        return (term["type"], term["value"], term.get("datatype", ""), term.get("xml:lang", ""))

    names = result["head"]["vars"]
    rows = [tuple(cell(b.get(n)) for n in names) for b in result["results"]["bindings"]]
    return (names, rows) if ordered else (names, sorted(rows, key=repr))


def _ask(live: LiveServer, sparql: str, post: bool) -> tuple[int, Any]:
    url = f"{live.url}/sparql"
    if post:
        r = httpx.post(url, data={"query": sparql}, headers={"Accept": JSON}, timeout=60)
    else:
        r = httpx.get(url, params={"query": sparql}, headers={"Accept": JSON}, timeout=60)
    if r.status_code != 200:
        body = r.json()
        assert body["ok"] is False and body["error"]["status"] == r.status_code, r.text
        return r.status_code, None
    return 200, r.json()


def test_every_path_answers_as_the_engine_does(world: World) -> None:
    assert world.subjects and world.predicates and world.classes and world.chains

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(queries(world))
    def check(case: tuple[str, bool]) -> None:
        sparql, ordered = case
        status, expected = world.reference(sparql)
        want = _normalised(expected, ordered) if expected is not None else None
        for name, live in world.servers.items():
            for attempt, post in ((1, False), (2, False), (3, True)):
                got_status, got = _ask(live, sparql, post)
                assert got_status == status, (name, attempt, sparql)
                if got is not None:
                    assert _normalised(got, ordered) == want, (name, attempt, sparql)

    check()
    # The default server did take its shortcuts on these queries; the plain one took none.
    metrics = httpx.get(f"{world.servers['default'].url}/metrics", timeout=10).text
    assert _counter(metrics, "claimgraph_inline_queries_total") > 0
    assert _counter(metrics, "claimgraph_fast_path_hits_total") > 0
    plain = httpx.get(f"{world.servers['plain'].url}/metrics", timeout=10).text
    assert _counter(plain, "claimgraph_inline_queries_total") == 0
    assert _counter(plain, "claimgraph_cache_hits_total") == 0


def _counter(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0
