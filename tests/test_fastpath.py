"""The fast path (serve/fastpath.py) and the loop-driven worker pool (sparql/looppool.py),
end to end over HTTP against real `claimgraph serve` processes.

A repeated request must get the very bytes the full stack gave it, errors
must keep the one error shape and never be cached, writes must never leave
a stale answer behind, and deadlines must still kill runaway queries.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path

import httpx
import pytest

from liveserver import LiveServer, start_server

BENCH = Path(__file__).resolve().parents[1] / "bench"
BASE = "http://127.0.0.1:8000/id/"
JSON = "application/sparql-results+json"
CG = "https://w3id.org/claimgraph/ontology#"
TOKEN = "s3cret-token"
POINT = f"SELECT ?p ?o WHERE {{ <{BASE}article/syn-00001/sentence/s2> ?p ?o }}"


def point(n: int) -> str:
    """A point lookup no other test sends (each test starts from an empty cache for its queries)."""
    return f"SELECT ?p ?o WHERE {{ <{BASE}article/syn-00001/sentence/s{n}> ?p ?o }}"

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
BIG = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 400"  # tens of kB: large enough for GZip
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _bench_module(name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(f"bench_{name}_fp", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_store(root: Path, articles: int = 4) -> Path:
    """A store laid out as a build leaves it (store -> store.versions/…), holding a synthetic corpus:
    the benchmark's own corpus and store layout, at a test's size."""
    nq = root / "corpus.nq"
    _bench_module("corpus").write_corpus(nq, articles, BASE, seed_store=None)
    return _bench_module("servers").build_claimgraph_store(nq, root)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("fastpath")
    live = start_server(make_store(tmp), tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_CORS_ORIGINS": "*"})
    yield live
    live.stop()


def counter(client: httpx.Client, name: str) -> float:
    text = client.get("/metrics").text
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_a_repeated_query_gets_the_same_bytes_from_the_cache(server: LiveServer) -> None:
    with server.client() as c:
        hits = counter(c, "claimgraph_cache_hits_total")
        fast = counter(c, "claimgraph_fast_path_hits_total")
        first = c.get("/sparql", params={"query": point(3)}, headers={"Accept": JSON})
        second = c.get("/sparql", params={"query": point(3)}, headers={"Accept": JSON})
        assert first.status_code == second.status_code == 200
        assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
        assert second.content == first.content and len(first.json()["results"]["bindings"]) > 5
        assert second.headers["content-type"] == first.headers["content-type"]
        assert second.headers["vary"] == first.headers["vary"]
        assert counter(c, "claimgraph_cache_hits_total") >= hits + 1
        assert counter(c, "claimgraph_fast_path_hits_total") == fast + 1  # answered before FastAPI saw it


def test_a_different_accept_header_is_a_different_answer(server: LiveServer) -> None:
    with server.client() as c:
        as_json = c.get("/sparql", params={"query": point(4)}, headers={"Accept": JSON})
        as_csv = c.get("/sparql", params={"query": point(4)}, headers={"Accept": "text/csv"})
        again_csv = c.get("/sparql", params={"query": point(4)}, headers={"Accept": "text/csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert again_csv.content == as_csv.content != as_json.content


def test_post_form_and_direct_bodies_are_cached_like_get(server: LiveServer) -> None:
    with server.client() as c:
        via_get = c.get("/sparql", params={"query": COUNT}, headers={"Accept": JSON})
        for _ in range(2):
            form = c.post("/sparql", data={"query": COUNT}, headers={"Accept": JSON})
            direct = c.post("/sparql", content=COUNT.encode(),
                            headers={"Accept": JSON, "Content-Type": "application/sparql-query"})
            assert form.status_code == direct.status_code == 200
            assert form.json() == direct.json() == via_get.json()
        assert form.headers["x-cache"] == direct.headers["x-cache"] == "hit"


def test_errors_keep_the_error_shape_and_are_never_cached(server: LiveServer) -> None:
    with server.client() as c:
        bodies = []
        for _ in range(2):
            r = c.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"}, headers={"Accept": JSON})
            assert r.status_code == 400
            assert r.headers.get("x-cache") != "hit"
            body = r.json()
            assert body["ok"] is False and body["error"]["status"] == 400
            assert body["error"]["parameter"] == "query" and body["error"]["message"]
            bodies.append(body)
        assert bodies[0] == bodies[1]
        unsupported = c.post("/sparql", content=b"x", headers={"Content-Type": "text/plain"})
        assert unsupported.status_code == 415 and unsupported.json()["error"]["parameter"] == "Content-Type"
        bad_accept = c.get("/sparql", params={"query": POINT}, headers={"Accept": "image/png"})
        assert bad_accept.status_code == 406 and bad_accept.json()["error"]["parameter"] == "Accept"


def test_cors_and_gzip_requests_keep_their_middleware_effects(server: LiveServer) -> None:
    with server.client() as c:
        for _ in range(2):
            r = c.get("/sparql", params={"query": POINT},
                      headers={"Accept": JSON, "Origin": "https://example.org"})
            assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
        plain = c.get("/sparql", params={"query": BIG}, headers={"Accept": JSON, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and len(plain.content) > 4096
        for _ in range(2):
            raw = httpx.get(f"{server.url}/sparql", params={"query": BIG},
                            headers={"Accept": JSON, "Accept-Encoding": "gzip"}, timeout=30)
            # httpx decodes gzip for us; the headers tell what crossed the wire.
            assert raw.headers["content-encoding"] == "gzip" and raw.headers["x-cache"] == "hit"
            assert raw.content == plain.content
            assert int(raw.headers["content-length"]) < len(plain.content)


def test_a_write_is_seen_at_once_never_a_stale_cached_answer(server: LiveServer) -> None:
    with server.client() as c:
        before = c.get("/sparql", params={"query": COUNT}, headers={"Accept": JSON})
        cached = c.get("/sparql", params={"query": COUNT}, headers={"Accept": JSON})
        assert cached.headers["x-cache"] == "hit"
        n = int(before.json()["results"]["bindings"][0]["n"]["value"])
        update = f"INSERT DATA {{ GRAPH <{BASE}graph/bench-test> {{ <urn:x:a> <urn:x:b> \"fast path\" }} }}"
        w = c.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert w.status_code in (200, 204), w.text
        after = c.get("/sparql", params={"query": COUNT}, headers={"Accept": JSON})
        assert after.status_code == 200 and after.headers["x-cache"] == "miss"
        assert int(after.json()["results"]["bindings"][0]["n"]["value"]) == n + 1


def test_concurrent_queries_each_get_their_own_answer(server: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def ask(n: int) -> tuple[int, int, str]:
        sentence = n % 12 + 1
        q = (f"SELECT ?pos WHERE {{ <{BASE}article/syn-00002/sentence/s{sentence}> <{CG}position> ?pos "
             f"FILTER(?pos != {1000 + n}) }}")  # a different query text every time: no cache answers
        r = httpx.get(f"{server.url}/sparql", params={"query": q}, headers={"Accept": JSON}, timeout=60)
        rows = r.json()["results"]["bindings"] if r.status_code == 200 else []
        return r.status_code, sentence, rows[0]["pos"]["value"] if rows else ""

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(ask, range(48)))
    assert all(status == 200 for status, _s, _p in results), results
    assert all(pos == str(sentence) for _st, sentence, pos in results), results  # no answer crossed over


def test_a_runaway_query_is_stopped_and_the_pool_recovers(server: LiveServer) -> None:
    with server.client() as c:
        before = c.get("/health").json()["workers"]
        r = c.get("/sparql", params={"query": RUNAWAY, "timeout": "0.5"}, headers={"Accept": JSON})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "timeout" and "retry-after" in r.headers
        for _ in range(3):  # more than the workers: every one of them answers again
            ok = c.get("/sparql", params={"query": f"ASK {{ <{BASE}article/syn-00002> ?p ?o }}"},
                       headers={"Accept": JSON})
            assert ok.status_code == 200 and ok.json()["boolean"] is True
        workers = c.get("/health").json()["workers"]
        assert workers["timeouts"] == before["timeouts"] + 1
        deadline = time.monotonic() + 20
        while workers["respawns"] < before["respawns"] + 1 and time.monotonic() < deadline:
            time.sleep(0.1)  # the replacement is spawned in the background
            workers = c.get("/health").json()["workers"]
        assert workers["respawns"] == before["respawns"] + 1 and workers["size"] == before["size"]
        assert server.alive()


def _unordered(r: httpx.Response) -> object:
    """A SELECT answer's rows as a sorted list, a Turtle graph's triples as a sorted list (no ORDER
    BY: queries may read an in-memory copy of the store, whose order is not the disk store's); any
    other answer as its bytes."""
    if r.headers["content-type"].startswith(JSON) and "results" in r.json():
        body = r.json()
        return body["head"], sorted(repr(sorted(b.items())) for b in body["results"]["bindings"])
    if r.headers["content-type"].startswith("text/turtle"):
        import pyoxigraph as ox

        return sorted(str(t) for t in ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    return r.content


def test_thread_and_loop_pools_give_identical_answers(server: LiveServer, tmp_path: Path) -> None:
    thread = start_server(make_store(tmp_path), tmp_path, env={"CLAIMGRAPH_POOL_IO": "thread",
                                                              "CLAIMGRAPH_FAST_PATH": "0"})
    try:
        queries = [POINT, BIG, f"ASK {{ <{BASE}article/syn-00003> ?p ?o }}",
                   f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ <{BASE}article/syn-00001/sentence/s1> ?p ?o BIND(<urn:s> AS ?s) }}"]
        for q in queries:
            answers = []
            for live in (server, thread):
                r = httpx.get(f"{live.url}/sparql", params={"query": q}, headers={"Accept": f"{JSON}, text/turtle"},
                              timeout=30)
                assert r.status_code == 200
                answers.append((r.headers["content-type"], _unordered(r)))
            assert answers[0] == answers[1], q
        slow = httpx.get(f"{thread.url}/sparql", params={"query": RUNAWAY, "timeout": "0.5"}, timeout=30)
        assert slow.status_code == 503 and slow.json()["error"]["code"] == "timeout"
    finally:
        thread.stop()


def test_unknown_middleware_turns_the_fast_path_off(tmp_path: Path) -> None:
    from starlette.middleware.base import BaseHTTPMiddleware

    from claimgraph.api.app import create_app
    from claimgraph.serve.fastpath import FastPath
    from claimgraph.config import Settings

    settings = Settings().with_overrides(store=make_store(tmp_path, articles=1))
    plain = create_app(settings)
    assert FastPath(plain).enabled and FastPath(plain).endpoint is not None

    async def passthrough(request, call_next):  # noqa: ANN001, ANN202
        return await call_next(request)

    guarded = create_app(settings)
    guarded.add_middleware(BaseHTTPMiddleware, dispatch=passthrough)
    assert not FastPath(guarded).enabled


def test_the_lean_get_lane_answers_exactly_as_the_full_stack(server: LiveServer, tmp_path: Path) -> None:
    """GET ?query= alone skips Starlette's Request/Response (serve/fastpath.py `_lean`): same bytes, same errors."""
    full = start_server(make_store(tmp_path), tmp_path, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN,
                                                            "CLAIMGRAPH_CORS_ORIGINS": "*", "CLAIMGRAPH_FAST_PATH": "0"})
    plain = {"Accept-Encoding": "identity"}  # gzip would send the request through the full stack anyway
    cases = [
        (f"query={point(31).replace(' ', '+')}", JSON),  # '+' for spaces, as HTML forms encode them
        ("query=" + httpx.QueryParams({"q": point(32)})["q"].replace(" ", "%20"), f"{JSON};q=0.5, text/csv"),
        ("query=" + str(httpx.QueryParams({"q": BIG})).split("=", 1)[1], "application/sparql-results+xml"),
        ("query=" + str(httpx.QueryParams({"q": f"ASK {{ <{BASE}article/syn-00002> ?p ?o FILTER(?p != <urn:lean>) }}"})).split("=", 1)[1],
         None),
        ("query=SELECT+%3Fx+WHERE+%7B", JSON),  # syntax error: 400 with the parser's message
        ("query=" + str(httpx.QueryParams({"q": POINT})).split("=", 1)[1], "image/png"),  # 406
        ("query=INSERT+DATA+%7B%3Curn%3Aa%3E+%3Curn%3Ab%3E+%3Curn%3Ac%3E%7D", JSON),  # update sent as a query
        ("query=+++", JSON),  # blank: left to protocol.parse
        ("query=%FF", JSON),  # not UTF-8: left to protocol.parse
        (f"query={point(33).replace(' ', '+')}&query=ASK%7B%7D", JSON),  # two queries: left to protocol.parse
    ]
    try:
        for qs, accept in cases:
            replies = []
            for live in (server, full):
                headers = dict(plain, **({"Accept": accept} if accept else {}))
                r = httpx.get(f"{live.url}/sparql?{qs}", headers=headers, timeout=30)
                kept = {k: v for k, v in r.headers.items() if k not in ("date", "server")}
                replies.append((r.status_code, kept, r.content))
            assert replies[0] == replies[1], qs
            if replies[0][0] >= 400:
                assert replies[0][2].startswith(b'{"ok":false'), qs
    finally:
        full.stop()


