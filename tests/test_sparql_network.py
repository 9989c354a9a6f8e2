"""No query reaches the network it should not: SERVICE, LOAD and the workers' sandbox against a real
server (the hostile-query server of tests/support/safety_server.py), and an allow-list that opens the
network to its own workers only. A listener on loopback counts every connection; none may arrive."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from pathlib import Path

import httpx

from claimgraph.sparql.pool import PoolConfig, WorkerPool
from support.hostile_queries import tricks
from support.liveserver import Listener, start_server
from support.safety_server import (ENV, RESULT_CAP, TOKEN, assert_error, health, listener, post,  # noqa: F401
                                   server, still_serving, store_path)

# -- SSRF ------------------------------------------------------------------------------------------

def test_service_never_reaches_a_listener_off_the_allow_list(client: httpx.Client, listener: Listener) -> None:
    for name, text in tricks(listener.url).items():
        err = assert_error(post(client, text), 403, "service_refused", parameter="query")
        assert name and ("127.0.0.1" in err["message"] or "variable" in err["message"])
    time.sleep(0.3)
    assert listener.connections == 0


def test_load_never_reaches_a_listener(client: httpx.Client, listener: Listener) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    for text in (f"LOAD <{listener.url}data.ttl>",
                 f"LOAD SILENT <{listener.url}data.ttl> INTO GRAPH <http://e.example/g>",
                 f"PREFIX : <{listener.url}> LOAD SILENT:data.ttl",
                 f"PREFIX ex: <{listener.url}> LOADex:data.ttl",
                 f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"):
        r = client.post("/sparql", content=text.encode(), headers=auth)
        err = assert_error(r, 403, parameter="update")
        assert err["code"] in ("load_refused", "service_refused"), err
    time.sleep(0.3)
    assert listener.connections == 0


def test_service_in_comments_and_strings_is_just_text(client: httpx.Client, built_store) -> None:
    text = ('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o != "SERVICE <http://127.0.0.1:9/> {}") } '
            "# SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }")
    expected = next(iter(built_store.raw.query(text, use_default_graph_as_union=True)))["n"].value
    r = post(client, text)
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"][0]["n"]["value"] == expected


def test_the_worker_sandbox_stops_what_a_gate_might_miss(store_path: Path, listener: Listener) -> None:
    """Defense in depth: hand a SERVICE query straight to a worker, past the gate."""
    job = {"query": f"SELECT * WHERE {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}",
           "store_dir": str(store_path.resolve()), "default_graph": None, "named_graphs": None,
           "solution_format": "json", "graph_format": "turtle", "max_bytes": RESULT_CAP, "services": False}

    async def ask(isolate: bool) -> tuple:
        pool = WorkerPool(PoolConfig(1, 320, 1, isolate=isolate))
        await pool.start()
        try:
            return await pool.run(job, 10.0)
        finally:
            await pool.close()

    before = listener.connections
    reply = asyncio.run(ask(isolate=True))
    assert reply[:3] == ("error", 403, "network_refused"), reply
    time.sleep(0.3)
    assert listener.connections == before
    # The same job on a worker with network does dial out: the witness works.
    asyncio.run(ask(isolate=False))
    deadline = time.monotonic() + 3
    while listener.connections == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.connections > before


# -- an allow-list opens the network to its own workers only -------------------------------------------

class _FakeEndpoint(http.server.BaseHTTPRequestHandler):
    hits = 0
    BODY = json.dumps({"head": {"vars": ["x"]},
                       "results": {"bindings": [{"x": {"type": "literal", "value": "from the allowed endpoint"}}]}})

    def _answer(self) -> None:
        type(self).hits += 1
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = self.BODY.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def test_an_allow_listed_service_is_reached_and_nothing_else(store_path: Path, tmp_path: Path,
                                                             listener: Listener) -> None:
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeEndpoint)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    allowed = f"http://127.0.0.1:{endpoint.server_address[1]}/sparql"
    srv = start_server(store_path, tmp_path, env={**ENV, "CLAIMGRAPH_UPDATE_TOKEN": "",  # one writer only
                                                  "CLAIMGRAPH_SERVICE_ALLOWLIST": allowed})
    try:
        with srv.client() as c:
            assert health(c)["workers"]["network"] == "isolated"  # regular workers stay off the network
            r = post(c, f"SELECT ?x WHERE {{ SERVICE <{allowed}> {{ ?x ?y ?z }} }}")
            assert r.status_code == 200, r.text
            assert [b["x"]["value"] for b in r.json()["results"]["bindings"]] == ["from the allowed endpoint"]
            assert _FakeEndpoint.hits >= 1
            before = listener.connections
            for text in (f"SELECT * WHERE {{ SERVICE <{allowed}> {{ ?s ?p ?o }} SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                         f"PREFIX : <{listener.url}> SELECT * WHERE {{ SERVICE <{allowed}> {{ ?s ?p ?o }} "
                         f"SERVICE:x {{ ?s ?p ?o }} }}"):
                assert_error(post(c, text), 403, "service_refused", parameter="query")
            time.sleep(0.3)
            assert listener.connections == before
            assert srv.alive() and health(c)["ok"] is True
    finally:
        srv.stop()
        endpoint.shutdown()
