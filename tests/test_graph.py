"""The built graph (session store): text anchoring, claims, named graphs,
external links, and the separation of claims, register and source context."""

from __future__ import annotations

import hashlib
import re

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from conftest import SLUG

PREFIXES = """
PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX itsrdf: <http://www.w3.org/2005/11/its/rdf#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
WIKIDATA = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")


def rows(store, query: str, **kw) -> list[dict]:
    result = store.query(PREFIXES + query, **kw)
    names = [v.value for v in result.variables]
    return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]


def val(term) -> str:
    return term.value


def nq_escape(s: str) -> str:
    """N-Quads string escaping (canonical form: only \\, ", LF and CR escaped)."""
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


@pytest.fixture(scope="module")
def g(mint):
    """Graph names of the build."""
    return {
        "article": mint.article_graph(SLUG),
        **{name: mint.graph(name) for name in ("ontology", "entities", "links", "source-context", "inferred", "dataset")},
    }


# --- the text ---------------------------------------------------------------

def test_nif_context_holds_the_article_text_verbatim(built_store, mint, article_text, article_bytes):
    r = rows(built_store, """
        SELECT ?ctx ?s ?h ?b ?e WHERE {
          ?a cg:text ?ctx . ?ctx a cg:Text, nif:Context ; nif:isString ?s ; cg:sha256 ?h ;
             nif:beginIndex ?b ; nif:endIndex ?e }""")
    assert len(r) == 1
    [row] = r
    assert val(row["ctx"]) == mint.context(SLUG)
    assert row["s"].value == article_text
    assert row["s"].datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")
    assert row["h"].value == hashlib.sha256(article_bytes).hexdigest()
    assert hashlib.sha256(row["s"].value.encode("utf-8")).hexdigest() == row["h"].value
    assert (int(row["b"].value), int(row["e"].value)) == (0, len(article_text))


@pytest.mark.parametrize("cls", ["Sentence", "Mention", "TextSpan", "Paragraph"])
def test_every_anchor_is_the_text_at_its_offsets(built_store, mint, article_text, cls):
    r = rows(built_store, f"""
        SELECT ?x ?b ?e ?a ?c WHERE {{
          ?x a cg:{cls} ; nif:beginIndex ?b ; nif:endIndex ?e ; nif:anchorOf ?a ; nif:referenceContext ?c }}""")
    assert r, f"no cg:{cls} in the store"
    seen = set()
    for row in r:
        b, e = int(row["b"].value), int(row["e"].value)
        assert 0 <= b < e <= len(article_text)
        # SUBSTR(text, begin+1, end-begin) in SPARQL is text[begin:end] in Python.
        assert article_text[b:e] == row["a"].value, (val(row["x"]), b, e)
        assert val(row["c"]) == mint.context(SLUG)
        seen.add(val(row["x"]))
    assert len(seen) == len(r), f"some cg:{cls} has more than one anchor"


def test_sparql_substr_agrees_with_python(built_store):
    # The same check the SHACL shape makes, run in the store: no anchor disagrees.
    r = rows(built_store, """
        SELECT ?x WHERE {
          ?x nif:beginIndex ?b ; nif:endIndex ?e ; nif:anchorOf ?a ; nif:referenceContext ?c .
          ?c nif:isString ?s
          FILTER (SUBSTR(?s, ?b + 1, ?e - ?b) != STR(?a)) }""")
    assert r == []


def test_sentences_and_mentions_match_the_reading(built_store, mint, reading):
    r = rows(built_store, """SELECT ?s ?pos ?a WHERE { ?art cg:hasSentence ?s . ?s cg:position ?pos ; nif:anchorOf ?a }""")
    got = sorted((int(x["pos"].value), val(x["s"]), x["a"].value) for x in r)
    want = [(i, mint.sentence(SLUG, s["id"]), s["text"]) for i, s in enumerate(reading["sentences"], 1)]
    assert got == want
    chain = rows(built_store, "SELECT ?a ?b WHERE { ?a nif:nextSentence ?b }")
    assert sorted((val(x["a"]), val(x["b"])) for x in chain) == sorted(
        (want[i][1], want[i + 1][1]) for i in range(len(want) - 1))
    mentions = rows(built_store, """
        SELECT ?s ?w ?ent ?id WHERE { ?s cg:hasMention ?m . ?m nif:anchorOf ?w ; itsrdf:taIdentRef ?ent .
                                      ?ent cg:registerId ?id }""")
    got_m = sorted((val(x["s"]), x["w"].value, x["id"].value) for x in mentions)
    want_m = sorted((mint.sentence(SLUG, s["id"]), m["text"], m["entity"])
                    for s in reading["sentences"] for m in (s.get("mentions") or []))
    assert got_m == want_m


# --- claims ---------------------------------------------------------------------

def test_at_least_25_claims_each_with_claimant_attribution_and_quote(built_store, mint, reading):
    r = rows(built_store, """
        SELECT ?c (COUNT(DISTINCT ?who) AS ?nw) (COUNT(DISTINCT ?att) AS ?na) (COUNT(DISTINCT ?q) AS ?nq)
               (SAMPLE(?words) AS ?w)
        WHERE { ?c a cg:Claim .
                OPTIONAL { ?c cg:claimant ?who } OPTIONAL { ?c cg:attribution ?att }
                OPTIONAL { ?c cg:quote ?q . ?q nif:anchorOf ?words } }
        GROUP BY ?c""")
    assert len(r) >= 25
    assert len(r) == len(reading["claims"])
    for row in r:
        assert (int(row["nw"].value), int(row["na"].value), int(row["nq"].value)) == (1, 1, 1), val(row["c"])
    quotes = {val(row["c"]): row["w"].value for row in r}
    assert quotes == {mint.claim(SLUG, c["id"]): c["quote"] for c in reading["claims"]}


def test_claimants_and_reporters(built_store, mint, reading):
    r = rows(built_store, """
        SELECT ?c ?who ?by ?att WHERE { ?c a cg:Claim ; cg:claimant ?who ; cg:reportedBy ?by ; cg:attribution ?att }""")
    author = mint.author(SLUG)  # the reading names no author
    assert reading["article"]["author"] is None
    by_iri = {val(x["c"]): x for x in r}
    for c in reading["claims"]:
        row = by_iri[mint.claim(SLUG, c["id"])]
        assert val(row["by"]) == author
        expected = author if c["claimant"] == "author" else mint.entity(c["claimant"])
        assert val(row["who"]) == expected
        assert val(row["att"]).endswith("#OwnVoice" if c["attribution"] == "own-voice" else "#Reported")
    assert bool(built_store.query(PREFIXES + f"ASK {{ <{author}> a cg:Author }}"))


# --- named graphs -------------------------------------------------------------

def test_named_graphs_exist_and_are_not_empty(built_store, g):
    counts = built_store.triple_counts()
    for name, iri in g.items():
        assert counts.get(iri, 0) > 0, f"graph {name} ({iri}) is missing or empty"
    assert set(built_store.named_graphs()) == set(g.values())


def test_dataset_graph_describes_every_graph_with_its_size(built_store, g):
    r = rows(built_store, f"""
        SELECT ?graph ?n WHERE {{ GRAPH <{g['dataset']}> {{
          ?sub cg:namedGraph ?graph ; <http://rdfs.org/ns/void#triples> ?n
          FILTER NOT EXISTS {{ ?sub a <http://rdfs.org/ns/void#Linkset> }} }} }}""")
    assert len(r) == len({val(x["graph"]) for x in r}), "a graph is described twice"
    described = {val(x["graph"]): int(x["n"].value) for x in r}
    counts = built_store.triple_counts()
    # Sizes are those at description time: every asserted graph but the description itself and the inferences.
    for name in ("article", "ontology", "entities", "links", "source-context"):
        assert described[g[name]] == counts[g[name]], name


# --- external links ---------------------------------------------------------------

def test_every_state_has_its_wikidata_item(built_store, mint, register):
    r = rows(built_store, """SELECT ?s ?wd WHERE { ?s a cg:State . OPTIONAL { ?s cg:wikidata ?wd } }""")
    states = {}
    for row in r:
        states.setdefault(val(row["s"]), []).append(val(row["wd"]) if "wd" in row else None)
    want = {mint.entity(e["id"]): e["wikidata"] for e in register.values() if e["type"] == "State"}
    assert set(states) == set(want)
    for iri, wds in states.items():
        assert len(wds) == 1 and wds[0] is not None, iri
        assert WIKIDATA.match(wds[0]), wds[0]
        assert wds[0] == f"http://www.wikidata.org/entity/{want[iri]}"


def test_organisations_and_outlets_link_only_verified_wikidata(built_store, mint, register):
    r = rows(built_store, """
        SELECT DISTINCT ?s ?wd WHERE { { ?s a cg:Organization } UNION { ?s a cg:MediaOutlet }
                                       OPTIONAL { ?s cg:wikidata ?wd } }""")
    got = {}
    for row in r:
        got.setdefault(val(row["s"]), set()).update({val(row["wd"])} if "wd" in row else set())
    want = {mint.entity(e["id"]): e.get("wikidata") for e in register.values() if e["type"] in ("Organization", "MediaOutlet")}
    assert set(got) == set(want)
    for iri, wds in got.items():
        if want[iri] is None:
            assert wds == set(), f"{iri} has a Wikidata link the register does not give"
        else:
            assert wds == {f"http://www.wikidata.org/entity/{want[iri]}"}
            assert all(WIKIDATA.match(w) for w in wds)


def test_every_wikidata_link_is_also_an_identity_link(built_store, g):
    r = rows(built_store, f"""
        SELECT ?s ?wd WHERE {{ GRAPH <{g['links']}> {{ ?s cg:wikidata ?wd FILTER NOT EXISTS {{ ?s owl:sameAs ?wd }} }} }}""")
    assert r == []


# --- separation of claims, register and source context --------------------------

def test_no_claim_words_in_the_register_or_links(built_store, g, reading):
    claim_words = {c["quote"] for c in reading["claims"]} | {c["paraphrase"] for c in reading["claims"] if c.get("paraphrase")}
    for name in ("entities", "links"):
        lits = rows(built_store, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g[name]}> {{ ?s ?p ?o FILTER isLiteral(?o) }} }}")
        assert lits, name
        leaked = [x for x in lits if x["o"].value in claim_words]
        assert leaked == [], (name, leaked)
        claimish = rows(built_store, f"""
            SELECT ?s ?p WHERE {{ GRAPH <{g[name]}> {{
              {{ ?s a cg:Claim }} UNION {{ ?s cg:quote|cg:paraphrase|cg:claimant|cg:stance ?o }} }} }}""")
        assert claimish == [], name


