"""Cache hits answered by the HTTP protocol itself (serve/hitprotocol.py), over raw sockets.

The bytes must be what uvicorn's ASGI path writes for the same answer,
responses must stay in order when requests are pipelined, and anything but
a plain keep-alive GET (HTTP/1.0, Connection: close, HEAD) must keep its
own semantics.
"""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import quote

import httpx
import pytest

from liveserver import LiveServer, start_server
from test_fastpath import make_store

BASE = "http://127.0.0.1:8000/id/"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("hitprotocol")
    server = start_server(make_store(tmp), tmp)
    wait_for_inline(server)
    yield server
    server.stop()


def wait_for_inline(live: LiveServer, since: float = 0) -> None:
    """Until the store's fan-out is measured (a worker does it after the first query, and again after
    each write), nothing runs inline: wait until the inline count passes `since`."""
    deadline = time.monotonic() + 30
    n = 0
    while counter(live, "claimgraph_inline_queries_total") <= since:
        assert time.monotonic() < deadline, "no query ran inline within 30 s"
        n += 1
        c = Conn(live)
        c.send(request(path_for(1000 + n)))
        c.response()
        c.close()
        time.sleep(0.05)


def request(path: str, version: str = "1.1", method: str = "GET", extra: str = "") -> bytes:
    return (f"{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n"
            f"Accept: application/sparql-results+json\r\n{extra}\r\n").encode()


def path_for(n: int) -> str:
    q = f"SELECT ?p ?o WHERE {{ <{BASE}article/syn-00001/sentence/s{n}> ?p ?o }}"
    return "/sparql?query=" + quote(q, safe="")


