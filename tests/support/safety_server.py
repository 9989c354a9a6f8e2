"""The hostile-query server the safety tests share (tests/test_sparql_safety.py, test_sparql_network.py).

One `claimgraph serve` per test module with a 2 s deadline, 2 workers capped at 320 MB, a queue of 1,
a 256 KB result cap and no SERVICE allow-list, on a writable copy of the built store; after each test
the server process must be alive, /health must answer 200 and every worker must be back (the autouse
`still_serving`). A module imports the fixtures it uses by name.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from support.liveserver import Listener, LiveServer, start_server, writable_copy

DEADLINE = 2.0
RESULT_CAP = 256 * 1024
TOKEN = "safety-token"
ENV = {
    "CLAIMGRAPH_QUERY_TIMEOUT": str(DEADLINE),
    "CLAIMGRAPH_WORKERS": "2",
    "CLAIMGRAPH_WORKER_MEMORY_MB": "320",
    "CLAIMGRAPH_QUEUE_SIZE": "1",
    "CLAIMGRAPH_MAX_RESULT_BYTES": str(RESULT_CAP),
    "CLAIMGRAPH_UPDATE_TOKEN": TOKEN,
    "CLAIMGRAPH_SERVICE_ALLOWLIST": "",
}
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def store_path(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return writable_copy(built_settings.store, tmp_path_factory.mktemp("safety-store"))


@pytest.fixture(scope="module")
def server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    srv = start_server(store_path, tmp_path_factory.mktemp("safety"), env=ENV)
    yield srv
    srv.stop()


def health(client: httpx.Client) -> dict:
    r = client.get("/health")
    assert r.status_code == 200, r.text
    return r.json()


def wait_for_workers(client: httpx.Client, limit: float = 8.0) -> dict:
    """Until every worker is idle again and nothing waits (respawns included)."""
    deadline = time.monotonic() + limit
    while True:
        workers = health(client)["workers"]
        if workers["busy"] == 0 and workers["queued"] == 0:
            return workers
        assert time.monotonic() < deadline, f"workers did not recover: {workers}"
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def still_serving(server: LiveServer, client: httpx.Client):
    yield
    assert server.alive(), server.log_text()[-3000:]
    body = health(client)
    assert body["ok"] is True
    wait_for_workers(client)
    assert "Traceback" not in server.log_text().split("Application startup complete.")[-1]




@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


def post(client: httpx.Client, query: str, **params: str) -> httpx.Response:
    return client.post("/sparql", data={"query": query, **params}, headers=JSON)


def assert_error(r: httpx.Response, status: int, code: str | None = None, parameter: str | None = None) -> dict:
    """The uniform error shape, whole: declared length, parseable JSON, no trace."""
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/json")
    if "content-length" in r.headers:
        assert int(r.headers["content-length"]) == len(r.content)
    body = json.loads(r.content)
    assert body["ok"] is False
    err = body["error"]
    assert err["status"] == status and err["message"]
    if code is not None:
        assert err["code"] == code, err
    if parameter is not None:
        assert err.get("parameter") == parameter, err
    assert "Traceback" not in r.text
    return err
