"""SPARQL 1.1 Update on /sparql, over a real server: token, visibility, SSRF, one writer.

Updates go to a private copy of the built store; the read-only server uses
the shared store and must refuse before touching it.
"""

from __future__ import annotations

import re

import socket
import threading
import time

import httpx
import pyoxigraph as ox
import pytest

from support.liveserver import LiveServer, start_server
from support.liveserver import Listener, assert_error, writable_copy

TOKEN = "update-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = "application/sparql-update"
JSON = {"Accept": "application/sparql-results+json"}
EX = "http://example.org/update/"








@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    tmp = tmp_path_factory.mktemp("update")
    srv = start_server(writable_copy(built_settings.store, tmp / "copy"), tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN})
    yield srv
    srv.stop()


def ask(client: httpx.Client, pattern: str) -> tuple[bool, str]:
    r = client.get("/sparql", params={"query": f"ASK {{ {pattern} }}"}, headers=JSON)
    assert r.status_code == 200, r.text
    return r.json()["boolean"], r.headers["x-cache"]


def count(client: httpx.Client, pattern: str) -> int:
    r = client.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"}, headers=JSON)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


# -- who may write ---------------------------------------------------------------------

def test_updates_are_403_without_a_configured_token(built_store, built_settings, tmp_path_factory):
    srv = start_server(built_settings.store, tmp_path_factory.mktemp("update-ro"),
                       env={"CLAIMGRAPH_UPDATE_TOKEN": "", "CLAIMGRAPH_WORKERS": "1"})
    try:
        with srv.client() as c:
            insert = f"INSERT DATA {{ <{EX}ro> <{EX}p> 1 }}"
            err = assert_error(c.post("/sparql", content=insert, headers={"Content-Type": UPDATE, **AUTH}),
                               403, code="updates_disabled")
            assert "CLAIMGRAPH_UPDATE_TOKEN" in err["message"]
            assert_error(c.post("/sparql", data={"update": insert}, headers=AUTH), 403, code="updates_disabled")
            assert ask(c, f"<{EX}ro> ?p ?o")[0] is False
            assert c.get("/health").json()["updates_enabled"] is False
        assert srv.alive()
    finally:
        srv.stop()


