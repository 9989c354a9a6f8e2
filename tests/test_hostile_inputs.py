"""A hostile-input corpus, run as one suite against a live server with writes enabled.

Each input gets its own 4xx (or the 503 of a stopped runaway) with the one error shape and a
message, never a stack trace; the process survives all of them and its memory stays bounded.
Kinds: pathological SPARQL (deep nesting, long paths, huge VALUES, cross products, lone
surrogates, non-UTF-8), SERVICE and LOAD aimed at loopback and private addresses, oversized
bodies and headers, malformed RDF uploads (entity expansion in RDF/XML, deeply nested JSON-LD,
broken Turtle, an unknown type), and path traversal in path parameters. Other suites hold more of
each kind (test_sparql_safety, test_injection, test_graph_store, test_connection_limits); this one
keeps a case of every kind in one place, against one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from support.liveserver import LiveServer, start_server, writable_copy

TOKEN = "hostile-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Accept": "application/sparql-results+json"}


@dataclass
class Case:
    method: str
    path: str
    status: int
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    code: str | None = None  # the error code the body must carry, when one is fixed


def _laughs() -> bytes:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    return (f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
            'syntax-ns#" xmlns:e="urn:e:"><rdf:Description rdf:about="urn:x"><e:p>&i;</e:p></rdf:Description>'
            '</rdf:RDF>').encode()


def _nested_jsonld(depth: int) -> bytes:
    return ('{"@id": "urn:x", "urn:p": ' * depth + '"v"' + "}" * depth).encode()


CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SPARQL = "application/sparql-query"
CASES: dict[str, Case] = {
    # -- pathological SPARQL ------------------------------------------------------------------
    "deep nesting": Case("POST", "/sparql", 400, headers={**JSON, "Content-Type": SPARQL},
                         body=("SELECT * WHERE " + "{" * 3000 + "}" * 3000).encode()),
    "long property path": Case("POST", "/sparql", 400, headers={**JSON, "Content-Type": SPARQL},
                               body=("SELECT * WHERE { ?s " + "/".join(["<urn:p>"] * 6000) + " ?o }").encode()),
    "huge VALUES": Case("POST", "/sparql", 400, headers={**JSON, "Content-Type": SPARQL},
                        body=("SELECT * WHERE { VALUES ?x { " + " ".join(str(i % 10) for i in range(25000))
                              + " } }").encode(), code="query_too_complex"),  # 50 KB, 25,000 tokens
    "query over the size limit": Case("POST", "/sparql", 413, headers={**JSON, "Content-Type": SPARQL},
                                      body=b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * 70000, code="query_too_large"),
    "cross product": Case("GET", "/sparql", 503, {"query": CROSS, "timeout": "0.5"}, JSON, code="timeout"),
    # U+D800 as UTF-8 would spell it, percent-encoded (no client library will encode a lone surrogate)
    "lone surrogate": Case("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%22%ED%A0%80%22%20%7D", 400,
                           headers=JSON, code="bad_encoding"),
    "non-UTF-8 body": Case("POST", "/sparql", 400, headers={**JSON, "Content-Type": SPARQL},
                           body=b"SELECT * WHERE { ?s ?p \"\xff\xfe\" }", code="bad_encoding"),
    "NUL in a query": Case("GET", "/sparql", 400, {"query": "SELECT * WHERE { ?s ?p ?o }\x00"}, JSON),
    # -- SERVICE and LOAD to loopback and private addresses ----------------------------------------
    **{f"SERVICE to {host}": Case("GET", "/sparql", 403,
                                   {"query": f"SELECT * WHERE {{ SERVICE <http://{host}/sparql> {{ ?s ?p ?o }} }}"},
                                   JSON, code="service_refused")
       for host in ("127.0.0.1:8000", "localhost", "10.0.0.1", "169.254.169.254", "[::1]")},
    **{f"LOAD from {host}": Case("POST", "/sparql", 403, headers={**AUTH, "Content-Type": "application/sparql-update"},
                                 body=f"LOAD <http://{host}/data.ttl>".encode(), code="load_refused")
       for host in ("127.0.0.1:8000", "192.168.1.1")},
    # -- oversized requests ---------------------------------------------------------------------
    "oversized body": Case("POST", "/sparql", 413, headers={**JSON, "Content-Type": SPARQL},
                           body=b"#" * (17 * 1024 * 1024)),
    "oversized header": Case("GET", "/health", 431, headers={"X-Filler": "x" * 70000}),
    # -- malformed RDF uploads -----------------------------------------------------------------
    "entity expansion in RDF/XML": Case("PUT", "/store", 400, {"graph": "urn:hostile:laughs"},
                                        {**AUTH, "Content-Type": "application/rdf+xml"}, _laughs()),
    # pyoxigraph's JSON-LD parser overflowed the stack on this and took the serving process down
    "deeply nested JSON-LD": Case("PUT", "/store", 400, {"graph": "urn:hostile:nested"},
                                  {**AUTH, "Content-Type": "application/ld+json"}, _nested_jsonld(20000),
                                  code="too_deep"),
    "nested JSON-LD in a POST": Case("POST", "/store", 400, {"graph": "urn:hostile:nested"},
                                     {**AUTH, "Content-Type": "application/ld+json"}, _nested_jsonld(3000),
                                     code="too_deep"),
    "broken Turtle": Case("PUT", "/store", 400, {"graph": "urn:hostile:turtle"},
                          {**AUTH, "Content-Type": "text/turtle"}, b"<urn:a> <urn:b> \"unclosed ."),
    "an unknown RDF type": Case("PUT", "/store", 415, {"graph": "urn:hostile:type"},
                                {**AUTH, "Content-Type": "application/x-hostile"}, b"whatever"),
    # -- path traversal in path parameters ---------------------------------------------------------
    **{f"traversal {path}": Case("GET", path, 404) for path in (
        "/api/entities/..%2F..%2F..%2Fetc%2Fpasswd", "/api/claims/..%2F..%2Fpyproject.toml",
        "/api/articles/..%2F..%2Fdata", "/static/..%2F..%2F..%2Fpyproject.toml", "/dumps/..%2F..%2Fpyproject.toml",
        "/read/..%2F..%2Fetc%2Fpasswd", "/entity/..%2F..%2Fetc%2Fpasswd", "/id/..%2F..%2Fetc%2Fpasswd",
        "/api/queries/..%2F..%2Fpyproject.toml")},
}


@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("hostile")
    live = start_server(writable_copy(built_settings.store, tmp), tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN})
    yield live
    live.stop()


def _rss_mb(live: LiveServer) -> float:
    with open(f"/proc/{live.proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def test_every_hostile_input_gets_its_own_clear_refusal(server: LiveServer) -> None:
    before = _rss_mb(server)
    outcomes = {}
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for name, case in CASES.items():
            try:
                r = client.request(case.method, case.path, params=case.params or None, headers=case.headers,
                                   content=case.body)  # params={} would drop a query string written in the path
            except httpx.HTTPError as exc:
                pytest.fail(f"{name}: no answer ({type(exc).__name__}: {exc})")
            outcomes[name] = r.status_code
            assert r.status_code == case.status, (name, r.status_code, r.text[:300])
            assert "Traceback" not in r.text and 'File "' not in r.text, name
            body = r.json()
            assert body["ok"] is False and body["error"]["status"] == case.status and body["error"]["message"], name
            if case.code:
                assert body["error"]["code"] == case.code, (name, body)
            assert client.get("/health").status_code == 200, f"the service stopped answering after {name}"
    assert server.alive()
    # Nothing hostile was stored: the three graphs the refused uploads named do not exist.
    for graph in ("urn:hostile:laughs", "urn:hostile:nested", "urn:hostile:turtle"):
        assert httpx.get(f"{server.url}/store", params={"graph": graph}).status_code == 404
    grown = _rss_mb(server) - before
    assert grown < 400, f"the serving process grew by {grown:.0f} MB over {len(CASES)} hostile inputs"
