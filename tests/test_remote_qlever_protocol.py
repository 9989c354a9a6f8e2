"""The QLever dialect against a recording of QLever's documented protocol (it cannot run here).

QLever cannot be installed on this machine (its PyPI package is a control CLI that needs Docker or
self-built binaries), so this test plays QLever's side of the HTTP exchange as its documentation
describes it (docs/update.md of qlever-dev/qlever-docs, read 2026-12-04): one endpoint, `/`, for
queries, updates (`update=` form or `application/sparql-update`) and the Graph Store Protocol
(`?graph=`); updates and graph writes need the access token, as `Authorization: Bearer` or
`access-token=`, else they are refused; the default graph is the union of all graphs. The answers
it plays back are real SPARQL JSON written by pyoxigraph from a store with that union default
graph. What is tested is the adapter's side: what it sends, and how it reads what comes back.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest

from claimgraph.store.remote import RemoteConfig, RemoteError, RemoteStore
from claimgraph.store.remote_writer import RemoteWriteStore

TOKEN = "qlever-token"


class QleverRecording(BaseHTTPRequestHandler):
    store: ox.Store
    requests: list[dict]

    def log_message(self, *_args) -> None:  # noqa: ANN002
        pass

    def _record(self, body: bytes) -> dict:
        url = urlsplit(self.path)
        entry = {"method": self.command, "path": url.path, "params": parse_qs(url.query),
                 "content_type": self.headers.get("content-type", ""), "auth": self.headers.get("authorization"),
                 "accept": self.headers.get("accept", ""), "body": body}
        if entry["content_type"].startswith("application/x-www-form-urlencoded"):
            entry["form"] = parse_qs(body.decode())
        self.requests.append(entry)
        return entry

    def _authorized(self, entry: dict) -> bool:
        return entry["auth"] == f"Bearer {TOKEN}" or entry["params"].get("access-token") == [TOKEN]

    def _answer(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        entry = self._record(self.rfile.read(int(self.headers.get("content-length", 0))))
        if entry["path"] != "/":
            return self._answer(404, b"not found")
        form = entry.get("form", {})
        if "query" in form:
            result = self.store.query(form["query"][0], use_default_graph_as_union=True)
            if isinstance(result, ox.QueryTriples):
                return self._answer(200, ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES), "application/n-triples")
            return self._answer(200, result.serialize(format=ox.QueryResultsFormat.JSON), "application/sparql-results+json")
        if "update" in form or entry["content_type"].startswith("application/sparql-update"):
            if not self._authorized(entry):
                return self._answer(403, b"Operation requires a valid access token")
            self.store.update(form["update"][0] if "update" in form else entry["body"].decode())
            return self._answer(200, b"{}", "application/json")
        return self._answer(400, b"no query or update")

    def do_PUT(self) -> None:  # noqa: N802
        entry = self._record(self.rfile.read(int(self.headers.get("content-length", 0))))
        if not self._authorized(entry):
            return self._answer(403, b"Operation requires a valid access token")
        graph = ox.NamedNode(entry["params"]["graph"][0])
        self.store.remove_graph(graph) if self.store.contains_named_graph(graph) else None
        for q in ox.parse(entry["body"], ox.RdfFormat.N_TRIPLES):
            self.store.add(ox.Quad(q.subject, q.predicate, q.object, graph))
        return self._answer(204)


@pytest.fixture()
def qlever():
    handler = type("Recording", (QleverRecording,), {"store": ox.Store(), "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def _remote(url: str, token: str = TOKEN) -> RemoteStore:
    return RemoteStore(RemoteConfig(query_url=url, update_url=url, store_url=url, dialect="qlever",
                                    auth="bearer", token=token))


def test_queries_go_to_the_root_as_a_form_with_no_dataset(qlever) -> None:
    handler, url = qlever
    g = ox.NamedNode("http://example.org/g1")
    handler.store.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"),
                              ox.Literal("x", language="en"), g))
    remote = _remote(url)
    rows = remote.query("SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }")
    assert [(r["s"].value, r["o"].value, r["o"].language) for r in rows] == [("http://example.org/a", "x", "en")]
    sent = handler.requests[-1]
    assert sent["method"] == "POST" and sent["path"] == "/"
    assert set(sent["form"]) == {"query"}  # the union default graph is QLever's own: no dataset sent
    assert sent["accept"] == "application/sparql-results+json"
    bound = remote.query("ASK { ?s ?p ?o }", {"s": ox.NamedNode("http://example.org/a")})
    assert bound is True and "VALUES (?s)" in handler.requests[-1]["form"]["query"][0]
    remote.close()


def test_updates_and_graph_writes_carry_the_access_token(qlever) -> None:
    handler, url = qlever
    remote = _remote(url)
    writer = RemoteWriteStore(remote)
    writer.update('INSERT DATA { GRAPH <http://example.org/g2> { <http://example.org/b> <http://example.org/p> "y" } }')
    sent = handler.requests[-1]
    assert sent["method"] == "POST" and sent["path"] == "/" and "update" in sent["form"]
    assert sent["auth"] == f"Bearer {TOKEN}"
    assert writer.contains_named_graph(ox.NamedNode("http://example.org/g2")) is True
    remote.put_graph("http://example.org/g3", '<http://example.org/c> <http://example.org/p> "z" .\n')
    put = handler.requests[-1]
    assert put["method"] == "PUT" and put["params"]["graph"] == ["http://example.org/g3"]
    assert put["content_type"] == "application/n-triples" and put["auth"] == f"Bearer {TOKEN}"
    version = remote.bump_version("http://example.org/dataset", "http://example.org/void")
    assert remote.state_version("http://example.org/dataset") == version
    remote.close()


def test_a_refused_token_is_told_plainly(qlever) -> None:
    _handler, url = qlever
    remote = _remote(url, token="wrong")
    with pytest.raises(RemoteError) as refused:
        remote.update('INSERT DATA { <http://example.org/a> <http://example.org/p> "x" }')
    assert refused.value.status == 502 and refused.value.code == "backend_refused"
    assert "CLAIMGRAPH_REMOTE_AUTH" in refused.value.message
    remote.close()


def test_the_recording_refuses_what_qlever_refuses(qlever) -> None:
    """The recording itself keeps to the documented behaviour: an update without the token fails."""
    import httpx

    _handler, url = qlever
    r = httpx.post(url, data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }"})
    assert r.status_code == 403
    r = httpx.post(url, data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }"},
                   params={"access-token": TOKEN})
    assert r.status_code == 200
    assert json.loads(httpx.post(url, data={"query": "ASK { ?s ?p 1 }"}).content)["boolean"] is True
