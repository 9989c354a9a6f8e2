"""Exports over HTTP from a real server: checksummed dumps described in VoID/DCAT,
the same bytes as `claimgraph export`, the schema.org Claim view, and the
source context on its own."""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID


DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")
CG = Namespace("https://w3id.org/claimgraph/ontology#")
FORMATS = {"claimgraph.nq": ox.RdfFormat.N_QUADS, "claimgraph.trig": ox.RdfFormat.TRIG,
           "claimgraph.jsonld": ox.RdfFormat.JSON_LD}
PREFIXES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
"""


@pytest.fixture(scope="module")
def description(http) -> Graph:
    r = http.get("/dumps/", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=r.text, format="turtle")


def rows(store, query: str) -> list[dict]:
    result = store.query(PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names if sol[n] is not None} for sol in result]


def store_quads(built_store) -> set:
    return set(built_store.raw.quads_for_pattern(None, None, None, None))


def distributions(g: Graph, mint) -> dict[str, dict]:
    out = {}
    for dist in g.objects(URIRef(mint.dataset), DCAT.distribution):
        checksum = g.value(dist, SPDX.checksum)
        out[str(dist).rsplit("/", 1)[1]] = {
            "url": str(g.value(dist, DCAT.downloadURL)),
            "media": str(g.value(dist, DCAT.mediaType)),
            "bytes": int(g.value(dist, DCAT.byteSize)),
            "algorithm": g.value(checksum, SPDX.algorithm),
            "sha256": str(g.value(checksum, SPDX.checksumValue)),
        }
    return out


# --- dumps and their description -------------------------------------------------------------

def test_description_lists_every_dump_with_size_and_sha256(description, mint):
    dists = distributions(description, mint)
    assert set(dists) == set(FORMATS)
    for name, d in dists.items():
        assert d["url"].endswith(f"/dumps/{name}")
        assert d["media"].startswith("https://www.iana.org/assignments/media-types/application/")
        assert d["algorithm"] == SPDX.checksumAlgorithm_sha256
        assert len(d["sha256"]) == 64 and int(d["sha256"], 16) >= 0
        assert d["bytes"] > 0
        assert (URIRef(mint.dataset), VOID.dataDump, URIRef(d["url"])) in description


def test_every_dump_matches_its_checksum_and_holds_the_whole_store(http, description, mint, built_store):
    want = store_quads(built_store)
    for name, d in distributions(description, mint).items():
        r = http.get(d["url"])
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] == d["media"].rsplit("/media-types/", 1)[1]
        assert len(r.content) == d["bytes"], name
        assert hashlib.sha256(r.content).hexdigest() == d["sha256"], name
        got = set(ox.parse(r.content, format=FORMATS[name]))
        assert got == want, f"{name}: {len(got)} quads, the store holds {len(want)}"


def test_cli_export_writes_the_very_bytes_published(cli, built_settings, description, mint):
    done = cli("export", "--format", "nquads", "--store", built_settings.store)
    assert done.returncode == 0, done.stderr.decode()
    assert hashlib.sha256(done.stdout).hexdigest() == distributions(description, mint)["claimgraph.nq"]["sha256"]


def test_description_carries_the_linksets_and_the_endpoint(description, mint, built_store, server):
    linksets = set(description.subjects(RDF.type, VOID.Linkset))
    stored = {r["ls"] for r in rows(built_store, "SELECT ?ls WHERE { ?ls a <http://rdfs.org/ns/void#Linkset> }")}
    assert {str(x) for x in linksets} == stored and stored
    assert (URIRef(mint.dataset), VOID.sparqlEndpoint, URIRef(f"{server.url}/sparql")) in description


def test_description_as_json_ld_says_the_same(http, description):
    r = http.get("/dumps", headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    again = Graph().parse(data=r.text, format="json-ld")
    assert len(again) == len(description)
    sums = {str(o) for o in description.objects(None, SPDX.checksumValue)}
    assert {str(o) for o in again.objects(None, SPDX.checksumValue)} == sums


def test_head_and_bad_names(http):
    head = http.head("/dumps/claimgraph.trig")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"].strip('W/"')
    missing = http.get("/dumps/claimgraph.rdf")
    assert missing.status_code == 404 and missing.json()["error"]["parameter"] == "name"
    bad = http.get("/dumps/", params={"format": "docx"})
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "format"
    refused = http.get("/dumps/", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["error"]["parameter"] == "Accept"


# --- schema.org claims -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def claims_graph(http) -> Graph:
    r = http.get("/exports/claims.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    return Graph().parse(data=r.text, format="json-ld")


def test_every_claim_is_a_schema_claim_with_its_words_author_and_subjects(claims_graph, built_store):
    claims = rows(built_store, """SELECT ?c ?quote ?claimant ?article WHERE { ?c a cg:Claim ;
                  cg:quote/nif:anchorOf ?quote ; cg:claimant ?claimant ; schema:appearance ?article }""")
    assert claims
    exported = set(claims_graph.subjects(RDF.type, SCHEMA.Claim))
    assert {str(c) for c in exported} == {c["c"] for c in claims}
    about = {}
    for r in rows(built_store, "SELECT ?c ?e WHERE { ?c a cg:Claim ; cg:about ?e }"):
        about.setdefault(r["c"], set()).add(r["e"])
    for c in claims:
        node = URIRef(c["c"])
        assert str(claims_graph.value(node, SCHEMA.text)) == c["quote"]
        assert str(claims_graph.value(node, SCHEMA.author)) == c["claimant"]
        assert str(claims_graph.value(node, SCHEMA.appearance)) == c["article"]
        assert {str(o) for o in claims_graph.objects(node, SCHEMA.about)} == about[c["c"]]


def test_claim_appearance_and_date_are_the_articles(claims_graph, built_store):
    art = rows(built_store, """SELECT ?a ?url ?date ?headline WHERE { ?a a cg:Article ; schema:headline ?headline
               OPTIONAL { ?a schema:url ?url } OPTIONAL { ?a schema:datePublished ?date } }""")
    assert art
    for a in art:
        node = URIRef(a["a"])
        assert str(claims_graph.value(node, SCHEMA.headline)) == a["headline"]
        if "url" in a:
            assert str(claims_graph.value(node, SCHEMA.url)) == a["url"]
        if "date" in a:
            for c in claims_graph.subjects(SCHEMA.appearance, node):
                assert str(claims_graph.value(c, SCHEMA.datePublished)) == a["date"]


def test_entities_in_claims_carry_their_external_identities(claims_graph, built_store, mint):
    russia = URIRef(mint.entity("russia"))
    same = {str(o) for o in claims_graph.objects(russia, SCHEMA.sameAs)}
    stored = {r["o"] for r in rows(built_store, f"""SELECT ?o WHERE {{ GRAPH <{mint.graph('links')}> {{
                <{mint.entity('russia')}> <http://www.w3.org/2002/07/owl#sameAs> ?o }} }}""")}
    assert same == stored and any(s.startswith("http://www.wikidata.org/entity/Q") for s in same)
    assert (russia, RDF.type, SCHEMA.Country) in claims_graph


def test_one_claim_and_per_article_views(http, claims_graph, built_store, mint):
    slug, cid = rows(built_store, "SELECT ?c WHERE { ?c a cg:Claim } LIMIT 1")[0]["c"].split("/article/", 1)[1].split("/claim/")
    one = http.get(f"/exports/claims/{slug}/{cid}.jsonld")
    assert one.status_code == 200
    g = Graph().parse(data=one.text, format="json-ld")
    node = URIRef(mint.claim(slug, cid))
    assert (node, RDF.type, SCHEMA.Claim) in g
    assert g.value(node, SCHEMA.text) == claims_graph.value(node, SCHEMA.text)
    per_article = http.get("/exports/claims.jsonld", params={"article": slug}).json()
    assert len(per_article["@graph"]) == len(set(claims_graph.subjects(RDF.type, SCHEMA.Claim)))
    for r, parameter in ((http.get(f"/exports/claims/{slug}/no-such-claim.jsonld"), "claim"),
                         (http.get("/exports/claims.jsonld", params={"article": "no-such-article"}), "article")):
        assert r.status_code == 404 and r.json()["ok"] is False and r.json()["error"]["parameter"] == parameter


# --- source context, exposed on its own ----------------------------------------------------------

def test_source_context_export_is_the_sourced_statements_and_nothing_else(http, built_store, mint, facts, register):
    r = http.get("/exports/source-context", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    every = set(g.subjects(RDF.type, CG.SourcedStatement))
    behind_register = {mint.register_fact(eid, "happened") for eid, e in register.items() if "happened" in e}
    assert {str(s) for s in every} == {mint.fact(f["id"]) for f in facts} | behind_register
    statements = {s for s in every if str(s) not in behind_register}
    assert not set(g.subjects(RDF.type, CG.Claim)) and not set(g.subjects(CG.claimant, None))
    by_id = {f["id"]: f for f in facts}
    for s in statements:
        f = by_id[str(s).rsplit("/", 1)[1]]
        assert str(g.value(s, DCTERMS.source)) == f["source"]
        assert str(g.value(s, CG.statedBy)) == f["by"]
        assert str(g.value(s, CG.statementAbout)) == mint.entity(f["subject"])
    stored = rows(built_store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{mint.graph('source-context')}> {{ ?s ?p ?o }} }}")
    assert len(g) == int(stored[0]["n"])
    as_jsonld = http.get("/exports/source-context", params={"format": "jsonld"})
    assert len(Graph().parse(data=as_jsonld.text, format="json-ld")) == len(g)
