"""The response cache (serve/response_cache.py) and the loop-driven worker pool (sparql/looppool.py),
end to end over HTTP against real `claimgraph serve` processes.

A repeated request must get the very bytes the app gave it, a request that differs in any keyed
header must never get another's, errors must keep the one error shape and never be cached,
writes must never leave a stale answer behind, and deadlines must still kill runaway queries.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from support.liveserver import LiveServer, start_server
from support.stores import make_store

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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("response-cache")
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
        assert counter(c, "claimgraph_fast_path_hits_total") == fast + 1  # answered before the app saw it


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
    if r.headers["content-type"].startswith("text/csv"):
        head, *rows = r.content.split(b"\r\n")
        return head, sorted(rows)
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


def test_a_request_differing_in_a_keyed_header_never_gets_another_clients_bytes(server: LiveServer) -> None:
    """Authorization, Accept, Host and Origin are all in the key: each variant goes through the app
    the first time (the response cache's hit counter does not move), and only an identical request
    is answered from the cache."""
    q = point(21)
    variants = [{"Accept": JSON}, {"Accept": JSON, "Authorization": f"Bearer {TOKEN}"},
                {"Accept": JSON, "Authorization": "Bearer wrong"}, {"Accept": "text/csv"},
                {"Accept": JSON, "Host": "other.example:8000"}, {"Accept": JSON, "Origin": "https://a.example"}]
    with server.client() as c:
        for headers in variants:
            hits = counter(c, "claimgraph_fast_path_hits_total")
            first = c.get("/sparql", params={"query": q}, headers=headers)
            assert counter(c, "claimgraph_fast_path_hits_total") == hits, headers  # not an earlier variant's bytes
            again = c.get("/sparql", params={"query": q}, headers=headers)
            assert counter(c, "claimgraph_fast_path_hits_total") == hits + 1, headers
            assert first.status_code == again.status_code == 200, headers
            assert again.headers["x-cache"] == "hit" and again.content == first.content, headers
        with_origin = c.get("/sparql", params={"query": q}, headers={"Accept": JSON, "Origin": "https://a.example"})
        without = c.get("/sparql", params={"query": q}, headers={"Accept": JSON})
        assert with_origin.headers.get("access-control-allow-origin") == "*"
        assert "access-control-allow-origin" not in without.headers


def test_every_speed_setting_off_gives_the_same_answers(tmp_path: Path) -> None:
    """The plain path (no response cache, no inline evaluation, no in-memory copies, a thread per
    worker exchange) against the default one: same statuses, media types and results."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    server = start_server(make_store(tmp_path / "a"), tmp_path / "a", env={"CLAIMGRAPH_CORS_ORIGINS": "*"})
    plain = start_server(make_store(tmp_path / "b"), tmp_path / "b", env={
        "CLAIMGRAPH_FAST_PATH": "0", "CLAIMGRAPH_INLINE": "0", "CLAIMGRAPH_MEMORY_QUADS": "0",
        "CLAIMGRAPH_POOL_IO": "thread", "CLAIMGRAPH_CACHE_ENTRIES": "0", "CLAIMGRAPH_FAST_LANE_MS": "0",
        "CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_CORS_ORIGINS": "*"})
    queries = [POINT, point(22), BIG, COUNT, f"ASK {{ <{BASE}article/syn-00003> ?p ?o }}",
               "SELECT ?x WHERE { ?x ?y }", f"SELECT * WHERE {{ <{BASE}article/syn-00001> ?p ?o }} ORDER BY ?p ?o",
               f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ <{BASE}article/syn-00001/sentence/s1> ?p ?o BIND(<urn:s> AS ?s) }}"]
    try:
        for q in queries:
            for accept in (JSON, "text/csv", "text/turtle", "image/png"):
                replies = []
                for live in (server, plain):
                    for _ in range(2):  # the second may come from a cache on the default path
                        r = httpx.get(f"{live.url}/sparql", params={"query": q}, headers={"Accept": accept},
                                      timeout=30)
                        replies.append((r.status_code, r.headers["content-type"].split(";")[0],
                                        _unordered(r) if r.status_code == 200 else r.json()))
                assert all(reply == replies[0] for reply in replies), (q, accept)
        with server.client() as c:  # the default path did take its shortcuts
            assert counter(c, "claimgraph_inline_queries_total") > 0
            assert counter(c, "claimgraph_fast_path_hits_total") > 0
        with plain.client() as c:
            assert counter(c, "claimgraph_inline_queries_total") == counter(c, "claimgraph_fast_path_hits_total") == 0
    finally:
        server.stop()
        plain.stop()


def test_the_quick_query_string_reading_agrees_with_the_general_one() -> None:
    """Whatever protocol.lone_query accepts, the general reading takes as the same single query (fuzzed)."""
    import random
    from urllib.parse import quote

    from claimgraph.api.errors import ApiError
    from claimgraph.api.protocol import _pairs_from_qs, _single, lone_query

    rng = random.Random(7)
    pieces = ["query=", "query", "=", "&", ";", "+", "%20", "%2B", "%26", "%3D", "%", "%F", "%FF", "%C3%A9", "%E2%82",
              "%00", "%ED%A0%80", "a", "SELECT", " ", "\t", "é", "?x", "{", "}", "<", ">", "#", "format=json"]
    accepted = 0
    for _ in range(20000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.2:
            raw = "query=" + quote(raw, safe=rng.choice(["", "=&", "+%"]))
        data = raw.encode("utf-8")
        text = lone_query(data)
        if text is None:
            continue
        accepted += 1
        pairs = _pairs_from_qs(data.decode("utf-8"), "the URL query string")  # must not raise: no 400 skipped
        assert [k for k, _v in pairs] == ["query"], raw
        assert _single(pairs, "query") == text, raw
        assert text.strip(), raw
    assert accepted > 500  # the fuzz did reach the quick reading
    with pytest.raises(ApiError):
        _pairs_from_qs("query=%FF", "the URL query string")
    assert lone_query(b"query=%FF") is None
