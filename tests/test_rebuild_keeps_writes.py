"""A rebuild never discards a write the API acknowledged, and is served on the next request.

Against a real server with the update token and the installed `claimgraph build`: writes
to graphs the build does not own (the default graph, the user's graphs) are carried into
every new version; writes to graphs it owns are refused with 409 before anything is
written; a server that wrote after the last build moves to the new build at once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from claimgraph.build import build
from support.liveserver import start_server

TOKEN = "rebuild-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER_GRAPH = "http://example.org/my-notes"


@pytest.fixture(scope="module")
def served(tmp_path_factory, settings_for):
    tmp = tmp_path_factory.mktemp("rebuild")
    settings = settings_for(tmp, reasoner="none")
    build(settings)
    server = start_server(settings.store, tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN})
    yield server, settings, tmp
    server.stop()


def rebuild(settings, tmp) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLAIMGRAPH_STORE": str(settings.store), "CLAIMGRAPH_REASONER": "none"}
    done = subprocess.run([sys.executable, "-m", "claimgraph", "build"], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def ask(client, query: str) -> bool:
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def version(client) -> str:
    return client.get("/health").json()["store"]["version"]


def test_acknowledged_writes_survive_a_rebuild_and_the_new_build_is_served_at_once(served):
    server, settings, tmp = served
    with server.client() as c:
        r = c.post("/sparql", data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }"},
                   headers=AUTH)
        assert r.status_code == 204, r.text
        r = c.post("/sparql", data={"update": f"INSERT DATA {{ GRAPH <{USER_GRAPH}> "
                                              "{ <http://example.org/a> <http://example.org/p> 2 } }"}, headers=AUTH)
        assert r.status_code == 204, r.text
        r = c.put("/store", params={"graph": "http://example.org/uploaded"},
                  content=b"<http://example.org/u> <http://example.org/p> 3 .",
                  headers={**AUTH, "Content-Type": "text/turtle"})
        assert r.status_code == 201, r.text
        assert c.post("/sparql", data={"update": "CREATE GRAPH <http://example.org/empty>"},
                      headers=AUTH).status_code == 204
        before = version(c)

        done = rebuild(settings, tmp)
        assert "carried 3 quad(s)" in done.stdout + done.stderr

        # The very next request: the new build, not the post-write snapshot of the old one.
        after = version(c)
        assert after != before
        assert os.readlink(settings.store).endswith(after)
        for query in ("ASK { <http://example.org/a> <http://example.org/p> 1 }",
                      f"ASK {{ GRAPH <{USER_GRAPH}> {{ <http://example.org/a> <http://example.org/p> 2 }} }}",
                      "ASK { GRAPH <http://example.org/uploaded> { <http://example.org/u> ?p 3 } }",
                      "ASK { GRAPH <http://example.org/empty> { } }"):
            assert ask(c, query), query
        # The build's own graphs are there too, once each (not carried as copies of the old).
        r = c.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                              f"FILTER(STRSTARTS(STR(?g), '{settings.base_iri}graph/')) }}"},
                  headers={"Accept": "application/sparql-results+json"})
        built = int(r.json()["results"]["bindings"][0]["n"]["value"])
        assert built > 1000

        # A write after the rebuild lands on the new version, and a second rebuild keeps it too.
        assert c.post("/sparql", data={"update": "INSERT DATA { <http://example.org/b> <http://example.org/p> 4 }"},
                      headers=AUTH).status_code == 204
        rebuild(settings, tmp)
        assert ask(c, "ASK { <http://example.org/b> <http://example.org/p> 4 . <http://example.org/a> ?p 1 }")
        r = c.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                              f"FILTER(STRSTARTS(STR(?g), '{settings.base_iri}graph/')) }}"},
                  headers={"Accept": "application/sparql-results+json"})
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == built


@pytest.mark.parametrize("update", [
    "INSERT DATA { GRAPH <{g}article/us-russia-reconfiguration> { <http://example.org/x> <http://example.org/p> 1 } }",
    "PREFIX cgg: <{g}> DELETE WHERE { GRAPH cgg:entities { ?s ?p ?o } }",
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "WITH <{g}links> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DROP ALL",
    "CLEAR SILENT NAMED",
    "MOVE <{g}inferred> TO <http://example.org/mine>",
    "COPY <http://example.org/mine> TO <{g}ontology>",
])
def test_writes_to_graphs_the_build_owns_are_refused_before_anything_is_written(served, update):
    server, settings, _tmp = served
    graphs = f"{settings.base_iri}graph/"
    with server.client() as c:
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        before = c.get("/sparql", params={"query": count}, headers={"Accept": "application/sparql-results+json"}).json()
        r = c.post("/sparql", data={"update": update.replace("{g}", graphs)}, headers=AUTH)
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["error"]["code"] == "graph_owned_by_build", body
        assert "rebuild" in r.text
        after = c.get("/sparql", params={"query": count}, headers={"Accept": "application/sparql-results+json"}).json()
        assert after == before


def test_graph_store_writes_to_build_graphs_are_refused(served):
    server, settings, _tmp = served
    graph = f"{settings.base_iri}graph/entities"
    with server.client() as c:
        for method in ("PUT", "POST", "DELETE"):
            r = c.request(method, "/store", params={"graph": graph},
                          content=b"<http://example.org/u> <http://example.org/p> 3 .",
                          headers={**AUTH, "Content-Type": "text/turtle"})
            assert r.status_code == 409, (method, r.text)
        assert ask(c, f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        # Reading the build's graphs and writing one's own graph from them stays allowed.
        r = c.post("/sparql", data={"update": f"INSERT {{ GRAPH <http://example.org/copy> {{ ?s ?p ?o }} }} "
                                              f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}, headers=AUTH)
        assert r.status_code == 204, r.text


def test_every_graph_a_build_makes_is_owned_and_other_names_are_free(built_store, built_settings):
    from claimgraph.store.ownership import Ownership

    owner = Ownership(built_settings.base_iri)
    graphs = built_store.named_graphs()
    assert len(graphs) >= 7
    assert all(owner.owns(g) for g in graphs), [g for g in graphs if not owner.owns(g)]
    assert not owner.owns(f"{built_settings.base_iri}graph/my-notes")
    assert not owner.owns("http://example.org/g")
