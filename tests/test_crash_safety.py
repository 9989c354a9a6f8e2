"""Crash safety of the serving side: kill -9 in the middle of things, then look at what is stored.

Real servers (tests/support/liveserver.py) on private writable stores, killed with SIGKILL:
mid Graph Store PUT of a large body (the graph is wholly old or wholly new after a restart),
a query worker (the next query succeeds), and what a killed build or swap leaves behind
(removed when the next server starts).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from claimgraph.store.swap import PARTIAL, versions_dir
from support.liveserver import start_server, writable_copy

TOKEN = "crash-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/crash/big"


def body(n: int, tag: str) -> bytes:
    return "".join(f"<http://example.org/s{i}> <http://example.org/{tag}> {i} .\n" for i in range(n)).encode()


def count(url: str, tag: str | None = None) -> int:
    where = f"?s <http://example.org/{tag}> ?o" if tag else "?s ?p ?o"
    r = httpx.get(f"{url}/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ {where} }} }}"},
                  headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.fixture()
def store(built_store, tmp_path: Path) -> Path:
    return writable_copy(built_store.dir, tmp_path / "copy")


def test_a_server_killed_mid_put_leaves_the_graph_wholly_old_or_wholly_new(store: Path, tmp_path: Path) -> None:
    env = {"CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_MAX_BODY_BYTES": str(64 * 1024 * 1024)}
    old_n, new_n = 2_000, 60_000
    server = start_server(store, tmp_path, env=env)
    try:
        r = httpx.put(f"{server.url}/store", params={"graph": GRAPH}, content=body(old_n, "old"),
                      headers={**AUTH, "Content-Type": "text/turtle"}, timeout=120)
        assert r.status_code in (201, 204), r.text
    finally:
        server.stop()
    rng = random.Random(20261203)
    outcomes = []
    for attempt in range(3):
        server = start_server(store, tmp_path, env=env)
        big = body(new_n, "new")
        done = threading.Event()

        def put() -> None:
            try:
                httpx.put(f"{server.url}/store", params={"graph": GRAPH}, content=big,
                          headers={**AUTH, "Content-Type": "text/turtle"}, timeout=120)
            except httpx.HTTPError:
                pass  # the server died under it: that is the point
            done.set()

        t = threading.Thread(target=put)
        t.start()
        time.sleep(rng.uniform(0.2, 2.5))
        os.kill(server.proc.pid, signal.SIGKILL)
        for child in children(server.proc.pid):
            os.kill(child, signal.SIGKILL)
        server.proc.wait(10)
        t.join(60)
        server = start_server(store, tmp_path, env=env)
        try:
            old, new, total = count(server.url, "old"), count(server.url, "new"), count(server.url)
            assert (old, new, total) in ((old_n, 0, old_n), (0, new_n, new_n)), (attempt, old, new, total)
            outcomes.append("new" if new else "old")
            if new:  # put the old graph back so the next attempt can tell the two apart
                r = httpx.put(f"{server.url}/store", params={"graph": GRAPH}, content=body(old_n, "old"),
                              headers={**AUTH, "Content-Type": "text/turtle"}, timeout=120)
                assert r.status_code == 204
        finally:
            server.stop()
    assert len(outcomes) == 3


def test_a_killed_worker_costs_no_query(built_store, tmp_path: Path) -> None:
    server = start_server(built_store.dir.parent.parent / "store", tmp_path,
                          env={"CLAIMGRAPH_WORKERS": "2", "CLAIMGRAPH_INLINE": "0", "CLAIMGRAPH_CACHE_ENTRIES": "0"})
    try:
        q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        first = httpx.get(f"{server.url}/sparql", params={"query": q}, timeout=60)
        assert first.status_code == 200
        workers = children(server.proc.pid)
        assert workers, "the server runs its queries in worker processes"
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        again = httpx.get(f"{server.url}/sparql", params={"query": q}, timeout=60)
        assert again.status_code == 200 and again.json() == first.json()
        assert server.alive()
    finally:
        server.stop()


def test_what_a_killed_build_or_swap_left_is_removed_when_a_server_starts(store: Path, tmp_path: Path) -> None:
    vdir = versions_dir(store)
    dead = 2 ** 22 + 12345  # above any pid this machine hands out (pid_max is 2^22)
    partial = vdir / f"{PARTIAL}20260101T000000-000000001-{dead}"
    partial.mkdir()
    (partial / "000001.sst").write_bytes(b"half a store")
    stale_link = store.with_name(f".{store.name}.{dead}.tmp")
    os.symlink("nowhere", stale_link)
    server = start_server(store, tmp_path)
    try:
        assert not partial.exists()
        assert not stale_link.is_symlink()
        assert httpx.get(f"{server.url}/health", timeout=10).json()["ok"] is True
    finally:
        server.stop()
