"""The request path under abuse, over raw sockets against a live server with every speed mechanism on.

Pipelined requests on one connection (GET, then a POST with a body, then another GET) get their
own answers in order; requests split across TCP packets at odd points parse as whole ones; request
smuggling shapes (Content-Length with Transfer-Encoding, two Content-Lengths, an obs-fold header
line) are refused with 400 and never reach the app, so nothing after them on the connection is
read as a second request. Requests that differ only in a keyed header (Authorization, Accept,
Host, Origin) never share cached bytes: tests/test_response_cache.py.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import quote

import httpx
import pytest

from support.liveserver import LiveServer, start_server

POINT = "SELECT ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 2"
ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory):  # noqa: ANN001, ANN201
    live = start_server(built_settings.store, tmp_path_factory.mktemp("abuse"))
    yield live
    live.stop()


def _connect(server: LiveServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _responses(s: socket.socket, count: int, wait: float = 10.0) -> list[tuple[int, dict[str, str], bytes]]:
    """Read `count` whole responses (status, headers, body by Content-Length) or until the server closes."""
    buf, out = b"", []
    deadline = time.time() + wait
    while len(out) < count and time.time() < deadline:
        while b"\r\n\r\n" in buf and len(out) < count:
            head, _, rest = buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            headers = {k.strip().lower().decode(): v.strip().decode()
                       for k, _, v in (line.partition(b":") for line in lines[1:])}
            length = int(headers.get("content-length", "0"))
            if len(rest) < length:
                break
            out.append((int(lines[0].split(b" ", 2)[1]), headers, rest[:length]))
            buf = rest[length:]
        if len(out) >= count:
            break
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return out


def _get(path_query: str, extra: str = "") -> bytes:
    return (f"GET {path_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/sparql-results+json\r\n"
            f"{extra}\r\n").encode()


def _post(body: str) -> bytes:
    data = body.encode()
    return (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/sparql-results+json\r\n"
            f"Content-Type: application/sparql-query\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


def test_pipelined_requests_get_their_own_answers_in_order(server: LiveServer) -> None:
    expected_point = httpx.get(f"{server.url}/sparql", params={"query": POINT},
                               headers={"Accept": "application/sparql-results+json"}).json()
    for _round in range(2):  # the second round is answered from the caches
        with _connect(server) as s:
            s.sendall(_get("/sparql?query=" + quote(POINT)) + _post(ASK) + _get("/health")
                      + _get("/sparql?query=" + quote(POINT)))
            got = _responses(s, 4)
        assert [status for status, _h, _b in got] == [200, 200, 200, 200]
        assert json.loads(got[0][2]) == expected_point == json.loads(got[3][2])
        assert json.loads(got[1][2]) == {"head": {}, "boolean": True}
        assert json.loads(got[2][2])["ok"] is True  # /health, not a query answer


@pytest.mark.parametrize("cut", [1, 5, 17, 40, -30, -3, -1])
def test_a_request_split_across_packets_parses_whole(server: LiveServer, cut: int) -> None:
    raw = _post(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} # split at {cut}")
    with _connect(server) as s:
        s.sendall(raw[:cut])
        time.sleep(0.05)
        s.sendall(raw[cut:])
        got = _responses(s, 1)
    assert got and got[0][0] == 200 and int(json.loads(got[0][2])["results"]["bindings"][0]["n"]["value"]) > 0


def test_a_request_sent_a_byte_at_a_time_is_answered(server: LiveServer) -> None:
    raw = _get("/sparql?query=" + quote(ASK))
    with _connect(server) as s:
        for i in range(len(raw)):
            s.sendall(raw[i:i + 1])
        got = _responses(s, 1)
    assert got and got[0][0] == 200 and json.loads(got[0][2])["boolean"] is True


SMUGGLING = {
    "content-length and chunked": (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                                   b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "two content-lengths": (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                            b"Content-Length: 4\r\nContent-Length: 40\r\n\r\nASK{"),
    "obs-fold": b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n  text/csv\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(SMUGGLING))
def test_smuggling_shapes_are_400_and_nothing_after_them_is_read_as_a_request(server: LiveServer, name: str) -> None:
    smuggled = b"DELETE /store?default HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as s:
        s.sendall(SMUGGLING[name] + smuggled)
        got = _responses(s, 2, wait=3)
    assert [status for status, _h, _b in got] == [400], got  # one refusal, the connection closed
    assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
