"""External identifiers: their form, their strength (exact vs close), the VoID
linksets that publish them, and the source context kept apart from claims."""

from __future__ import annotations

import re

import pytest
import yaml
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, SKOS

from conftest import DATA
from claimgraph.namespaces import Minter
from claimgraph.reading.entities import LINK_FORMS, load_entities, match_of
from claimgraph.triples.links import TARGET_IRI, link_graph

PREFIXES = """
PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
"""
WIKIDATA_IRI = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
# The form each target dataset's record IRIs take (independent of the code under test).
TARGET_FORMS = {
    "wikidata": re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$"),
    "dbpedia": re.compile(r"^http://dbpedia\.org/resource/[^\s<>\"{}|\\^`]+$"),
    "geonames": re.compile(r"^https://sws\.geonames\.org/[1-9][0-9]*/$"),
    "viaf": re.compile(r"^http://viaf\.org/viaf/[1-9][0-9]*$"),
    "opensanctions": re.compile(r"^https://www\.opensanctions\.org/entities/[A-Za-z0-9][A-Za-z0-9._-]*/$"),
}


def rows(store, query: str) -> list[dict]:
    result = store.query(PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names if sol[n] is not None} for sol in result]


def link_id(value) -> tuple[str, str]:
    """(id, strength) of a link as written in entities.yaml: bare, or {id, match}."""
    if isinstance(value, dict):
        return str(value["id"]), value.get("match", "exact")
    return str(value), "exact"


@pytest.fixture(scope="module")
def links_graph(mint) -> str:
    return mint.graph("links")


# --- every Wikidata link is well-formed and exactly the register's ------------------

def test_every_register_wikidata_id_is_well_formed(register):
    with_qid = {eid: e["wikidata"] for eid, e in register.items() if "wikidata" in e}
    assert len(with_qid) >= 10, "the register should link at least the states, NATO, Europe, Obama"
    for eid, value in with_qid.items():
        qid, _strength = link_id(value)
        assert re.fullmatch(r"Q[1-9][0-9]*", qid), f"{eid}: {qid!r} is not a QID"


def test_every_entity_with_a_qid_has_its_wikidata_iri_in_the_links_graph(built_store, register, mint, links_graph):
    found = rows(built_store, f"""SELECT ?s ?p ?o WHERE {{ GRAPH <{links_graph}> {{ ?s ?p ?o
                  FILTER(STRSTARTS(STR(?o), "http://www.wikidata.org/")) }} }}""")
    assert found, "no Wikidata links in the links graph"
    for r in found:
        assert WIKIDATA_IRI.match(r["o"]), f"malformed Wikidata IRI {r['o']!r} on {r['s']}"
    exact = {(r["s"], r["o"]) for r in found if r["p"] == str(OWL.sameAs)}
    typed = {(r["s"], r["o"]) for r in found if r["p"] == "https://w3id.org/claimgraph/ontology#wikidata"}
    want = {(mint.entity(eid), f"http://www.wikidata.org/entity/{link_id(e['wikidata'])[0]}")
            for eid, e in register.items() if "wikidata" in e and link_id(e["wikidata"])[1] == "exact"}
    assert exact == want
    assert typed == want


def test_every_link_target_has_the_form_of_its_dataset(built_store, links_graph):
    found = rows(built_store, f"""SELECT ?p ?o WHERE {{ GRAPH <{links_graph}> {{ ?s ?p ?o
                  FILTER(?p IN (owl:sameAs, skos:closeMatch)) }} }}""")
    assert found
    for r in found:
        forms = [name for name, form in TARGET_FORMS.items() if form.match(r["o"])]
        assert forms, f"link target {r['o']!r} fits no known dataset's IRI form"


def test_links_graph_holds_each_register_link_with_its_strength(built_store, register, mint, links_graph):
    have = {(r["s"], r["p"], r["o"]) for r in rows(built_store, f"""SELECT ?s ?p ?o WHERE {{
             GRAPH <{links_graph}> {{ ?s ?p ?o FILTER(?p IN (owl:sameAs, skos:closeMatch)) }} }}""")}
    want = set()
    bases = {"dbpedia": "http://dbpedia.org/resource/{}", "geonames": "https://sws.geonames.org/{}/",
             "viaf": "http://viaf.org/viaf/{}", "opensanctions": "https://www.opensanctions.org/entities/{}/",
             "wikidata": "http://www.wikidata.org/entity/{}"}
    for eid, e in register.items():
        pairs = [("wikidata", e["wikidata"])] if "wikidata" in e else []
        pairs += [(k, v) for k, v in (e.get("links") or {}).items() if k != "iso3166"]
        for scheme, value in pairs:
            ident, strength = link_id(value)
            p = str(OWL.sameAs) if strength == "exact" else str(SKOS.closeMatch)
            want.add((mint.entity(eid), p, bases[scheme].format(ident)))
    assert have == want


