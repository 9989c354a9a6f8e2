"""Writes under fire: 4 writers at once through the API lose nothing; no token, no write; the token is never logged.

A real server with the update token on a private copy of the built store; SPARQL Update and
Graph Store writers run concurrently from threads, each on its own connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from support.liveserver import start_server, writable_copy

TOKEN = "concurrent-secret-0f9a"
N = 25  # updates per writer


@pytest.fixture(scope="module")
def server(built_store, tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("writers")
    live = start_server(writable_copy(built_store.dir, tmp / "copy"), tmp,
                        env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_LOG_LEVEL": "info"})
    yield live
    live.stop()


def count(url: str, graph: str) -> int:
    r = httpx.get(f"{url}/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                  headers={"Accept": "application/sparql-results+json"}, timeout=30)
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_four_concurrent_writers_lose_no_update(server) -> None:  # noqa: ANN001
    graph = "http://example.org/writers"
    failures: list[str] = []

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            for i in range(N):
                if w % 2:  # half through SPARQL Update, half through the Graph Store (POST merges)
                    r = c.post("/sparql", data={"update": f"INSERT DATA {{ GRAPH <{graph}> "
                                                          f"{{ <http://example.org/w{w}/s{i}> <http://example.org/p> {i} }} }}"})
                else:
                    r = c.post("/store", params={"graph": graph},
                               content=f"<http://example.org/w{w}/s{i}> <http://example.org/p> {i} .".encode(),
                               headers={"Content-Type": "text/turtle"})
                if r.status_code not in (201, 204):
                    failures.append(f"writer {w} update {i}: {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert count(server.url, graph) == 4 * N


@pytest.mark.parametrize("headers,status", [({}, 401), ({"Authorization": "Bearer wrong"}, 403),
                                            ({"Authorization": f"Basic {TOKEN}"}, 401)])
def test_no_write_without_the_token_and_a_wrong_one_writes_nothing(server, headers: dict, status: int) -> None:  # noqa: ANN001
    graph = "http://example.org/unauthorised"
    before = count(server.url, graph)
    r = httpx.post(f"{server.url}/sparql", timeout=30, headers=headers,
                   data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}"})
    assert r.status_code == status, r.text
    r = httpx.put(f"{server.url}/store", params={"graph": graph}, timeout=30, content=b"<http://example.org/x> <http://example.org/p> 1 .",
                  headers={**headers, "Content-Type": "text/turtle"})
    assert r.status_code == status, r.text
    assert count(server.url, graph) == before == 0


def test_the_token_is_never_logged(server) -> None:  # noqa: ANN001
    httpx.post(f"{server.url}/sparql", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30,
               data={"update": "INSERT DATA { <http://example.org/logged> <http://example.org/p> 1 }"})
    httpx.post(f"{server.url}/sparql", headers={"Authorization": f"Bearer {TOKEN}x"}, timeout=30,
               data={"update": "INSERT DATA { <http://example.org/logged> <http://example.org/p> 2 }"})
    assert TOKEN not in server.log_text()
    assert TOKEN not in Path(server.log).read_bytes().decode(errors="replace")
