"""Per-connection limits against a live server, over raw sockets (serve/connguard.py).

Defects found by probing the landed service: a 64 MB header took seconds and stalled /health;
idle and slow-header connections were never closed (10,300 of them starved the process of file
descriptors); a client leaving mid-body logged a traceback; HTTP/1.1 without Host, or with two,
got 200.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from support.liveserver import LiveServer, start_server

ENV = {"CLAIMGRAPH_HEADER_TIMEOUT": "1", "CLAIMGRAPH_MAX_CONNECTIONS": "40", "CLAIMGRAPH_MAX_HEADER_BYTES": "16384",
       "CLAIMGRAPH_MAX_HEADERS": "50"}


@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("connlimits")
    live = start_server(built_settings.store, tmp, env=ENV)
    yield live
    live.stop()


def addr(server: LiveServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def exchange(server: LiveServer, raw: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes or `wait` passes; what came back."""
    with socket.create_connection(addr(server), timeout=wait) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered and closed before we finished sending
        out = b""
        deadline = time.time() + wait
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and b"connection: close" in out.lower():
                # read the body the content-length announces, then stop
                head, _, body = out.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if len(body) >= length:
                    break
        return out


def status(raw: bytes) -> int:
    assert raw.startswith(b"HTTP/1."), raw[:200]
    return int(raw.split(b" ", 2)[1])


def health_ok(server: LiveServer) -> bool:
    return httpx.get(f"{server.url}/health", timeout=5).status_code == 200


def test_a_huge_header_is_431_and_the_service_keeps_answering(server: LiveServer) -> None:
    big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (4 * 1024 * 1024) + b"\r\n\r\n"
    got = exchange(server, big)
    assert status(got) == 431 and b"CLAIMGRAPH_MAX_HEADER_BYTES" in got
    assert health_ok(server)


def test_a_huge_url_is_431(server: LiveServer) -> None:
    got = exchange(server, b"GET /health?" + b"q" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status(got) == 431


def test_too_many_header_lines_is_431(server: LiveServer) -> None:
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(200))
    got = exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
    assert status(got) == 431 and b"CLAIMGRAPH_MAX_HEADERS" in got


@pytest.mark.parametrize("head,expected", [
    (b"GET /health HTTP/1.1\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200),
    (b"GET /health HTTP/1.0\r\n\r\n", 200),
])
def test_http11_needs_exactly_one_host(server: LiveServer, head: bytes, expected: int) -> None:
    got = exchange(server, head)
    assert status(got) == expected, got[:300]
    if expected == 400:
        assert b"Host" in got


def test_an_idle_connection_is_closed_after_the_header_timeout(server: LiveServer) -> None:
    with socket.create_connection(addr(server), timeout=10) as s:
        started = time.time()
        assert s.recv(1024) == b""  # closed by the server, nothing said
        assert time.time() - started < 8


def test_a_slow_header_gets_408(server: LiveServer) -> None:
    with socket.create_connection(addr(server), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\n")
        got = b""
        for _ in range(40):  # a byte every 0.1 s: never finishes within 1 s
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.1)
        s.settimeout(5)
        try:
            while chunk := s.recv(4096):
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert status(got) == 408


def test_many_idle_connections_leave_health_answering(server: LiveServer) -> None:
    held = [socket.create_connection(addr(server), timeout=5) for _ in range(150)]  # > the cap of 40
    try:
        for _ in range(5):
            assert health_ok(server)
    finally:
        for s in held:
            s.close()


def test_a_client_leaving_mid_body_leaves_no_traceback(server: LiveServer) -> None:
    for _ in range(3):
        with socket.create_connection(addr(server), timeout=5) as s:
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\nquery=ASK")
            time.sleep(0.2)
    time.sleep(1)
    assert health_ok(server)
    assert "Traceback" not in server.log_text()