def test_close_match_is_never_identity_even_after_reasoning(built_store, register, mint):
    close = [(eid, scheme, link_id(v)[0]) for eid, e in register.items()
             for scheme, v in (e.get("links") or {}).items() if link_id(v)[1] == "close"]
    assert close, "the register should hold at least one close match (nato-enlargement/DBpedia)"
    for eid, scheme, ident in close:
        target = TARGET_IRI[scheme](ident)
        identity = rows(built_store, f"""SELECT ?p WHERE {{ <{mint.entity(eid)}> ?p <{target}>
                        FILTER(?p IN (owl:sameAs, skos:exactMatch, cg:wikidata)) }}""")
        assert identity == [], f"{eid} -> {target} is a close match but the graph states {identity}"
        assert built_store.query(PREFIXES + f"ASK {{ <{mint.entity(eid)}> skos:closeMatch <{target}> }}")


def test_iso_codes_are_literals_matching_the_register(built_store, register, mint):
    have = {(r["s"], r["c"]) for r in rows(built_store, "SELECT ?s ?c WHERE { ?s cg:iso3166Code ?c }")}
    want = {(mint.entity(eid), e["links"]["iso3166"]) for eid, e in register.items()
            if "iso3166" in (e.get("links") or {})}
    assert have == want and want


# --- the form check and the match option, on a copy of the register ----------------------

MALFORMED = [
    ("wikidata: Q159", "wikidata: 159", "wikidata '159' is not a QID"),
    ("wikidata: Q794", "wikidata: Q0794", "wikidata 'Q0794' is not a QID"),
    ('geonames: "2017370"', 'geonames: "2017370x"', "geonames id '2017370x' is malformed"),
    ("iso3166: RU", "iso3166: RUS", "iso3166 id 'RUS' is malformed"),
    ("dbpedia: Iran", "dbpedia: Islamic Republic", "dbpedia id 'Islamic Republic' is malformed"),
    ('viaf: "52010985"', 'viaf: "052010985"', "viaf id '052010985' is malformed"),
]


@pytest.mark.parametrize("old,new,message", MALFORMED, ids=[m[1] for m in MALFORMED])
def test_a_malformed_identifier_is_a_problem_with_file_and_line(broken_data, old, new, message):
    broken_data.replace(old, new, which="entities")
    line = broken_data.line_of(new, which="entities")
    _entities, problems = load_entities(broken_data.file("entities"), broken_data.shown("entities"))
    hits = [p for p in problems if message in p.message]
    assert hits, f"no problem saying {message!r}; got {[str(p) for p in problems]}"
    assert hits[0].line == line
    assert str(hits[0]).startswith(f"{broken_data.shown('entities')}:{line}: ")


def test_build_refuses_a_malformed_identifier(broken_data, cli, tmp_path):
    broken_data.replace('geonames: "1269750"', 'geonames: "12697-50"', which="entities")
    line = broken_data.line_of('geonames: "12697-50"', which="entities")
    done = cli("build", "--data", broken_data.path, "--store", tmp_path / "store", "--no-reasoner")
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert f"entities.yaml:{line}: entity india: geonames id '12697-50' is malformed" in err
    assert not (tmp_path / "store").exists(), "a failed build must not leave a store"


def test_match_option_reads_exact_and_close(broken_data):
    broken_data.replace('geonames: "6255148"', 'geonames: {id: "6255148", match: close}', which="entities")
    broken_data.replace("wikidata: Q7184", "wikidata: {id: Q7184, match: exact}", which="entities")
    entities, problems = load_entities(broken_data.file("entities"), broken_data.shown("entities"))
    assert problems == []
    assert entities["europe"].links["geonames"] == "6255148"
    assert match_of(entities["europe"], "geonames") == "close"
    assert match_of(entities["europe"], "wikidata") == "exact"
    assert entities["nato"].wikidata == "Q7184" and match_of(entities["nato"], "wikidata") == "exact"
    assert match_of(entities["nato-enlargement"], "dbpedia") == "close"
    g = Graph()
    counts = link_graph(g, {k: entities[k] for k in ("europe", "nato")}, Minter("http://example.org/id/"))
    europe = Minter("http://example.org/id/").entity("europe")
    geonames = TARGET_IRI["geonames"]("6255148")
    assert (URIRef(europe), SKOS.closeMatch, geonames) in g
    assert g.value(predicate=OWL.sameAs, object=geonames) is None
    assert counts[("geonames", str(SKOS.closeMatch))] == 1
    assert counts[("wikidata", str(OWL.sameAs))] == 2


