"""The Graph Store HTTP Protocol at /store, over a real server.

Writes go to a private copy of the built store, so other test modules keep
seeing the store exactly as built.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox
import pytest

from support.liveserver import LiveServer, start_server
from support.liveserver import Listener, assert_error, writable_copy

TOKEN = "gsp-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BODY_LIMIT = 64 * 1024
EX = "http://example.org/gsp/"


# -- helpers -------------------------------------------------------------------





def triples(body: bytes, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(body, fmt)}


def graph_of(client: httpx.Client, iri: str) -> set[ox.Triple]:
    r = client.get("/store", params={"graph": iri}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200, r.text
    return triples(r.content)




# -- fixtures --------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    tmp = tmp_path_factory.mktemp("gsp")
    store = writable_copy(built_settings.store, tmp / "copy")
    srv = start_server(store, tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN,
                                        "CLAIMGRAPH_MAX_BODY_BYTES": str(BODY_LIMIT)})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def links_graph(mint) -> str:
    return mint.graph("links")


# -- reading -----------------------------------------------------------------------
# Reads come first: they compare against the store as built, before any write.

def test_get_default_is_the_union_of_all_graphs(client, built_store):
    r = client.get("/store?default", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/n-triples")
    got = triples(r.content)
    expected = {q.triple for q in built_store.raw.quads_for_pattern(None, None, None)}
    assert got == expected and len(got) > 1000


def test_get_named_graph_defaults_to_turtle(client, built_store, links_graph):
    r = client.get("/store", params={"graph": links_graph})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert "Accept" in r.headers["vary"]
    expected = {q.triple for q in built_store.raw.quads_for_pattern(None, None, None, ox.NamedNode(links_graph))}
    assert triples(r.content, ox.RdfFormat.TURTLE) == expected and expected


@pytest.mark.parametrize("accept,media,fmt", [
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("text/turtle;q=0.2, application/rdf+xml;q=0.9, application/n-triples;q=0.5", "application/rdf+xml",
     ox.RdfFormat.RDF_XML),
    ("application/trig, text/*;q=0.3", "text/turtle", ox.RdfFormat.TURTLE),
    ("*/*", "text/turtle", ox.RdfFormat.TURTLE),
])
def test_content_negotiation_with_q_values(client, built_store, links_graph, accept, media, fmt):
    r = client.get("/store", params={"graph": links_graph}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    expected = {q.triple for q in built_store.raw.quads_for_pattern(None, None, None, ox.NamedNode(links_graph))}
    assert triples(r.content, fmt) == expected


def test_nothing_acceptable_is_406(client, links_graph):
    for accept in ("application/trig", "image/png", "text/turtle;q=0"):
        r = client.get("/store", params={"graph": links_graph}, headers={"Accept": accept})
        err = assert_error(r, 406, "Accept")
        assert "text/turtle" in err["message"]


def test_missing_graph_is_404(client):
    r = client.get("/store", params={"graph": EX + "never-written"})
    err = assert_error(r, 404, "graph", "graph_not_found")
    assert EX + "never-written" in err["message"]


def _raw_exchange(url: str, request: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


@pytest.mark.parametrize("graph", ["links", "missing"])
def test_head_has_gets_status_and_headers_and_no_body(server, client, mint, graph):
    iri = mint.graph("links") if graph == "links" else EX + "no-such-graph"
    get = client.get("/store", params={"graph": iri})
    head = client.head("/store", params={"graph": iri})
    assert head.status_code == get.status_code == (200 if graph == "links" else 404)
    for name in ("content-type", "content-length", "vary"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert head.content == b""
    # On the wire: after HEAD's headers the very next bytes must be the next response.
    host = urlsplit(server.url).netloc
    target = f"/store?graph={httpx.QueryParams({'g': iri})['g']}"
    pipelined = (f"HEAD {httpx.URL(target)} HTTP/1.1\r\nHost: {host}\r\n\r\n"
                 f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").encode()
    raw = _raw_exchange(server.url, pipelined)
    first_headers, _, rest = raw.partition(b"\r\n\r\n")
    assert first_headers.startswith(f"HTTP/1.1 {get.status_code}".encode())
    assert rest.startswith(b"HTTP/1.1 200"), rest[:80]


@pytest.mark.parametrize("query,parameter", [
    ("", "graph"),
    ("graph=relative/iri", "graph"),
    ("graph=http://a.example/x%3E", "graph"),
    (f"graph={EX}a&graph={EX}b", "graph"),
    (f"graph={EX}a&default", "graph"),
    ("graph=%FF%FE", "graph"),
])
def test_bad_graph_identification_is_400(client, query, parameter):
    r = client.get(f"/store?{query}")
    assert_error(r, 400, parameter)


# -- writing: authorization ----------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_writes_need_the_bearer_token(client, method):
    iri = EX + "auth-" + method.lower()
    kw = {"params": {"graph": iri}, "headers": {"Content-Type": "text/turtle"},
          "content": f"<{EX}s> <{EX}p> 1 ."}
    r = client.request(method, "/store", **kw)
    assert_error(r, 401, "Authorization")
    assert r.headers["www-authenticate"].lower().startswith("bearer")
    r = client.request(method, "/store", **{**kw, "headers": {**kw["headers"], "Authorization": "Bearer wrong"}})
    assert_error(r, 403, "Authorization")
    r = client.request(method, "/store", **{**kw, "headers": {**kw["headers"], "Authorization": f"Basic {TOKEN}"}})
    assert_error(r, 401, "Authorization")
    assert client.get("/store", params={"graph": iri}).status_code == 404  # nothing was written


def test_read_only_server_refuses_writes_and_caps_results(built_store, built_settings, links_graph,
                                                          tmp_path_factory):
    # A second server on the shared store without a token: it must refuse before touching anything.
    cap = 20000
    srv = start_server(built_settings.store, tmp_path_factory.mktemp("gsp-ro"),
                       env={"CLAIMGRAPH_UPDATE_TOKEN": "", "CLAIMGRAPH_WORKERS": "1",
                            "CLAIMGRAPH_MAX_RESULT_BYTES": str(cap)})
    try:
        with srv.client() as c:
            for method in ("PUT", "POST", "DELETE"):
                r = c.request(method, "/store", params={"graph": EX + "ro"}, content=b"",
                              headers={"Content-Type": "text/turtle", **AUTH})
                err = assert_error(r, 403, code="updates_disabled")
                assert "CLAIMGRAPH_UPDATE_TOKEN" in err["message"]
            small = c.get("/store", params={"graph": links_graph})
            assert small.status_code == 200 and 0 < len(small.content) <= cap
            # The union is far bigger than the cap: a clear 413, never a truncated 200.
            err = assert_error(c.get("/store?default"), 413, "graph", "result_too_large")
            assert str(cap) in err["message"]
            head = c.head("/store?default")
            assert head.status_code == 413 and head.content == b""
        assert srv.alive()
    finally:
        srv.stop()


# -- writing: PUT / POST / DELETE ------------------------------------------------------

def test_put_creates_then_replaces(client):
    iri = EX + "put"
    r = client.put("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
                   content=f"<{EX}s> <{EX}p> 1, 2 .")
    assert r.status_code == 201, r.text
    assert iri in httpx.QueryParams(urlsplit(r.headers["location"]).query)["graph"]
    assert len(graph_of(client, iri)) == 2
    r = client.put("/store", params={"graph": iri}, headers={"Content-Type": "application/n-triples", **AUTH},
                   content=f'<{EX}s> <{EX}p> "three" .\n')
    assert r.status_code == 204, r.text
    assert graph_of(client, iri) == {ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("three"))}


def test_put_of_an_empty_body_leaves_an_existing_empty_graph(client):
    iri = EX + "empty"
    r = client.put("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH}, content=b"")
    assert r.status_code == 201
    r = client.get("/store", params={"graph": iri}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.content.strip() == b""


def test_post_merges_and_keeps_blank_nodes_apart(client):
    iri = EX + "post"
    body = f'_:b <{EX}name> "x" .'
    r1 = client.post("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH}, content=body)
    r2 = client.post("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH}, content=body)
    assert (r1.status_code, r2.status_code) == (201, 204)
    got = graph_of(client, iri)
    # Two uploads' `_:b` are two different nodes: a merge, not a union of labels.
    assert len(got) == 2 and len({t.subject for t in got}) == 2
    assert all(isinstance(t.subject, ox.BlankNode) for t in got)


def test_delete_removes_the_graph(client):
    iri = EX + "delete"
    client.put("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
               content=f"<{EX}s> <{EX}p> <{EX}o> .")
    assert client.delete("/store", params={"graph": iri}, headers=AUTH).status_code == 204
    assert_error(client.get("/store", params={"graph": iri}), 404, "graph")
    ask = client.get("/sparql", params={"query": f"ASK {{ GRAPH <{iri}> {{}} }}"},
                     headers={"Accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is False
    assert_error(client.delete("/store", params={"graph": iri}, headers=AUTH), 404, "graph", "graph_not_found")


def test_writes_are_visible_to_sparql_at_once(client):
    iri = EX + "visible"
    q = {"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"}
    accept = {"Accept": "application/sparql-results+json"}

    def count() -> int:
        return int(client.get("/sparql", params=q, headers=accept).json()["results"]["bindings"][0]["n"]["value"])

    assert count() == 0
    assert count() == 0  # now cached
    client.post("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
                content=f"<{EX}a> <{EX}b> 1, 2, 3 .")
    assert count() == 3
    before = client.get("/store", params={"graph": iri}, headers={"Accept": "application/n-triples"})
    client.post("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
                content=f"<{EX}a> <{EX}b> 4 .")
    after = client.get("/store", params={"graph": iri}, headers={"Accept": "application/n-triples"})
    assert len(triples(after.content)) == len(triples(before.content)) + 1 == 4


def test_direct_identification(server, client):
    path = "/store/tests/direct"
    iri = server.url + path
    r = client.put(path, headers={"Content-Type": "text/turtle", **AUTH}, content="<thing> <prop> <other> .")
    assert r.status_code == 201 and r.headers["location"] == iri
    # The graph is named by the request IRI; relative IRIs resolve against it.
    expected = {ox.Triple(ox.NamedNode(server.url + "/store/tests/thing"), ox.NamedNode(server.url + "/store/tests/prop"),
                          ox.NamedNode(server.url + "/store/tests/other"))}
    assert graph_of(client, iri) == expected
    r = client.get(path, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and triples(r.content) == expected
    assert client.head(path).status_code == 200
    assert_error(client.get(path + "?graph=" + EX), 400, "graph")
    assert client.delete(path, headers=AUTH).status_code == 204
    assert_error(client.get(path), 404, "graph")
    head = client.head(path)
    assert head.status_code == 404 and head.content == b""


def test_default_graph_writes_touch_only_the_unnamed_graph(client, mint):
    s, p = ox.NamedNode(EX + "in-default"), ox.NamedNode(EX + "p")
    r = client.post("/store?default", headers={"Content-Type": "text/turtle", **AUTH}, content=f"{s} {p} 1 .")
    assert r.status_code == 204
    union = triples(client.get("/store?default", headers={"Accept": "application/n-triples"}).content)
    assert ox.Triple(s, p, ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))) in union
    r = client.put("/store?default", headers={"Content-Type": "text/turtle", **AUTH}, content=f"{s} {p} 2 .")
    assert r.status_code == 204
    union = triples(client.get("/store?default", headers={"Accept": "application/n-triples"}).content)
    mine = {t for t in union if t.subject == s}
    assert [t.object.value for t in mine] == ["2"]
    # The article graphs are still there: PUT ?default replaced only the unnamed graph.
    assert graph_of(client, mint.graph("links"))
    assert client.delete("/store?default", headers=AUTH).status_code == 204
    union = triples(client.get("/store?default", headers={"Accept": "application/n-triples"}).content)
    assert not {t for t in union if t.subject == s} and len(union) > 1000


# -- bodies ----------------------------------------------------------------------------

def test_multipart_post_merges_every_part(client):
    iri = EX + "multipart"
    files = [
        ("a", ("a.ttl", f"@prefix ex: <{EX}> . ex:s ex:p 1 .".encode(), "text/turtle")),
        ("b", ("b.nt", f"<{EX}s> <{EX}p> \"two\" .\n".encode(), "application/octet-stream")),
        ("c", ("c.rdf", (f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
                         f'<rdf:Description rdf:about="{EX}s"><ex:p>three</ex:p></rdf:Description></rdf:RDF>').encode(),
                 "application/rdf+xml")),
        ("d", ("d.jsonld", json.dumps({"@id": EX + "s", EX + "p": "four"}).encode(), "application/ld+json")),
    ]
    r = client.post("/store", params={"graph": iri}, files=files, headers=AUTH)
    assert r.status_code == 201, r.text
    got = graph_of(client, iri)
    assert sorted(t.object.value for t in got) == ["1", "four", "three", "two"]


def test_multipart_with_one_bad_part_writes_nothing(client):
    iri = EX + "multipart-bad"
    files = [
        ("good", ("good.ttl", f"<{EX}s> <{EX}p> 1 .".encode(), "text/turtle")),
        ("bad", ("bad.ttl", b"<a> <b> .", "text/turtle")),
    ]
    r = client.post("/store", params={"graph": iri}, files=files, headers=AUTH)
    err = assert_error(r, 400, "body", "syntax_error")
    assert "part 2" in err["message"] and "line 1" in err["message"]
    assert_error(client.get("/store", params={"graph": iri}), 404)
    files = [("x", ("x.bin", b"\x00\x01", "application/octet-stream"))]
    err = assert_error(client.post("/store", params={"graph": iri}, files=files, headers=AUTH), 415, "Content-Type")
    assert "part 1" in err["message"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_bad_turtle_leaves_the_graph_untouched(client, method):
    iri = EX + "untouched-" + method.lower()
    client.put("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
               content=f"<{EX}s> <{EX}p> 1 .")
    before = graph_of(client, iri)
    body = f"<{EX}s> <{EX}p> 2 .\n<{EX}s> <{EX}p> 3 .\n<{EX}s> <{EX}p> oops ."
    r = client.request(method, "/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
                       content=body)
    err = assert_error(r, 400, "body", "syntax_error")
    try:
        list(ox.parse(body.encode(), ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        assert str(exc) in err["message"]  # the parser's own words, line and column included
    assert "line 3" in err["message"]
    assert graph_of(client, iri) == before


def test_rdfxml_with_a_doctype_is_refused(client):
    iri = EX + "doctype"
    laughs = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
              f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
              f'<rdf:Description rdf:about="{EX}s"><ex:p>&c;</ex:p></rdf:Description></rdf:RDF>')
    r = client.put("/store", params={"graph": iri}, headers={"Content-Type": "application/rdf+xml", **AUTH},
                   content=laughs)
    err = assert_error(r, 400, "body", "doctype_refused")
    assert "DOCTYPE" in err["message"]
    files = [("x", ("x.rdf", laughs.encode(), "application/rdf+xml"))]
    assert_error(client.post("/store", params={"graph": iri}, files=files, headers=AUTH), 400, "body", "doctype_refused")
    assert_error(client.get("/store", params={"graph": iri}), 404)


def test_jsonld_remote_context_is_not_fetched(client):
    listener = Listener()
    try:
        doc = {"@context": f"http://127.0.0.1:{listener.port}/context.jsonld", "@id": EX + "s", "name": "x"}
        r = client.put("/store", params={"graph": EX + "jsonld-remote"},
                       headers={"Content-Type": "application/ld+json", **AUTH}, content=json.dumps(doc))
        assert_error(r, 400, "body")
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


def test_named_graphs_in_a_body_are_refused(client):
    r = client.put("/store", params={"graph": EX + "nq"}, headers={"Content-Type": "application/n-quads", **AUTH},
                   content=f"<{EX}s> <{EX}p> <{EX}o> <{EX}other> .\n")
    assert_error(r, 400, "body")
    r = client.put("/store", params={"graph": EX + "nq"}, headers={"Content-Type": "application/n-quads", **AUTH},
                   content=f"<{EX}s> <{EX}p> <{EX}o> .\n")
    assert r.status_code == 201 and len(graph_of(client, EX + "nq")) == 1


@pytest.mark.parametrize("content_type", ["application/x-unknown", "application/trig", None])
def test_unsupported_body_type_is_415(client, content_type):
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    r = client.put("/store", params={"graph": EX + "415"}, headers=headers, content=f"<{EX}s> <{EX}p> 1 .")
    err = assert_error(r, 415, "Content-Type")
    assert "text/turtle" in err["message"]


def test_oversized_body_is_413_and_writes_nothing(client):
    iri = EX + "too-big"
    line = f"<{EX}s> <{EX}p> \"{'x' * 80}\" .\n"
    big = line * (BODY_LIMIT // len(line) + 2)
    assert len(big) > BODY_LIMIT
    r = client.put("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH}, content=big)
    err = assert_error(r, 413)
    assert str(BODY_LIMIT) in err["message"]

    def chunks():  # no Content-Length: the limit must hold while streaming too
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096].encode()

    r = client.post("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH}, content=chunks())
    assert_error(r, 413)
    assert_error(client.get("/store", params={"graph": iri}), 404)
    small = line * (BODY_LIMIT // len(line) - 1)
    r = client.put("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH}, content=small)
    assert r.status_code == 201


def test_concurrent_posts_all_land_and_exactly_one_creates(server):
    iri = EX + "concurrent"
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(t: int) -> None:
        with server.client() as c:
            for i in range(25):
                r = c.post("/store", params={"graph": iri}, headers={"Content-Type": "text/turtle", **AUTH},
                           content=f"<{EX}t{t}> <{EX}i> {i} .")
                with lock:
                    statuses.append(r.status_code)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(set(statuses)) == [201, 204] and statuses.count(201) == 1 and len(statuses) == 100
    with server.client() as c:
        assert len(graph_of(c, iri)) == 100


def test_server_survived_the_suite(server, client):
    assert server.alive()
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["ok"] is True
    assert "Traceback" not in server.log_text()