class Conn:
    def __init__(self, live: LiveServer):
        host, port = live.url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, head: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._more()
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        length = 0 if head else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body

    def closed_by_server(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def counter(live: LiveServer, name: str) -> float:
    c = Conn(live)
    c.send(request("/metrics"))
    _s, _h, body = c.response()
    c.close()
    m = re.search(rf"^{name} ([0-9.e+]+)$", body.decode(), re.M)
    return float(m.group(1)) if m else 0.0


def hits(live: LiveServer) -> float:
    return counter(live, "claimgraph_fast_path_hits_total")


def test_a_hit_is_the_same_response_as_the_miss_that_made_it(live: LiveServer) -> None:
    c = Conn(live)
    before = hits(live)
    c.send(request(path_for(1)))
    first = c.response()
    c.send(request(path_for(1)))
    second = c.response()
    c.close()
    assert first[0] == second[0] == 200
    assert first[1]["x-cache"] == "miss" and second[1]["x-cache"] == "hit"
    assert first[2] == second[2] and b'"bindings"' in first[2]
    drop = ("date", "x-cache")
    assert {k: v for k, v in first[1].items() if k not in drop} == {k: v for k, v in second[1].items() if k not in drop}
    assert "date" in second[1] and second[1]["server"] == first[1]["server"]
    assert hits(live) == before + 1


def test_pipelined_requests_are_answered_in_order(live: LiveServer) -> None:
    warm = Conn(live)
    for n in (2, 3):
        warm.send(request(path_for(n)))
        assert warm.response()[0] == 200
    warm.close()
    c = Conn(live)
    # hit, miss (new query), hit, an error, hit: one write, five answers in that order
    c.send(request(path_for(2)) + request(path_for(4)) + request(path_for(3))
           + request("/sparql?query=SELECT") + request(path_for(2)))
    got = [c.response() for _ in range(5)]
    c.close()
    assert [g[0] for g in got] == [200, 200, 200, 400, 200]
    assert [g[1].get("x-cache") for g in got] == ["hit", "miss", "hit", None, "hit"]
    assert got[0][2] == got[4][2] and len({got[0][2], got[1][2], got[2][2]}) == 3
    assert b'"ok":false' in got[3][2]


def test_http10_connection_close_and_head_keep_their_semantics(live: LiveServer) -> None:
    warm = Conn(live)
    warm.send(request(path_for(5)))
    status, _h, body = warm.response()
    assert status == 200
    warm.send(request(path_for(5), method="HEAD"))
    head_status, _head_headers, _none = warm.response(head=True)
    assert head_status == 405  # /sparql takes GET and POST; HEAD is not a hit to replay
    warm.send(request(path_for(5)))  # no stray body bytes were written after the HEAD answer
    again_status, again_headers, again = warm.response()
    assert again_status == 200 and again == body and again_headers["x-cache"] == "hit"
    warm.close()

    old = Conn(live)
    old.send(request(path_for(5), version="1.0"))
    s10, h10, b10 = old.response()
    assert s10 == 200 and b10 == body and old.closed_by_server()
    old.close()

    closing = Conn(live)
    closing.send(request(path_for(5), extra="Connection: close\r\n"))
    sc, hc, bc = closing.response()
    assert sc == 200 and bc == body and hc.get("connection") == "close" and closing.closed_by_server()
    closing.close()


def test_many_hits_on_one_connection_keep_it_usable(live: LiveServer) -> None:
    c = Conn(live)
    c.send(request(path_for(6)))
    _s, _h, body = c.response()
    for _ in range(200):
        c.send(request(path_for(6)))
        status, headers, again = c.response()
        assert status == 200 and again == body and headers["x-cache"] == "hit"
    c.send(request("/health"))
    assert c.response()[0] == 200
    c.close()


def test_a_new_inline_query_is_computed_by_the_protocol_and_kept(live: LiveServer) -> None:
    """A miss the engine can answer at once (engine.query_now) skips ASGI; its answer is then a hit."""
    computed = counter(live, "claimgraph_fast_path_computed_total")
    reused = counter(live, "claimgraph_query_shapes_reused")
    c = Conn(live)
    c.send(request(path_for(7)))
    first = c.response()
    c.send(request(path_for(7)))
    second = c.response()
    c.send(request(path_for(8)))  # same shape, another IRI: the shape's verdict and plan are reused
    third = c.response()
    c.close()
    assert first[0] == second[0] == third[0] == 200
    assert [first[1]["x-cache"], second[1]["x-cache"], third[1]["x-cache"]] == ["miss", "hit", "miss"]
    assert first[2] == second[2] and first[2] != third[2] and b"sentence/s7" not in third[2]
    assert counter(live, "claimgraph_fast_path_computed_total") == computed + 2
    # s7 and s8 reuse the shape the warm-up queries left; the hit in between needs no shape at all
    assert counter(live, "claimgraph_query_shapes_reused") == reused + 2


def test_what_the_protocol_cannot_answer_at_once_still_goes_through_asgi(live: LiveServer) -> None:
    computed = counter(live, "claimgraph_fast_path_computed_total")
    c = Conn(live)
    count = "/sparql?query=" + quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", safe="")
    c.send(request(count))  # not provably cheap: a worker answers it
    status, headers, body = c.response()
    c.send(request("/sparql?query=" + quote("SELECT ?x WHERE {", safe="")))  # a syntax error: the app's 400
    bad_status, _bh, bad_body = c.response()
    c.close()
    assert status == 200 and headers["x-cache"] == "miss" and b'"n"' in body
    assert bad_status == 400 and bad_body.startswith(b'{"ok":false')
    assert counter(live, "claimgraph_fast_path_computed_total") == computed


def test_after_a_write_the_protocol_never_answers_from_before_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Hits and computed misses answered by the protocol follow the write generation, as ASGI does."""
    tmp = tmp_path_factory.mktemp("hitprotocol-writes")
    token = "hit-token"
    server = start_server(make_store(tmp), tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": token})
    try:
        wait_for_inline(server)
        subject = "urn:x:written-later"
        path = "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}", safe="")
        c = Conn(server)
        c.send(request(path))
        before = c.response()
        c.send(request(path))
        again = c.response()
        replayed_before = counter(server, "claimgraph_fast_path_replays_total")
        c.send(request(path))  # its bytes are remembered now: replayed
        replayed = c.response()
        assert counter(server, "claimgraph_fast_path_replays_total") == replayed_before + 1
        assert before[1]["x-cache"] == "miss" and again[1]["x-cache"] == "hit" and b'"bindings":[]' in before[2]
        assert replayed[1]["x-cache"] == "hit" and replayed[2] == before[2]
        update = f'INSERT DATA {{ GRAPH <urn:x:g> {{ <{subject}> <urn:x:says> "after the write" }} }}'
        w = httpx.post(f"{server.url}/sparql", data={"update": update},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert w.status_code in (200, 204), w.text
        c.send(request(path))
        after = c.response()
        assert after[0] == 200 and after[1]["x-cache"] == "miss" and b"after the write" in after[2]
        # Once the fan-out is measured again, a new query of the same shape is computed by the
        # protocol again, on the written store.
        wait_for_inline(server, since=counter(server, "claimgraph_inline_queries_total"))
        other = "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o FILTER(?p != <urn:x:no>) }}",
                                         safe="")
        computed = counter(server, "claimgraph_fast_path_computed_total")
        c.send(request(other))
        fresh = c.response()
        c.close()
        assert fresh[0] == 200 and b"after the write" in fresh[2]
        assert counter(server, "claimgraph_fast_path_computed_total") == computed + 1
    finally:
        server.stop()


def replays(live: LiveServer) -> float:
    return counter(live, "claimgraph_fast_path_replays_total")


def test_the_same_bytes_again_are_answered_without_parsing_and_alike(live: LiveServer) -> None:
    """A request whose exact bytes were answered by the protocol is replayed from its remembered key."""
    c = Conn(live)
    raw = request(path_for(9))
    c.send(raw)
    first = c.response()
    before_hits, before_replays = hits(live), replays(live)
    again = []
    for _ in range(3):
        c.send(raw)
        again.append(c.response())
    c.close()
    assert first[0] == 200 and all(a[0] == 200 and a[2] == first[2] for a in again)
    assert [a[1]["x-cache"] for a in again] == ["hit"] * 3
    drop = ("date", "x-cache")
    assert all({k: v for k, v in a[1].items() if k not in drop} == {k: v for k, v in first[1].items()
                                                                    if k not in drop} for a in again)
    # the first repeat may be parsed (if the miss went through ASGI, nothing was remembered)
    assert replays(live) >= before_replays + 2
    assert hits(live) == before_hits + 3
    other = Conn(live)  # remembered bytes are not tied to the connection that sent them
    other.send(raw)
    assert other.response()[2] == first[2]
    other.close()
    assert replays(live) >= before_replays + 3


def test_only_whole_single_requests_are_remembered(live: LiveServer) -> None:
    """Bytes that arrived with the tail of an earlier request, or with a second request, are never
    remembered as one request: sent alone, they are parsed (and refused) as what they are."""
    a, b = request(path_for(10)), request(path_for(11))
    plain = Conn(live)
    expected = []
    for raw in (a, b):
        plain.send(raw)
        expected.append(plain.response()[2])
    plain.close()
    assert expected[0] != expected[1]
    c = Conn(live)
    c.send(a[:20])
    time.sleep(0.2)  # the server reads the first 20 bytes on their own
    c.send(a[20:] + b)
    got_a, got_b = c.response(), c.response()
    c.send(b + b)  # two at once: answered in order, remembered as neither
    twice = [c.response(), c.response()]
    c.close()
    assert got_a[0] == got_b[0] == 200 and [got_a[2], got_b[2]] == expected
    assert [t[2] for t in twice] == [expected[1]] * 2
    before = replays(live)
    tail = Conn(live)
    tail.send(a[20:] + b)  # a request line cut in the middle: a 400, not s11's answer
    status, _h, body = tail.response()
    tail.close()
    assert status == 400 and body != expected[1]
    assert replays(live) == before


def test_a_replay_follows_the_accept_header(live: LiveServer) -> None:
    """Other header bytes are other requests: CSV and JSON answers never cross."""
    c = Conn(live)
    as_json = request(path_for(12))
    as_csv = as_json.replace(b"application/sparql-results+json", b"text/csv")
    before = replays(live)
    for raw in (as_json, as_csv, as_json, as_csv, as_json, as_csv):
        c.send(raw)
        status, headers, body = c.response()
        assert status == 200
        if raw is as_csv:
            assert headers["content-type"].startswith("text/csv") and body.startswith(b"p,o")
        else:
            assert headers["content-type"].startswith("application/sparql-results+json") and b'"head"' in body
    c.close()
    assert replays(live) >= before + 2  # the last two of each, at least, were replayed


def test_remembered_requests_are_bounded_in_entries_and_bytes(tmp_path_factory: pytest.TempPathFactory) -> None:
    import tracemalloc

    from claimgraph.serve import fastpath
    from claimgraph.api.app import create_app
    from claimgraph.config import Settings

    tmp = tmp_path_factory.mktemp("hitprotocol-bounds")
    fast = fastpath.FastPath(create_app(Settings().with_overrides(store=make_store(tmp, articles=1))))
    headers = [(b"host", b"x")]

    def held() -> int:
        return sum(entry[2] for entry in fast._parsed.values())

    fast.parsed_entries = 3
    for n in range(5):
        fast.remember(b"GET /sparql?query=%d" % n, b"query=%d" % n, headers)
    assert list(fast._parsed) == [b"GET /sparql?query=%d" % n for n in (2, 3, 4)]  # oldest out first
    fast.remember(b"GET /sparql?query=2", b"query=2", headers)  # again: moved to the end, not counted twice
    assert list(fast._parsed)[-1] == b"GET /sparql?query=2" and len(fast._parsed) == 3
    assert fast._parsed_bytes == held()
    fast.remember(b"x" * (fastpath._MAX_REMEMBERED + 1), b"query=big", headers)  # too long to keep
    many = [(b"h%d" % i, b"v") for i in range(fastpath._MAX_REMEMBERED_HEADERS + 1)]
    fast.remember(b"GET /sparql?query=many", b"query=many", many)  # too many headers to keep
    assert len(fast._parsed) == 3 and fast.replay(b"GET /sparql?query=many") is None

    # What is counted covers what is held, even for requests of many short headers.
    fast.parsed_entries = 100_000
    short = [(b"h%d" % i, b"v") for i in range(fastpath._MAX_REMEMBERED_HEADERS)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(2000):
        raw = b"GET /sparql?query=%d HTTP/1.1\r\n" % n + b"".join(k + b":" + v + b"\r\n" for k, v in short)
        # new objects for each request's headers, as the HTTP parser hands them over
        fast.remember(raw, b"query=%d" % n, [(b"h%d" % i, b"v%d" % n) for i in range(len(short))])
    measured = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert fast._parsed_bytes == held() <= fastpath._REMEMBERED_BYTES
    assert fast._parsed_bytes >= 0.8 * measured, (fast._parsed_bytes, measured)
    big = fastpath._MAX_REMEMBERED
    for n in range(2 * fastpath._REMEMBERED_BYTES // (2 * big)):
        fast.remember(b"%06d" % n + b"x" * (big - 6), b"query=%d" % n, headers)
    assert fast._parsed_bytes == held() <= fastpath._REMEMBERED_BYTES
    assert fast.replay(b"GET /sparql?query=unknown") is None


def test_a_replay_waits_for_an_answer_still_in_flight_and_never_outlives_its_cache_entry(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Remembered bytes behind a request a worker is still answering are answered after it; once the
    cache has dropped their answer, they are parsed and computed again, not replayed."""
    tmp = tmp_path_factory.mktemp("hitprotocol-evicted")
    server = start_server(make_store(tmp), tmp, env={"CLAIMGRAPH_CACHE_ENTRIES": "2"})
    try:
        wait_for_inline(server)
        c = Conn(server)
        raw = request(path_for(2))
        for _ in range(2):
            c.send(raw)
            status, _h, body = c.response()
        assert status == 200 and b'"bindings":[{' in body
        slow = "/sparql?query=" + quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", safe="")
        before = counter(server, "claimgraph_fast_path_replays_total")
        c.send(request(slow))
        time.sleep(0.05)  # a read of its own, while the worker counts
        c.send(raw)
        first, second = c.response(), c.response()
        assert first[0] == 200 and b'"n"' in first[2]
        assert second[0] == 200 and second[2] == body
        for n in (3, 4):  # two new answers push path_for(2)'s out of the 2-entry caches
            c.send(request(path_for(n)))
            assert c.response()[0] == 200
        replayed = counter(server, "claimgraph_fast_path_replays_total")
        c.send(raw)
        again = c.response()
        c.close()
        assert again[0] == 200 and again[2] == body and again[1]["x-cache"] == "miss"
        assert counter(server, "claimgraph_fast_path_replays_total") == replayed
        assert replayed >= before
    finally:
        server.stop()
