"""The first hour of a new user: SPARQL mistakes explained in words, predeclared prefixes, RDF
that a person can read (@prefix lines, a JSON-LD @context), and a CLI that answers a mistake with
one line and exit status 2."""

from __future__ import annotations

import json
import subprocess

import httpx
import pyoxigraph as ox
import pytest
from support.liveserver import LiveServer, assert_error, start_server

from claimgraph.namespaces import PREFIXES

from conftest import CLAIMGRAPH, ROOT, clean_env

CG = PREFIXES["cg"]


@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    srv = start_server(built_settings.store, tmp_path_factory.mktemp("first-hour"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def http(server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


# -- SPARQL errors in words ----------------------------------------------------------------------

@pytest.mark.parametrize("query,expected", [
    # An unknown prefix: named, placed, and the line to declare it given.
    ("SELECT * WHERE { ?c a zz:Claim }",
     'unknown prefix "zz:" at line 1, column 23; declare it with PREFIX zz: <'),
    # One a letter away from a predeclared one: that one is suggested.
    ("SELECT * WHERE {\n  ?c a cgg:Claim\n}",
     'unknown prefix "cgg:" at line 2, column 8; declare it with PREFIX cgg: <…>, or use "cg:" (predeclared)'),
    # Lines are the user's own even though predeclared prefixes were put in front of the text.
    ("\n\nSELECT * WHERE { ?c a cg:Claim ; qq:x ?y }", 'unknown prefix "qq:" at line 3, column'),
])
def test_unknown_prefix_is_named_with_line_and_column(http, query, expected):
    err = assert_error(http.get("/sparql", params={"query": query}), 400, "query", "syntax_error")
    assert expected in err["message"], err["message"]
    assert "expected" not in err["message"]  # no parser token dump


def test_a_misspelt_query_form_is_named(http):
    err = assert_error(http.get("/sparql", params={"query": "\nSELEC ?c WHERE { ?c a cg:Claim }"}), 400, "query")
    assert '"SELEC" is not a keyword: did you mean SELECT? (line 2, column 1)' in err["message"], err["message"]


@pytest.mark.parametrize("query,words", [
    ('SELECT * WHERE { ?s ?p "abc }', "a string is not closed"),
    ("SELECT * WHERE { ?s ?p <http://example.org/x }", "an IRI is not closed with >"),
    ("SELECT * WHERE { ?s ?p ?o ", "a { is not closed"),
    ("SELECT * WHERE { ?s ?p }", "a triple pattern needs a subject, a predicate and an object"),
    ("SELECT * WHERE { ?s ?p ?o } LIMT 5", "did you mean LIMIT?"),
    ("SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o }", "neither grouped (GROUP BY) nor inside an aggregate"),
])
def test_other_syntax_errors_point_at_line_and_column_in_words(http, query, words):
    err = assert_error(http.get("/sparql", params={"query": query}), 400, "query", "syntax_error")
    assert words in err["message"], err["message"]
    assert "line 1, column " in err["message"], err["message"]


def test_an_update_with_an_unknown_prefix_is_explained_too(server):
    r = httpx.post(f"{server.url}/sparql", data={"update": "INSERT DATA { zz:a zz:b 1 }"}, timeout=30)
    assert r.status_code in (400, 401, 403), r.text
    if r.status_code == 400:
        assert 'unknown prefix "zz:" at line 1, column' in r.json()["error"]["message"]


# -- predeclared prefixes ---------------------------------------------------------------------------

def test_predeclared_prefixes_need_no_prologue(http, built_store):
    query = "SELECT (COUNT(?c) AS ?n) WHERE { ?c a cg:Claim ; cg:quote/nif:anchorOf ?q }"
    r = http.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    n = int(r.json()["results"]["bindings"][0]["n"]["value"])
    expected = len(list(built_store.raw.query(
        f"PREFIX cg: <{CG}> PREFIX nif: <{PREFIXES['nif']}> "
        "SELECT ?c ?q WHERE { ?c a cg:Claim ; cg:quote/nif:anchorOf ?q }", use_default_graph_as_union=True)))
    assert n == expected > 0


def test_a_query_that_declares_its_own_prefix_keeps_it(http):
    # cg: bound elsewhere: nothing of the dataset matches, where the predeclared cg: would match claims.
    own = "PREFIX cg: <http://example.org/not-claimgraph#> ASK { ?c a cg:Claim }"
    r = http.get("/sparql", params={"query": own}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is False, r.text
    r = http.get("/sparql", params={"query": "ASK { ?c a cg:Claim }"},
                 headers={"Accept": "application/sparql-results+json"})
    assert r.json()["boolean"] is True


def test_the_service_description_lists_the_predeclared_prefixes(http):
    r = http.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = ox.Store()
    g.load(r.content, format=ox.RdfFormat.TURTLE, base_iri=str(http.base_url))
    rows = {(row["p"].value, row["ns"].value) for row in g.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?p ?ns WHERE { ?d sh:declare [ sh:prefix ?p ; sh:namespace ?ns ] }")}
    for prefix in ("cg", "schema", "nif", "prov", "skos", "rdfs", "rdf", "owl", "xsd", "dcterms", "wd"):
        assert (prefix, PREFIXES[prefix]) in rows, prefix


# -- @prefix and @context ---------------------------------------------------------------------------

def _quads_without_blank_nodes(data: bytes, fmt: ox.RdfFormat) -> set:
    return {q for q in ox.parse(data, format=fmt)
            if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


CONSTRUCT = "CONSTRUCT { ?c a cg:Claim ; rdfs:label ?l } WHERE { ?c a cg:Claim . OPTIONAL { ?c rdfs:label ?l } }"


def test_construct_in_turtle_and_trig_carries_prefix_lines(http):
    r = http.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.text
    assert f"@prefix cg: <{CG}> ." in r.text
    assert "cg:Claim" in r.text and f"<{CG}Claim>" not in r.text


def test_construct_in_jsonld_carries_a_context_and_means_the_same_triples(http):
    nt = http.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"})
    js = http.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "application/ld+json"})
    assert js.status_code == 200, js.text
    doc = js.json()
    assert doc["@context"]["cg"] == CG and isinstance(doc["@graph"], list) and doc["@graph"]
    assert any({"@id": "cg:Claim"} in node.get("rdf:type", []) for node in doc["@graph"]), doc["@graph"][:2]
    assert _quads_without_blank_nodes(js.content, ox.RdfFormat.JSON_LD) == \
        _quads_without_blank_nodes(nt.content, ox.RdfFormat.N_TRIPLES)


def test_dumps_carry_prefixes_and_a_context(http):
    trig = http.get("/dumps/claimgraph.trig")
    assert trig.status_code == 200
    assert trig.text.count("@prefix ") >= 5 and f"@prefix cg: <{CG}> ." in trig.text
    jsonld = http.get("/dumps/claimgraph.jsonld")
    nq = http.get("/dumps/claimgraph.nq")
    doc = jsonld.json()
    assert doc["@context"]["schema"] == PREFIXES["schema"]
    # Named graphs survive the compaction: each is a node with its own @graph.
    assert sum(1 for node in doc["@graph"] if "@graph" in node) >= 3
    assert _quads_without_blank_nodes(jsonld.content, ox.RdfFormat.JSON_LD) == \
        _quads_without_blank_nodes(nq.content, ox.RdfFormat.N_QUADS)


def test_graph_store_turtle_has_prefixes(http, mint):
    r = http.get("/store", params={"graph": mint.graph("ontology")}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.text
    assert "@prefix owl: <http://www.w3.org/2002/07/owl#> ." in r.text


def test_the_compactor_survives_any_chunking():
    from claimgraph.sparql.rdf_writer import JsonLdCompactor

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(CG + "a"), ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(CG + "Claim"),
                      ox.NamedNode("http://example.org/g")))
    store.add(ox.Quad(ox.NamedNode(CG + "a"), ox.NamedNode(PREFIXES["schema"] + "text"),
                      ox.Literal('a "quoted" \\ text, with http://schema.org/ and ünïcode'), ox.DefaultGraph()))
    store.add(ox.Quad(ox.NamedNode(CG + "a"), ox.NamedNode(PREFIXES["schema"] + "dateCreated"),
                      ox.Literal("2024-01-01", datatype=ox.NamedNode(PREFIXES["xsd"] + "date")), ox.DefaultGraph()))
    raw = store.dump(format=ox.RdfFormat.JSON_LD)
    outputs = set()
    for size in (1, 2, 3, 5, 64, len(raw)):
        c = JsonLdCompactor(PREFIXES)
        outputs.add(b"".join(c.feed(raw[i:i + size]) for i in range(0, len(raw), size)) + c.close())
    assert len(outputs) == 1
    out = outputs.pop()
    doc = json.loads(out)
    assert '"xsd:date"' in out.decode() and '"schema:text"' in out.decode()
    assert set(ox.parse(out, format=ox.RdfFormat.JSON_LD)) == set(store)
    assert doc["@context"]["xsd"] == PREFIXES["xsd"]


# -- the CLI: one line and exit 2 ----------------------------------------------------------------------

CLI_MISTAKES = [
    (["query", "@missing.rq"], "missing.rq"),
    (["query"], "sparql"),
    (["query", "SELECT * WHERE { ?c a zz:Claim }"], 'unknown prefix "zz:" at line 1, column 23'),
    (["build", "--data", "/nonexistent/data"], "/nonexistent/data"),
    (["validate", "--data", "/nonexistent/data"], "/nonexistent/data"),
    (["export", "--format", "bogus"], "bogus"),
    (["export", "--store", "/nonexistent/store"], "/nonexistent/store"),
    (["stats", "--store", "/nonexistent/store"], "/nonexistent/store"),
    (["add", "/nonexistent/article.txt"], "/nonexistent/article.txt"),
    (["draft", "no-such-article"], "no-such-article"),
    (["review", "no-such-article"], "no-such-article"),
    (["serve", "--port", "abc"], "abc"),
    (["serve", "--port", "99999"], "99999"),
    (["serve", "--processes", "0"], "--processes"),
    (["serve", "--store", "/nonexistent/store"], "/nonexistent/store"),
    (["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize("args,named", CLI_MISTAKES, ids=[" ".join(a) for a, _ in CLI_MISTAKES])
def test_each_cli_mistake_is_one_line_and_exit_2(args, named, built_settings, tmp_path):
    env = clean_env(CLAIMGRAPH_STORE=str(built_settings.store), CLAIMGRAPH_DATA=str(ROOT / "data"))
    r = subprocess.run([str(CLAIMGRAPH), *args], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    err = r.stderr.decode()
    assert r.returncode == 2, (r.returncode, err)
    assert "Traceback" not in err and "Traceback" not in r.stdout.decode()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert named in lines[0], err


# -- the same numbers under the same names ------------------------------------------------------------

def _listed(http: httpx.Client, path: str) -> int:
    n, params = 0, {"limit": 500}
    while True:
        body = http.get(path, params=params).json()
        assert body["ok"], body
        n += len(body["rows"])
        if not body["next"]:
            return n
        params = {"limit": 500, "cursor": body["next"]}


def test_stats_counts_what_the_rest_api_lists_under_the_same_names(http, built_settings):
    r = subprocess.run([str(CLAIMGRAPH), "stats", "--json", "--store", str(built_settings.store)],
                       env=clean_env(), capture_output=True, timeout=120)
    stats = json.loads(r.stdout)
    for name in ("articles", "claims", "entities", "events", "policies"):
        assert stats[name] == _listed(http, f"/api/{name}") > 0, name
    policies = http.get("/api/policies", params={"limit": 500}).json()["rows"]
    assert stats["policy_references"] == sum(len(p["references"]) for p in policies)


def test_openapi_operation_ids_are_unique_and_raise_no_warning(built_settings):
    import warnings

    from claimgraph.api.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns "Duplicate Operation ID" while generating
        doc = create_app(built_settings).openapi()
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert len(ids) == len(set(ids)) > 30
    assert {"graph_store_get", "graph_store_head", "dump_file_head"} <= set(ids)


# -- an unknown entity id: the nearest ids, labels and aliases --------------------------------------

@pytest.mark.parametrize("path,parameter", [
    ("/api/entities/moscow", "entity_id"),
    ("/api/claims?subject=moscow", "subject"),
    ("/entity/moscow", "entity_id"),
])
def test_an_unknown_entity_id_suggests_the_nearest(http, register, path, parameter):
    # An alias of a register entry, used as an id: the entry is suggested through its alias.
    owner = next(e for e in register.values() if "Moscow" in (e.get("aliases") or []))
    r = http.get(path, headers={"Accept": "application/json"})
    err = assert_error(r, 404, parameter)
    assert "there is no entity 'moscow'; did you mean " in err["message"], err["message"]
    assert f"{owner['id']} (alias “Moscow”)" in err["message"], err["message"]


def test_an_entity_id_near_nothing_points_at_the_listing(http):
    err = assert_error(http.get("/api/entities/qqqqqqqqqqqq"), 404, "entity_id")
    assert err["message"] == "there is no entity 'qqqqqqqqqqqq'; see /api/entities for the ids"


def test_export_to_a_reader_that_leaves_early_is_quiet(built_store, built_settings, tmp_path):
    """`claimgraph export | head`: the export streams, and a closed pipe is no error to report."""
    proc = subprocess.Popen([str(CLAIMGRAPH), "export", "--format", "turtle", "--store", str(built_settings.store)],
                            cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(64).startswith(b"@prefix ")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141 and err == "", err


def test_export_to_a_file_appears_whole(built_store, built_settings, tmp_path):
    out = tmp_path / "all.trig"
    r = subprocess.run([str(CLAIMGRAPH), "export", "--format", "trig", "--store", str(built_settings.store),
                        "-o", str(out)], cwd=tmp_path, env=clean_env(), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.trig"]  # no partial file left beside it
    assert len(list(ox.parse(out.read_bytes(), format=ox.RdfFormat.TRIG))) > 5000