def test_claims_live_in_the_article_graph(built_store, g):
    r = rows(built_store, """SELECT DISTINCT ?graph WHERE { ?c a cg:Claim . GRAPH ?graph { ?c ?p ?o } }""")
    assert {val(x["graph"]) for x in r} <= {g["article"], g["inferred"]}
    inferred = rows(built_store, f"""SELECT DISTINCT ?p WHERE {{ ?c a cg:Claim . GRAPH <{g['inferred']}> {{ ?c ?p ?o }} }}""")
    # Types, super-properties of asserted ones, inverses, and the symmetric closure of contrast.
    assert {val(x["p"]) for x in inferred} <= {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "https://schema.org/about",
        "https://w3id.org/claimgraph/ontology#claimedIn", "https://w3id.org/claimgraph/ontology#relatedClaim",
        "https://w3id.org/claimgraph/ontology#contrastsWith", "http://www.w3.org/ns/prov#wasAttributedTo"}


def test_source_context_statements_are_sourced_and_kept_apart(built_store, mint, g, facts):
    r = rows(built_store, f"""
        SELECT ?f ?src ?about WHERE {{ GRAPH <{g['source-context']}> {{
          ?f a cg:SourcedStatement ; dcterms:source ?src ; cg:statementAbout ?about }} }}""")
    got = {(val(x["f"]), val(x["src"]), val(x["about"])) for x in r if "/fact/" in val(x["f"])}
    assert all(isinstance(x["src"], ox.NamedNode) for x in r)
    assert got == {(mint.fact(f["id"]), f["source"], mint.entity(f["subject"])) for f in facts}
    # Every statement about a fact, and every mention of one, is in the source-context
    # graph; the inferred graph may only add the types that follow from its class.
    where = rows(built_store, """
        SELECT DISTINCT ?graph ?p WHERE { ?f a cg:SourcedStatement .
          { GRAPH ?graph { ?f ?p ?o } } UNION { GRAPH ?graph { ?s ?p ?f } } }""")
    for x in where:
        if val(x["graph"]) == g["inferred"]:
            assert val(x["p"]) == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
        else:
            assert val(x["graph"]) == g["source-context"], x
    # And nothing a source states is asserted in the article graph.
    statements = {f["statement"] for f in facts}
    lits = rows(built_store, f"SELECT ?o WHERE {{ GRAPH <{g['article']}> {{ ?s ?p ?o FILTER isLiteral(?o) }} }}")
    assert not statements & {x["o"].value for x in lits}


