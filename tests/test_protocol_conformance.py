"""SPARQL 1.1 Protocol and Graph Store details a standard client meets in its first hour.

Relative IRIs resolve against the endpoint's URL (Protocol §2.1.4, §2.2.4); using-graph-uri /
using-named-graph-uri give an update's dataset, and an update that names its own as well is a
400 (§2.2.3); POST to the graph store itself creates a graph the service names (GSP §5.5).
The W3C manifests (tests/test_w3c.py) check the same over the whole suite.
"""

from __future__ import annotations

import httpx
import pytest

from support.liveserver import LiveServer, assert_error, start_server
from support.w3c.servers import empty_store

TOKEN = "conformance-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
NT = "application/n-triples"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    tmp = tmp_path_factory.mktemp("conformance")
    srv = start_server(empty_store(tmp / "s"), tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN})
    yield srv
    srv.stop()


@pytest.fixture()
def client(server: LiveServer) -> httpx.Client:
    with server.client() as c:
        yield c


def test_relative_iris_in_a_query_resolve_against_the_endpoint(server, client):
    r = client.get("/sparql", params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}, headers={"Accept": NT})
    assert r.status_code == 200, r.text
    assert r.text.startswith(f"<{server.url}/s> <{server.url}/p> ")


def test_relative_iris_in_an_update_resolve_against_the_endpoint(server, client):
    r = client.post("/sparql", content="INSERT DATA { GRAPH <http://example.org/rel> { <a> <b> <c> } }", headers=UPDATE)
    assert r.status_code == 204, r.text
    r = client.get("/store", params={"graph": "http://example.org/rel"}, headers={"Accept": NT})
    assert r.text.strip() == f"<{server.url}/a> <{server.url}/b> <{server.url}/c> ."
    # A point lookup with relative IRIs: the inline path (and its cache) resolve them the same way.
    for _ in range(2):
        r = client.get("/sparql", params={"query": "SELECT ?o WHERE { <a> <b> ?o }"},
                       headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.text
        assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == [f"{server.url}/c"]


def test_using_graph_uri_gives_the_update_its_dataset(client):
    client.post("/sparql", content="INSERT DATA { GRAPH <http://example.org/src> { <http://x/s> <http://x/p> 1 } }",
                headers=UPDATE)
    text = "INSERT { GRAPH <http://example.org/dst> { ?s ?p 2 } } WHERE { ?s ?p 1 }"
    r = client.post("/sparql", params={"using-graph-uri": "http://example.org/src"}, content=text, headers=UPDATE)
    assert r.status_code == 204, r.text
    r = client.get("/store", params={"graph": "http://example.org/dst"}, headers={"Accept": NT})
    assert r.status_code == 200 and '"2"' in r.text, r.text
    # Without the parameter the WHERE reads the store's own default graph, which is empty.
    client.post("/sparql", content="DROP GRAPH <http://example.org/dst>", headers=UPDATE)
    assert client.post("/sparql", content=text, headers=UPDATE).status_code == 204
    assert client.get("/store", params={"graph": "http://example.org/dst"}).status_code == 404


@pytest.mark.parametrize("clause", ["WITH <http://example.org/src>", "USING <http://example.org/src>"])
def test_a_dataset_named_twice_is_a_400(client, clause):
    text = (f"{clause} DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}" if clause.startswith("WITH")
            else f"DELETE {{ ?s ?p ?o }} {clause} WHERE {{ ?s ?p ?o }}")
    r = client.post("/sparql", params={"using-named-graph-uri": "http://example.org/src"}, content=text, headers=UPDATE)
    err = assert_error(r, 400, parameter="using-named-graph-uri", code="dataset_conflict")
    assert clause.split()[0] in err["message"]


def test_post_to_the_graph_store_creates_a_graph_it_names(server, client):
    r = client.post("/store", content=b"<http://x/s> <http://x/p> <http://x/o> .\n",
                    headers={**AUTH, "Content-Type": NT})
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert location.startswith(f"{server.url}/store/") and "/id/graph/" not in location
    got = client.get(location, headers={"Accept": NT})
    assert got.status_code == 200 and got.text.strip() == "<http://x/s> <http://x/p> <http://x/o> ."
    again = client.post("/store", content=b"", headers={**AUTH, "Content-Type": NT})
    assert again.status_code == 201 and again.headers["location"] != location


def test_drop_all_empties_a_store_without_build_graphs(client):
    client.post("/sparql", content="INSERT DATA { GRAPH <http://example.org/g> { <http://x/s> <http://x/p> 1 } }",
                headers=UPDATE)
    assert client.post("/sparql", content="DROP ALL", headers=UPDATE).status_code == 204
    r = client.get("/sparql", params={"query": "ASK { GRAPH ?g { ?s ?p ?o } }"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.json()["boolean"] is False