def test_the_lean_lane_reads_a_query_string_as_the_protocol_parser_does() -> None:
    """Whatever `_lone_query` accepts, protocol.parse reads as the same single query (fuzzed)."""
    import random
    from urllib.parse import quote

    from claimgraph.api.errors import ApiError
    from claimgraph.serve.fastpath import _lone_query
    from claimgraph.api.protocol import _pairs_from_qs, _single

    rng = random.Random(7)
    pieces = ["query=", "query", "=", "&", ";", "+", "%20", "%2B", "%26", "%3D", "%", "%F", "%FF", "%C3%A9", "%E2%82",
              "%00", "%ED%A0%80", "a", "SELECT", " ", "\t", "é", "?x", "{", "}", "<", ">", "#", "format=json"]
    accepted = 0
    for _ in range(20000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.2:
            raw = "query=" + quote(raw, safe=rng.choice(["", "=&", "+%"]))
        data = raw.encode("utf-8")
        text = _lone_query(data)
        if text is None:
            continue
        accepted += 1
        pairs = _pairs_from_qs(data.decode("utf-8"), "the URL query string")  # must not raise: no 400 skipped
        assert [k for k, _v in pairs] == ["query"], raw
        assert _single(pairs, "query") == text, raw
        assert text.strip(), raw
    assert accepted > 500  # the fuzz did reach the lane
    with pytest.raises(ApiError):
        _pairs_from_qs("query=%FF", "the URL query string")
    assert _lone_query(b"query=%FF") is None
