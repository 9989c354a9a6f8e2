"""SPARQL 1.1 Protocol conformance of /sparql, over a real server.

Expected answers are computed from the built store with pyoxigraph directly,
never typed in, so the tests follow the data as it grows.
"""

from __future__ import annotations

import re

import csv
import io
import json
import xml.etree.ElementTree as ET

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import Namespace

from support.liveserver import LiveServer, start_server
from support.liveserver import assert_error

# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORM = "application/x-www-form-urlencoded"
SRX = "{http://www.w3.org/2005/sparql-results#}"




@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    srv = start_server(built_settings.store, tmp_path_factory.mktemp("protocol"), env={"CLAIMGRAPH_UPDATE_TOKEN": ""})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def links_query(mint) -> str:
    return f"SELECT ?s ?p ?o WHERE {{ GRAPH <{mint.graph('links')}> {{ ?s ?p ?o }} }}"


@pytest.fixture(scope="module")
def links_rows(built_store, links_query) -> int:
    n = len(list(built_store.raw.query(links_query)))
    assert n > 0
    return n


@pytest.fixture(scope="module")
def article_triple(built_store, mint) -> str:
    """One triple of the article graph, written as a SPARQL triple pattern."""
    g = ox.NamedNode(mint.article_graph("us-russia-reconfiguration"))
    for q in built_store.raw.quads_for_pattern(None, None, None, g):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            return f"{q.subject} {q.predicate} {q.object}"
    raise AssertionError("the article graph has no IRI-to-IRI triple")


def json_rows(r: httpx.Response) -> list[dict]:
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


# -- the three ways to send a query ---------------------------------------------------

def test_query_via_get_post_form_and_post_direct_agree(client, links_query, links_rows):
    accept = {"Accept": "application/sparql-results+json"}
    via_get = json_rows(client.get("/sparql", params={"query": links_query}, headers=accept))
    via_form = json_rows(client.post("/sparql", data={"query": links_query}, headers=accept))
    via_direct = json_rows(client.post("/sparql", content=links_query.encode(),
                                       headers={**accept, "Content-Type": "application/sparql-query"}))
    key = lambda rows: sorted(json.dumps(r, sort_keys=True) for r in rows)  # noqa: E731
    assert len(via_get) == links_rows
    assert key(via_get) == key(via_form) == key(via_direct)


def test_default_graph_uri_really_changes_the_dataset(client, mint, article_triple):
    ask = f"ASK {{ {article_triple} }}"
    accept = {"Accept": "application/sparql-results+json"}

    def answer(**params) -> bool:
        r = client.get("/sparql", params={"query": ask, **params}, headers=accept)
        assert r.status_code == 200, r.text
        return r.json()["boolean"]

    assert answer() is True  # the union default graph
    assert answer(**{"default-graph-uri": mint.graph("ontology")}) is False
    assert answer(**{"default-graph-uri": mint.article_graph("us-russia-reconfiguration")}) is True
    # The same through POST form and POST direct (dataset in the URL).
    r = client.post("/sparql", data={"query": ask, "default-graph-uri": mint.graph("ontology")}, headers=accept)
    assert r.json()["boolean"] is False
    r = client.post("/sparql", params={"default-graph-uri": mint.graph("ontology")}, content=ask.encode(),
                    headers={**accept, "Content-Type": "application/sparql-query"})
    assert r.json()["boolean"] is False


def test_named_graph_uri_restricts_the_named_graphs(client, mint, built_store):
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    accept = {"Accept": "application/sparql-results+json"}
    everything = {b["g"]["value"] for b in json_rows(client.get("/sparql", params={"query": q}, headers=accept))}
    assert everything == set(built_store.named_graphs())
    chosen = [mint.graph("links"), mint.graph("entities")]
    r = client.get("/sparql", params=[("query", q)] + [("named-graph-uri", g) for g in chosen], headers=accept)
    assert {b["g"]["value"] for b in json_rows(r)} == set(chosen)


# -- what is refused ------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client, method):
    r = client.request(method, "/sparql", params={"query": "ASK {}"})
    assert_error(r, 405)
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_wrong_content_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/sparql", content=b"ASK {}", headers=headers)
    assert_error(r, 415, "Content-Type")


