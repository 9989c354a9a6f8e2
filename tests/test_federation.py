"""Federated queries: SERVICE reaches allow-listed endpoints only.

A real `oxigraph serve-read-only` on loopback holds a small Wikidata-shaped
extract (tests/fixtures/wikidata_extract.ttl); a real `claimgraph serve`
allow-lists it. A second loopback listener, not on the list, must never
see a connection.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, URIRef

from claimgraph.config import WIKIDATA_SPARQL, Settings
from support.liveserver import ROOT, free_port, start_server
from support.liveserver import Listener

EXTRACT = Path(__file__).parent / "fixtures" / "wikidata_extract.ttl"
OXIGRAPH = ROOT / ".venv" / "bin" / "oxigraph"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
P297 = URIRef("http://www.wikidata.org/prop/direct/P297")
PREFIXES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
"""
JSON = {"Accept": "application/sparql-results+json"}




@pytest.fixture(scope="module")
def wikidata(tmp_path_factory):
    """`oxigraph serve-read-only` on a free loopback port, loaded with the extract."""
    assert OXIGRAPH.exists(), f"{OXIGRAPH} missing: .venv/bin/pip install oxigraph"
    where = tmp_path_factory.mktemp("wikidata")
    loaded = subprocess.run([str(OXIGRAPH), "load", "--location", str(where / "db"), "--file", str(EXTRACT)],
                            capture_output=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr.decode()
    port = free_port()
    log = (where / "oxigraph.log").open("wb")
    proc = subprocess.Popen([str(OXIGRAPH), "serve-read-only", "--location", str(where / "db"),
                             "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(url, params={"query": "ASK {}"}, headers=JSON, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.time() < deadline, (where / "oxigraph.log").read_text()
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def knocker():
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def server(built_store, built_settings, wikidata, tmp_path_factory):
    live = start_server(built_settings.store, tmp_path_factory.mktemp("federation"),
                        env={"CLAIMGRAPH_SERVICE_ALLOWLIST": wikidata})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def extract() -> Graph:
    return Graph().parse(EXTRACT, format="turtle")


def select(server, query: str) -> httpx.Response:
    with server.client() as c:
        return c.post("/sparql", data={"query": PREFIXES + query}, headers=JSON)


def bindings(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def states_with_qids(built_store) -> dict[str, str]:
    result = built_store.query(PREFIXES + "SELECT ?id ?wd WHERE { ?s a cg:State ; cg:registerId ?id ; cg:wikidata ?wd }")
    return {sol["id"].value: sol["wd"].value for sol in result}


# --- configuration ----------------------------------------------------------------------------

def test_default_allow_list_is_wikidata_only(monkeypatch):
    monkeypatch.delenv("CLAIMGRAPH_SERVICE_ALLOWLIST", raising=False)
    assert Settings().allowed_services == (WIKIDATA_SPARQL,) == ("https://query.wikidata.org/sparql",)
    monkeypatch.setenv("CLAIMGRAPH_SERVICE_ALLOWLIST", "")
    assert Settings().allowed_services == ()


# --- allow-listed: the join works -------------------------------------------------------------

def test_federated_join_gets_wikidata_labels_of_our_states(server, wikidata, built_store, extract):
    got = bindings(select(server, f"""
        SELECT ?id ?wd ?label WHERE {{
          ?s a cg:State ; cg:registerId ?id ; cg:wikidata ?wd .
          SERVICE <{wikidata}> {{ ?wd rdfs:label ?label FILTER(LANG(?label) = "en") }}
        }}"""))
    ours = states_with_qids(built_store)
    want = {(eid, str(label)) for eid, wd in ours.items()
            for label in extract.objects(URIRef(wd), RDFS_LABEL) if isinstance(label, Literal) and label.language == "en"}
    assert want, "the extract should label some of our states"
    assert {(b["id"], b["label"]) for b in got} == want
    assert all(b["wd"] == ours[b["id"]] for b in got)


def test_federated_join_checks_our_iso_codes_against_theirs(server, wikidata, built_store, extract):
    got = bindings(select(server, f"""
        SELECT ?id ?ours ?theirs WHERE {{
          ?s cg:registerId ?id ; cg:wikidata ?wd ; cg:iso3166Code ?ours .
          SERVICE <{wikidata}> {{ ?wd wdt:P297 ?theirs }}
        }}"""))
    ours = states_with_qids(built_store)
    expected = {eid for eid, wd in ours.items() if (URIRef(wd), P297, None) in extract}
    assert {b["id"] for b in got} == expected and len(expected) >= 5
    assert all(b["ours"] == b["theirs"] for b in got), got


# --- not allow-listed: refused before any connection ---------------------------------------------

@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{knock}/query",
    "http://127.0.0.1:{knock}/sparql",
    "http://localhost:{knock}/query",
    "{allowed}?x=1",
    "{allowed}/../update",
    "http://[::1]:{knock}/query",
])
def test_service_off_the_allow_list_is_refused_without_a_connection(server, wikidata, knocker, target):
    endpoint = target.format(knock=knocker.port, allowed=wikidata)
    before = knocker.connections
    for silent in ("", "SILENT "):
        r = select(server, f"SELECT * WHERE {{ SERVICE {silent}<{endpoint}> {{ ?s ?p ?o }} }}")
        assert r.status_code == 403, r.text
        err = r.json()["error"]
        assert err["code"] == "service_refused" and err["parameter"] == "query"
        assert "allow-list" in err["message"] and endpoint in err["message"]
    time.sleep(0.3)
    assert knocker.connections == before, "the refused endpoint was contacted"


def test_variable_and_prefixed_service_targets_are_checked_too(server, knocker):
    r = select(server, "SELECT * WHERE { ?x a cg:State . SERVICE ?x { ?s ?p ?o } }")
    assert r.status_code == 403 and r.json()["error"]["code"] == "service_refused"
    r = select(server, f"PREFIX k: <http://127.0.0.1:{knocker.port}/> SELECT * WHERE {{ SERVICE k:query {{ ?s ?p ?o }} }}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "service_refused"
    assert knocker.connections == 0


def test_a_server_with_an_empty_allow_list_refuses_the_endpoint_it_would_otherwise_reach(
        built_store, built_settings, wikidata, tmp_path):
    live = start_server(built_settings.store, tmp_path, env={"CLAIMGRAPH_SERVICE_ALLOWLIST": ""})
    try:
        r = select(live, f"SELECT * WHERE {{ SERVICE <{wikidata}> {{ ?s ?p ?o }} }}")
        assert r.status_code == 403 and r.json()["error"]["code"] == "service_refused"
    finally:
        live.stop()