def test_missing_or_wrong_token(client):
    insert = f"INSERT DATA {{ <{EX}auth> <{EX}p> 1 }}"
    r = client.post("/sparql", content=insert, headers={"Content-Type": UPDATE})
    assert_error(r, 401, "Authorization", "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.post("/sparql", content=insert, headers={"Content-Type": UPDATE, "Authorization": f"Basic {TOKEN}"})
    assert_error(r, 401, "Authorization")
    r = client.post("/sparql", content=insert, headers={"Content-Type": UPDATE, "Authorization": "Bearer nope"})
    assert_error(r, 403, "Authorization", "forbidden")
    r = client.post("/sparql", data={"update": insert}, headers={"Authorization": "Bearer " + TOKEN + "x"})
    assert_error(r, 403, "Authorization")
    assert ask(client, f"<{EX}auth> ?p ?o")[0] is False


# -- what an accepted update does -----------------------------------------------------------

def test_insert_is_visible_at_once_and_the_cache_is_invalidated(client):
    pattern = f"<{EX}fresh> <{EX}p> ?o"
    assert ask(client, pattern) == (False, "miss")
    assert ask(client, pattern) == (False, "hit")
    r = client.post("/sparql", content=f"INSERT DATA {{ <{EX}fresh> <{EX}p> 1 }}", headers={"Content-Type": UPDATE, **AUTH})
    assert r.status_code == 204 and r.content == b""
    assert ask(client, pattern) == (True, "miss")
    r = client.post("/sparql", data={"update": f"DELETE WHERE {{ {pattern} }}"}, headers=AUTH)
    assert r.status_code == 204
    assert ask(client, pattern)[0] is False


def test_update_errors_are_4xx_never_500(client):
    bad = f"INSERT DATA {{ <{EX}s> <{EX}p> }}"
    with pytest.raises(SyntaxError) as parser:
        ox.Store().update(bad)
    err = assert_error(client.post("/sparql", content=bad, headers={"Content-Type": UPDATE, **AUTH}),
                       400, "update", "syntax_error")
    line, col = re.match(r"error at (\d+):(\d+)", str(parser.value)).groups()
    assert f"line {line}, column {col}" in err["message"], err["message"]
    assert "a triple pattern needs a subject, a predicate and an object" in err["message"], err["message"]
    err = assert_error(client.post("/sparql", content=f"DROP GRAPH <{EX}missing>", headers={"Content-Type": UPDATE, **AUTH}),
                       400, "update")
    assert f"{EX}missing" in err["message"]
    assert client.post("/sparql", content=f"DROP SILENT GRAPH <{EX}missing>",
                       headers={"Content-Type": UPDATE, **AUTH}).status_code == 204
    assert_error(client.post("/sparql", content="  ", headers={"Content-Type": UPDATE, **AUTH}), 400, "update")
    r = client.post("/sparql", params={"default-graph-uri": EX + "g"}, content=f"CLEAR GRAPH <{EX}g>",
                    headers={"Content-Type": UPDATE, **AUTH})
    assert_error(r, 400, "default-graph-uri")
    # using-graph-uri is the update's dataset (tests/test_protocol_conformance.py); naming one in the
    # update as well is the protocol's conflict, a 400 on the parameter.
    r = client.post("/sparql", params={"using-graph-uri": EX + "g"},
                    content=f"DELETE {{ ?s ?p ?o }} USING <{EX}g> WHERE {{ ?s ?p ?o }}",
                    headers={"Content-Type": UPDATE, **AUTH})
    assert_error(r, 400, "using-graph-uri", "dataset_conflict")
    r = client.post("/sparql?update=CLEAR%20DEFAULT", content="CLEAR DEFAULT", headers={"Content-Type": UPDATE, **AUTH})
    assert_error(r, 400, "update")


# -- SSRF: LOAD and SERVICE never dial out ----------------------------------------------------

def test_load_to_a_loopback_listener_is_refused_and_never_connects(client):
    listener = Listener()
    try:
        target = f"http://127.0.0.1:{listener.port}/"
        variants = [
            f"LOAD <{target}>",
            f"load silent <{target}data.ttl> into graph <{EX}loaded>",
            f"PREFIX x: <{target}> LOAD x:data",
            f"BASE <{target}> LOAD <data.ttl>",
            f"LOAD <http\\u003A//127.0.0.1:{listener.port}/>",
            f"# LOAD <{EX}decoy>\nLOAD <{target}>",
            f"INSERT {{ <{EX}s> <{EX}p> ?o }} WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        ]
        for text in variants:
            r = client.post("/sparql", content=text, headers={"Content-Type": UPDATE, **AUTH})
            err = assert_error(r, 403, "update")
            assert err["code"] in ("load_refused", "service_refused"), err
            assert str(listener.port) in err["message"]
        time.sleep(0.5)
        assert listener.connections == 0
        assert ask(client, f"GRAPH <{EX}loaded> {{ ?s ?p ?o }}")[0] is False
        # The listener does count connections: the zero above means something.
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
        deadline = time.time() + 3
        while listener.connections == 0 and time.time() < deadline:
            time.sleep(0.05)
        assert listener.connections == 1
    finally:
        listener.close()


# -- one writer at a time -----------------------------------------------------------------------

def _hammer(server: LiveServer, texts_for_thread) -> list[int]:  # noqa: ANN001
    statuses: list[int] = []
    lock = threading.Lock()

    def run(t: int) -> None:
        with server.client() as c:
            for text in texts_for_thread(t):
                r = c.post("/sparql", content=text, headers={"Content-Type": UPDATE, **AUTH})
                with lock:
                    statuses.append(r.status_code)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return statuses


def test_concurrent_inserts_all_land_while_readers_read(server, client):
    graph = EX + "concurrent"
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}"
    done = threading.Event()
    seen: list[list[int]] = [[] for _ in range(2)]
    failures: list[str] = []

    def reader(k: int) -> None:
        # Every write moves readers to a new snapshot; none may fail or go back in time.
        with server.client() as c:
            while not done.is_set():
                r = c.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"}, headers=JSON)
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    continue
                seen[k].append(int(r.json()["results"]["bindings"][0]["n"]["value"]))
                time.sleep(0.005)  # steady readers, not a load test

    readers = [threading.Thread(target=reader, args=(k,)) for k in range(2)]
    for th in readers:
        th.start()
    started = time.perf_counter()
    try:
        statuses = _hammer(server, lambda t: (
            f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}t{t}> <{EX}i> {i} }} }}" for i in range(50)))
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        for th in readers:
            th.join()
    assert statuses == [204] * 200
    assert count(client, pattern) == 200
    assert failures == []
    assert all(s == sorted(s) for s in seen) and sum(map(len, seen)) > 10
    print(f"200 concurrent INSERT DATA in {elapsed:.2f}s ({200 / elapsed:.0f}/s), {sum(map(len, seen))} reads")