def test_two_query_parameters_are_400(client):
    assert_error(client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D"), 400, "query", "multiple_values")
    r = client.post("/sparql", content=b"query=ASK%7B%7D&query=ASK%7B%7D", headers={"Content-Type": FORM})
    assert_error(r, 400, "query")
    r = client.post("/sparql?query=ASK%7B%7D", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 400, "query")


def test_query_and_update_together_are_400(client):
    r = client.post("/sparql", data={"query": "ASK {}", "update": "CLEAR DEFAULT"})
    assert_error(r, 400, code="query_and_update")
    r = client.post("/sparql?update=CLEAR%20DEFAULT", content=b"ASK {}",
                    headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 400, code="query_and_update")
    assert_error(client.get("/sparql", params={"update": "CLEAR DEFAULT"}), 400, "update")


def test_non_utf8_is_400(client):
    r = client.post("/sparql", content=b'SELECT * WHERE { ?s ?p "caf\xe9" }',
                    headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 400, code="bad_encoding")
    r = client.post("/sparql", content=b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22\xff%22%20%7D", headers={"Content-Type": FORM})
    assert_error(r, 400, code="bad_encoding")
    # Percent-escapes that decode to bytes which are not UTF-8: named by parameter.
    assert_error(client.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22%E9%22%20%7D"), 400, "query", "bad_encoding")
    r = client.post("/sparql", content=b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22%E9%22%20%7D", headers={"Content-Type": FORM})
    assert_error(r, 400, "query", "bad_encoding")
    r = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=latin-1"})
    assert_error(r, 415, "Content-Type")


@pytest.mark.parametrize("query,words", [
    ("SELECT * WHERE { ?s ?p }", "a triple pattern needs a subject, a predicate and an object"),
    ("SELECT * WHERE {\n  ?s ?p ?o\n  FILTER( }", "a ( is not closed"),
])
def test_syntax_error_carries_the_parsers_position_in_words(client, query, words):
    with pytest.raises(SyntaxError) as parser:
        ox.Store().query(query)
    line, col = re.match(r"error at (\d+):(\d+)", str(parser.value)).groups()
    for r in (client.get("/sparql", params={"query": query}),
              client.post("/sparql", data={"query": query}),
              client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})):
        err = assert_error(r, 400, "query", "syntax_error")
        assert f"line {line}, column {col}" in err["message"] and words in err["message"], err["message"]
        assert "[_]" not in err["message"] and "..=" not in err["message"]


@pytest.mark.parametrize("params,parameter", [
    ({"query": ""}, "query"),
    ({"query": "ASK {}", "default-graph-uri": "not an iri"}, "default-graph-uri"),
    ({"query": "ASK {}", "named-graph-uri": "relative"}, "named-graph-uri"),
    ({"query": "ASK {}", "timeout": "soon"}, "timeout"),
    ({"query": "ASK {}", "timeout": "-1"}, "timeout"),
    ({"query": "ASK {}", "format": "image/png"}, "format"),
])
def test_bad_parameters_are_400_and_named(client, params, parameter):
    assert_error(client.get("/sparql", params=params), 400, parameter)


# -- content negotiation ------------------------------------------------------------------

def _solution_count(fmt: str, r: httpx.Response) -> int:
    if fmt == "json":
        return len(r.json()["results"]["bindings"])
    if fmt == "xml":
        return len(ET.fromstring(r.content).findall(f"{SRX}results/{SRX}result"))
    delimiter = "," if fmt == "csv" else "\t"
    rows = list(csv.reader(io.StringIO(r.text), delimiter=delimiter))
    header = ["s", "p", "o"] if fmt == "csv" else ["?s", "?p", "?o"]
    assert rows[0] == header
    return len(rows) - 1


@pytest.mark.parametrize("accept,fmt,media", [
    ("application/sparql-results+json", "json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "xml", "application/sparql-results+xml"),
    ("text/csv", "csv", "text/csv"),
    ("text/tab-separated-values", "tsv", "text/tab-separated-values"),
    ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", "csv", "text/csv"),
    ("text/csv;q=0, */*;q=0.1", "json", "application/sparql-results+json"),
    ("text/turtle, application/sparql-results+xml;q=0.2", "xml", "application/sparql-results+xml"),
])
def test_select_negotiation(client, links_query, links_rows, accept, fmt, media):
    r = client.get("/sparql", params={"query": links_query}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert _solution_count(fmt, r) == links_rows


@pytest.mark.parametrize("accept,expected", [
    ("application/sparql-results+json", True), ("application/sparql-results+xml", True)])
def test_ask_negotiation(client, article_triple, accept, expected):
    r = client.get("/sparql", params={"query": f"ASK {{ {article_triple} }}"}, headers={"Accept": accept})
    assert r.status_code == 200
    if "json" in accept:
        assert r.json()["boolean"] is expected
    else:
        assert ET.fromstring(r.content).find(f"{SRX}boolean").text == str(expected).lower()


@pytest.mark.parametrize("accept,media,fmt", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
    ("application/trig", "application/trig", ox.RdfFormat.TRIG),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/rdf+xml;q=0.4, application/n-triples;q=0.8", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    (None, "text/turtle", ox.RdfFormat.TURTLE),
])
def test_construct_negotiation(client, built_store, mint, accept, media, fmt):
    g = mint.graph("links")
    q = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}"
    r = client.get("/sparql", params={"query": q}, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    got = {quad.triple for quad in ox.parse(r.content, fmt)}
    assert got == {quad.triple for quad in built_store.raw.quads_for_pattern(None, None, None, ox.NamedNode(g))}


def test_describe_negotiation(client, built_store, mint):
    entity = mint.entity("russia")
    expected = set(built_store.raw.query(f"DESCRIBE <{entity}>", use_default_graph_as_union=True))
    assert expected
    for accept, fmt in (("application/n-triples", ox.RdfFormat.N_TRIPLES), ("application/ld+json", ox.RdfFormat.JSON_LD)):
        r = client.get("/sparql", params={"query": f"DESCRIBE <{entity}>"}, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
        assert {q.triple for q in ox.parse(r.content, fmt)} == expected


def test_nothing_acceptable_is_406(client, links_query, mint):
    err = assert_error(client.get("/sparql", params={"query": links_query}, headers={"Accept": "text/turtle"}),
                       406, "Accept")
    assert "application/sparql-results+json" in err["message"]
    construct = f"CONSTRUCT WHERE {{ GRAPH <{mint.graph('links')}> {{ ?s ?p ?o }} }}"
    assert_error(client.get("/sparql", params={"query": construct}, headers={"Accept": "text/csv"}), 406, "Accept")
    assert_error(client.get("/sparql", params={"query": links_query}, headers={"Accept": "*/*;q=0"}), 406)


def test_format_parameter_overrides_accept(client, links_query, links_rows):
    accept = {"Accept": "application/sparql-results+json"}
    r = client.get("/sparql", params={"query": links_query, "format": "csv"}, headers=accept)
    assert r.headers["content-type"].startswith("text/csv") and _solution_count("csv", r) == links_rows
    r = client.get("/sparql", params={"query": links_query, "format": "text/tab-separated-values"}, headers=accept)
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    r = client.post("/sparql", data={"query": links_query, "format": "xml"}, headers=accept)
    assert r.headers["content-type"].startswith("application/sparql-results+xml")


# -- the service description and CORS ---------------------------------------------------------

@pytest.mark.parametrize("accept,rdflib_format", [
    ("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")])
def test_service_description(server, client, built_store, accept, rdflib_format):
    r = client.get("/sparql", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    g = rdflib.Graph().parse(data=r.content, format=rdflib_format)
    endpoint = rdflib.URIRef(server.url + "/sparql")
    assert (endpoint, rdflib.RDF.type, SD.Service) in g
    assert (endpoint, SD.endpoint, endpoint) in g
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in g
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in g
    # This server has no update token: it must not claim to take updates.
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Update) not in g
    names = {str(o) for o in g.objects(None, SD.name)}
    assert names == set(built_store.named_graphs())


def test_cors(client):
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "https://yasgui.example")
    r = client.options("/sparql", headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and "POST" in r.headers["access-control-allow-methods"]


def test_server_survived_the_suite(server, client):
    assert server.alive()
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["ok"] is True
    assert "Traceback" not in server.log_text()