@pytest.mark.parametrize("old,new,message", [
    ('geonames: "6255148"', 'geonames: {id: "6255148", match: maybe}', "match 'maybe' is not one of exact, close"),
    ("iso3166: CN", "iso3166: {id: CN, match: close}", "iso3166 is a code, not a linked record"),
    ('geonames: "6255148"', 'geonames: {id: "6255148", strength: close}', "unknown key 'strength'"),
    ('geonames: "6255148"', 'geonames: {match: close}', "missing id"),
])
def test_a_bad_match_option_is_a_problem(broken_data, old, new, message):
    broken_data.replace(old, new, which="entities")
    _entities, problems = load_entities(broken_data.file("entities"), broken_data.shown("entities"))
    assert any(message in p.message for p in problems), [str(p) for p in problems]


def test_register_links_use_only_known_schemes():
    doc = yaml.safe_load((DATA / "entities.yaml").read_text(encoding="utf-8"))
    for e in doc["entities"]:
        for scheme, value in (e.get("links") or {}).items():
            assert scheme in LINK_FORMS, f"{e['id']}: unknown scheme {scheme}"
            assert LINK_FORMS[scheme].match(link_id(value)[0]), f"{e['id']}: {scheme} {value!r}"


# --- VoID: one linkset per target and predicate, with true counts ---------------------------

def test_void_publishes_a_linkset_per_target_and_predicate_with_true_counts(built_store, mint, links_graph):
    sets = rows(built_store, f"""SELECT ?ls ?target ?p ?n ?sub WHERE {{ GRAPH <{mint.graph('dataset')}> {{
        ?ls a void:Linkset ; void:objectsTarget ?target ; void:linkPredicate ?p ; void:triples ?n ;
            void:subjectsTarget ?sub . <{mint.dataset}> void:subset ?ls }} }}""")
    assert {r["p"] for r in sets} == {str(OWL.sameAs), str(SKOS.closeMatch)}
    pairs = [(r["target"], r["p"]) for r in sets]
    assert len(pairs) == len(set(pairs)), "two linksets for one (target, predicate)"
    spaces = {r["t"]: r["space"] for r in rows(built_store, f"""SELECT ?t ?space WHERE {{
        GRAPH <{mint.graph('dataset')}> {{ ?t void:uriSpace ?space }} }}""")}
    total = 0
    for r in sets:
        assert r["sub"] == mint.dataset
        space = spaces[r["target"]]
        n = rows(built_store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{links_graph}> {{ ?s <{r['p']}> ?o
                 FILTER(STRSTARTS(STR(?o), "{space}")) }} }}""")[0]["n"]
        assert int(r["n"]) == int(n) > 0, f"{r['ls']} says {r['n']} links, the graph holds {n}"
        total += int(n)
    all_links = rows(built_store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{links_graph}> {{ ?s ?p ?o
                     FILTER(?p IN (owl:sameAs, skos:closeMatch)) }} }}""")[0]["n"]
    assert total == int(all_links), "some links belong to no linkset"


# --- source context: its own graph, never mixed with claims ----------------------------------

def test_source_context_lives_only_in_its_graph(built_store, mint, facts, register):
    where = rows(built_store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s a cg:SourcedStatement } }")
    assert {r["g"] for r in where} == {mint.graph("source-context")}
    have = {r["s"] for r in rows(built_store, f"""SELECT ?s WHERE {{ GRAPH <{mint.graph('source-context')}> {{
              ?s a cg:SourcedStatement }} }}""")}
    # The facts about publishers, and the statements behind the register's sourced world facts.
    register_facts = {mint.register_fact(eid, "happened") for eid, e in register.items() if "happened" in e}
    register_facts |= {mint.register_fact(eid, "direction") for eid, e in register.items() if "appliedBy" in e}
    assert have == {mint.fact(f["id"]) for f in facts} | register_facts


def test_source_context_holds_no_claim_and_articles_hold_no_sourced_statement(built_store, mint):
    ctx = mint.graph("source-context")
    mixed = rows(built_store, f"""SELECT ?s ?t WHERE {{ GRAPH <{ctx}> {{ ?s a ?t }}
                 FILTER(?t IN (cg:Claim, nif:Context, nif:Sentence, cg:Mention)) }}""")
    assert mixed == []
    claim_terms = rows(built_store, f"""SELECT ?p WHERE {{ GRAPH <{ctx}> {{ ?s ?p ?o }}
                       FILTER(?p IN (cg:claimant, cg:quote, cg:stance, cg:about)) }}""")
    assert claim_terms == []
    stray = rows(built_store, f"""SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?s cg:statementAbout ?e }}
                 FILTER(?g != <{ctx}>) }}""")
    assert stray == []
