"""Linked Data: every minted IRI and every ontology term dereferences on a real server.

What each IRI says over HTTP is compared with what the built store holds for it,
read directly with pyoxigraph, so nothing here is typed in.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from support.liveserver import start_server

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
SLUG = "us-russia-reconfiguration"
CG = "https://w3id.org/claimgraph/ontology#"
TTL = ox.RdfFormat.TURTLE


def path_of(iri: str, base: str) -> str:
    """Where an IRI lives on the server: the base IRI's path plus the rest of the IRI."""
    return httpx.URL(base).path + iri[len(base):]


def store_pairs(store, iri: str) -> set[tuple[str, str]]:
    return {(str(r["p"]), str(r["o"])) for r in store.query(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}")}


def served_pairs(body: bytes, iri: str, fmt=TTL) -> set[tuple[str, str]]:
    return {(str(t.predicate), str(t.object)) for t in ox.parse(body, format=fmt) if t.subject.value == iri}


def assert_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["error"]["status"] == status and body["error"]["message"]
    assert "Traceback" not in r.text
    return body["error"]


@pytest.fixture(scope="module")
def minted(built_store, mint) -> list[str]:
    """Every IRI claimgraph minted that is a subject in the store (hash IRIs travel with their document)."""
    q = f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{mint.base}")
            && !CONTAINS(STR(?s), "#")) }}"""
    return sorted(r["s"].value for r in built_store.query(q))


def test_every_minted_iri_dereferences_to_exactly_its_triples(http, built_store, minted, mint):
    kinds = set()
    for iri in minted:
        r = http.get(path_of(iri, mint.base), headers={"Accept": "text/turtle"})
        assert r.status_code == 200, (iri, r.text[:300])
        assert r.headers["content-type"].startswith("text/turtle")
        assert served_pairs(r.content, iri) == store_pairs(built_store, iri), iri
        parts = iri[len(mint.base):].split("/")
        kinds.add(parts[2] if parts[0] == "article" and len(parts) > 2 else parts[0])
    # Every kind of IRI the data README lists is among them.
    assert {"entity", "article", "sentence", "claim", "mention", "event", "policy", "paragraph", "text",
            "author", "fact", "dataset"} <= kinds


def test_hash_iris_travel_with_their_document(http, built_store, mint):
    claim = mint.claim(SLUG, "c8")
    body = http.get(path_of(claim, mint.base) + ".ttl").content
    quote = next(iter(built_store.query(f"SELECT ?q WHERE {{ <{claim}> <{CG}quote> ?q }}")))["q"].value
    assert "#char=" in quote
    assert served_pairs(body, quote) == store_pairs(built_store, quote)
    text = mint.context(SLUG)
    doc = http.get(path_of(text, mint.base) + ".nt").content
    spans = {t.subject.value for t in ox.parse(doc, format=ox.RdfFormat.N_TRIPLES) if "#char=" in t.subject.value}
    in_store = {r["s"].value for r in built_store.query(
        f"SELECT DISTINCT ?s WHERE {{ ?s <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#referenceContext> <{text}> FILTER(CONTAINS(STR(?s), '#')) }}")}
    assert spans == in_store and quote in spans


def test_named_graphs_and_the_dataset_dereference(http, built_store, mint):
    counts = built_store.triple_counts()
    for graph, n in counts.items():
        r = http.get(path_of(graph, mint.base), headers={"Accept": "application/n-triples"})
        assert r.status_code == 200, graph
        served = {str(t) for t in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)}
        content = {str(ox.Triple(q.subject, q.predicate, q.object))
                   for q in built_store.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))}
        assert len(content) == n and content <= served, graph
    void = http.get(path_of(mint.dataset, mint.base) + ".ttl")
    assert served_pairs(void.content, mint.dataset) == store_pairs(built_store, mint.dataset)


def test_content_negotiation_suffixes_and_headers(http, mint):
    path = path_of(mint.entity("russia"), mint.base)
    expected = {"text/html": "text/html", "text/turtle": "text/turtle", "application/ld+json": "application/ld+json",
                "application/n-triples": "application/n-triples",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": "text/html",
                "text/turtle;q=0.5, application/ld+json;q=0.9": "application/ld+json",
                "application/rdf+xml;q=1, text/turtle;q=0.1": "text/turtle"}
    for accept, media in expected.items():
        r = http.get(path, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), accept
        assert "Accept" in r.headers["vary"]
    for suffix, media in {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".nt": "application/n-triples",
                          ".html": "text/html"}.items():
        r = http.get(path + suffix, headers={"Accept": "image/png"})  # the suffix wins over Accept
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), suffix
        assert f'<{path}{suffix}>; rel="alternate"' in r.headers["link"]
    assert_error(http.get(path, headers={"Accept": "image/png"}), 406)


def test_jsonld_and_turtle_say_the_same(http, mint):
    context = http.get("/context.jsonld").json()["@context"]
    for iri in (mint.claim(SLUG, "c8"), mint.entity("russia"), mint.sentence(SLUG, "s4"), mint.dataset):
        path = path_of(iri, mint.base)
        doc = http.get(path, headers={"Accept": "application/ld+json"}).json()
        assert doc["@context"].endswith("/context.jsonld")
        doc["@context"] = context
        from_jsonld = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
        from_turtle = rdflib.Graph().parse(data=http.get(path + ".ttl").text, format="turtle")
        assert len(from_turtle) > 5 and isomorphic(from_jsonld, from_turtle), iri


def test_head_answers_headers_without_a_body(http, mint):
    path = path_of(mint.entity("russia"), mint.base)
    r = http.head(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle") and r.content == b""
    assert http.head(path_of(mint.entity("atlantis"), mint.base)).status_code == 404


def test_html_pages_show_a_claim_with_its_quote_highlighted(http, mint, reading, register):
    c = next(c for c in reading["claims"] if c["id"] == "c32")
    r = http.get(path_of(mint.claim(SLUG, "c32"), mint.base), headers={"Accept": "text/html"})
    assert r.status_code == 200
    page = r.text
    assert f'<mark class="quote">{c["quote"]}</mark>' in page.replace("&#39;", "'").replace("&quot;", '"')
    assert register[c["claimant"]]["label"] in page
    assert c["stance"] in page and c["attribution"] in page and c["kind"] in page
    assert '<link rel="alternate" type="text/turtle"' in page
    hedged = http.get(path_of(mint.claim(SLUG, "c8"), mint.base) + ".html").text
    assert '<mark class="quote hedge">seem to</mark>' in hedged


def test_html_entity_and_sentence_pages(http, mint, register):
    page = http.get(path_of(mint.entity("russia"), mint.base) + ".html").text
    assert f'href="http://www.wikidata.org/entity/{register["russia"]["wikidata"]}"' in page
    assert "Claims about Russia" in page and "Mentions" in page
    sentence = http.get(path_of(mint.sentence(SLUG, "s4"), mint.base) + ".html").text
    assert '<mark class="mention">Moscow</mark>' in sentence
    # Links to our own IRIs stay on this server.
    assert f'href="{path_of(mint.entity("russia"), mint.base)}"' in sentence


def test_text_from_the_graph_is_escaped_in_html(http, mint):
    page = http.get(path_of(mint.claim(SLUG, "c53"), mint.base) + ".html").text
    # The only scripts are the site's own files (web/static); nothing from the graph becomes one.
    page = re.sub(r'<script src="/static/[a-z]+\.js" defer></script>', "", page)
    assert "<script" not in page.lower()
    assert re.search(r"it(’|&#8217;)s not Moscow", page)


def test_the_ontology_and_each_term_dereference(http, built_store, mint):
    graph = ox.NamedNode(mint.graph("ontology"))
    stored = {str(ox.Triple(q.subject, q.predicate, q.object)) for q in built_store.raw.quads_for_pattern(None, None, None, graph)}
    whole = http.get("/ontology", headers={"Accept": "text/turtle"})
    assert whole.status_code == 200
    assert {str(t) for t in ox.parse(whole.content, format=TTL)} == stored
    assert http.get("/ontology.nt").headers["content-type"].startswith("application/n-triples")
    terms = {q.subject.value for q in built_store.raw.quads_for_pattern(None, None, None, graph)
             if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(CG)}
    assert len(terms) > 50
    for term in sorted(terms):
        name = term[len(CG):]
        r = http.get(f"/ontology/{name}", headers={"Accept": "text/turtle"})
        assert r.status_code == 200, name
        expected = {(str(q.predicate), str(q.object))
                    for q in built_store.raw.quads_for_pattern(ox.NamedNode(term), None, None, graph)}
        assert served_pairs(r.content, term) == expected, name
    html = http.get("/ontology", headers={"Accept": "text/html"}).text
    for name in ("Claim", "claimant", "Critical", "EventReference"):
        assert f'href="/ontology/{name}"' in html and f'id="{name}"' in html
    assert_error(http.get("/ontology/NoSuchTerm"), 404)


def test_html_links_every_ontology_term_to_its_page(http, mint):
    page = http.get(path_of(mint.claim(SLUG, "c1"), mint.base), headers={"Accept": "text/html"}).text
    assert 'href="/ontology/claimant"' in page and 'href="/ontology/Claim"' in page


@pytest.mark.parametrize("path", ["/id/entity/atlantis", "/id/entity/russia/extra", "/id/planet/mars",
                                  "/id/entity/..%2F..%2Fetc", "/id/article/us-russia-reconfiguration/claim/c999",
                                  "/id/graph/no-such-graph", "/id/entity/russia.xml", "/ontology/Claim/sub"])
def test_unknown_iris_are_404_with_the_uniform_error(http, path):
    assert_error(http.get(path, headers={"Accept": "text/turtle"}), 404)


def test_a_deployment_serves_iris_under_its_own_base(tmp_path, built_settings):
    """CLAIMGRAPH_BASE_IRI decides both the IRIs minted and the paths they are served at."""
    base = "http://example.org/kg/"
    store = tmp_path / "store"
    env = {"CLAIMGRAPH_BASE_IRI": base, "CLAIMGRAPH_REASONER": "none"}
    import os

    built = subprocess.run([sys.executable, "-m", "claimgraph", "build", "--store", str(store), "--no-reasoner"],
                           cwd=ROOT, env={**os.environ, **env}, capture_output=True, timeout=300)
    assert built.returncode == 0, built.stderr.decode()
    srv = start_server(store, tmp_path, env=env)
    try:
        with srv.client() as http:
            r = http.get("/kg/entity/russia", headers={"Accept": "application/n-triples"})
            assert r.status_code == 200
            subjects = {t.subject.value for t in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)}
            assert subjects == {"http://example.org/kg/entity/russia"}
            assert http.get("/id/entity/russia").status_code == 404
            page = http.get("/kg/article/us-russia-reconfiguration/claim/c1.html").text
            assert 'href="/kg/entity/' in page
            item = http.get("/api/claims/us-russia-reconfiguration/c1").json()["item"]
            assert item["id"] == "http://example.org/kg/article/us-russia-reconfiguration/claim/c1"
            rows = http.get("/api/queries/claims-about", params={"topic": "russia"}).json()["rows"]
            assert rows and all(r["claim"].startswith(base) for r in rows)
    finally:
        srv.stop()