def test_concurrent_increments_are_exact(server, client):
    ctr, value = f"<{EX}counter>", f"<{EX}value>"
    assert client.post("/sparql", content=f"INSERT DATA {{ {ctr} {value} 0 }}",
                       headers={"Content-Type": UPDATE, **AUTH}).status_code == 204
    increment = (f"DELETE {{ {ctr} {value} ?v }} INSERT {{ {ctr} {value} ?n }} "
                 f"WHERE {{ {ctr} {value} ?v BIND(?v + 1 AS ?n) }}")
    statuses = _hammer(server, lambda t: (increment for _ in range(25)))
    assert statuses == [204] * 100
    r = client.get("/sparql", params={"query": f"SELECT ?v WHERE {{ {ctr} {value} ?v }}"}, headers=JSON)
    assert [int(b["v"]["value"]) for b in r.json()["results"]["bindings"]] == [100]


def test_writer_keeps_superseded_snapshots_for_the_grace_period(built_store, built_settings, tmp_path):
    from claimgraph.store.locator import StoreLocator
    from claimgraph.store.writer import KEEP_SNAPSHOTS, StoreWriter

    store = writable_copy(built_settings.store, tmp_path)
    locator = StoreLocator(store)
    writer = StoreWriter(store, locator, grace=3600)
    writer.start()
    pinned = []
    for i in range(KEEP_SNAPSHOTS + 3):
        writer.write(lambda s, i=i: s.update(f"INSERT DATA {{ <{EX}w> <{EX}i> {i} }}"))
        pinned.append(locator.current())
    snaps = writer.snapshots_root / store.resolve().name
    # Within the grace period every snapshot a reader may have been handed still opens.
    assert all(p.is_dir() for p in pinned) and len(set(pinned)) == len(pinned)
    n = len(list(ox.Store.read_only(str(pinned[0])).quads_for_pattern(ox.NamedNode(EX + "w"), None, None)))
    assert n == 1
    writer.grace = 0.0  # as if the grace period had passed: only the newest KEEP_SNAPSHOTS stay
    writer.write(lambda s: s.update(f"INSERT DATA {{ <{EX}w> <{EX}i> 99 }}"))
    assert len(list(snaps.iterdir())) == KEEP_SNAPSHOTS
    latest = ox.Store.read_only(str(locator.current()))
    assert len(list(latest.quads_for_pattern(ox.NamedNode(EX + "w"), None, None))) == KEEP_SNAPSHOTS + 4
    # A new writer (a restarted server) clears what an earlier process left behind.
    del writer
    again = StoreWriter(store, StoreLocator(store))
    again.start()
    assert [p.name for p in snaps.iterdir()] == [again.locator.current().name]


def test_server_survived_the_suite(server, client):
    assert server.alive()
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["updates_enabled"] is True
    assert "Traceback" not in server.log_text()