# --- export -------------------------------------------------------------------------

def test_nquads_export_contains_the_text_and_every_sentence(cli, built_settings, mint, article_text, reading):
    r = cli("export", "--format", "nquads", "--store", built_settings.store)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode("utf-8")
    lines = set(out.splitlines())
    graph = mint.article_graph(SLUG)
    assert f'<{mint.context(SLUG)}> <{NIF}isString> "{nq_escape(article_text)}" <{graph}> .' in lines
    for s in reading["sentences"]:
        line = f'<{mint.sentence(SLUG, s["id"])}> <{NIF}anchorOf> "{nq_escape(s["text"])}" <{graph}> .'
        assert line in lines, s["id"]


# --- configuration ------------------------------------------------------------------

def test_minted_iris_follow_the_base_iri(built_settings):
    from claimgraph.namespaces import Minter
    from claimgraph.reading import load_corpus
    from claimgraph.triples.dataset import build_dataset

    base = "https://example.org/kg/"
    corpus, _ = load_corpus(built_settings.data_dir)
    ds = build_dataset(corpus, built_settings.ontology_dir / "claimgraph.ttl", Minter(base))
    graphs = {str(c.identifier) for c in ds.graphs() if len(c)}
    assert graphs and all(g.startswith(base + "graph/") for g in graphs)
    default = built_settings.base_iri
    leaked = {str(t) for q in ds.quads((None, None, None, None)) for t in q[:3] if str(t).startswith(default)}
    assert leaked == set()
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    claims = {q[0] for q in ds.quads((None, rdf_type, URIRef("https://w3id.org/claimgraph/ontology#Claim"), None))}
    assert claims and all(str(c).startswith(f"{base}article/{SLUG}/claim/") for c in claims)
