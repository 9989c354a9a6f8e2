"""The reading model, second edition: framing, not facts.

Competency questions on the seed article (the built store, HermiT included), the loader's
rules for the new keys (each broken reading fails with file:line), and the SHACL shapes
that enforce the same rules on the graph. Expected answers come from the article text and
the curated YAML, read here with plain PyYAML.
"""

from __future__ import annotations

import re

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from claimgraph.build import BuildFailed, build
from claimgraph.checks.shacl import check_shapes
from claimgraph.namespaces import CG, Minter
from claimgraph.reading import load_corpus
from claimgraph.triples.dataset import build_dataset, union
from conftest import ONTOLOGY, SLUG

PREFIXES = """
PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX sem: <http://semanticweb.cs.vu.nl/2009/11/sem/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def ask(store, query: str) -> list[dict]:
    result = store.query(PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names if sol[n] is not None} for sol in result]


def short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def claims(reading: dict) -> dict[str, dict]:
    return {c["id"]: c for c in reading["claims"]}


# -- 1. framing, not facts -------------------------------------------------------------------

def test_no_event_reference_is_a_world_event_even_after_inference(built_store):
    typed = ask(built_store, """
        SELECT DISTINCT ?e ?t WHERE { ?e a cg:EventReference . VALUES ?t { cg:Event schema:Event sem:Event } ?e a ?t }""")
    assert typed == []
    refs = ask(built_store, "SELECT ?e WHERE { ?e a cg:EventReference }")
    assert len(refs) >= 10


def test_a_world_event_is_only_what_the_register_sources(built_store, register):
    events = {short(r["e"]) for r in ask(built_store, "SELECT DISTINCT ?e WHERE { ?e a cg:Event }")}
    assert events == {eid for eid, e in register.items() if e["type"] == "Event"} == {"dissolution-of-the-soviet-union"}
    [row] = ask(built_store, """
        SELECT ?doc ?by ?earliest WHERE {
          ?st a cg:SourcedStatement ; cg:statementAbout ?e ; dcterms:source ?doc ; prov:wasAttributedTo ?by .
          ?e a cg:Event ; cg:earliest ?earliest }""")
    assert row["doc"].startswith("https://") and short(row["by"]) == "english-wikipedia"
    assert row["earliest"] == "1991"
    # The timeline marks that one reference as referring to a world event, and no other.
    rows = ask(built_store, """
        SELECT ?ref ?world WHERE { ?ref a cg:EventReference OPTIONAL { ?ref cg:refersTo ?world . ?world a cg:Event } }""")
    assert {short(r["ref"]) for r in rows if "world" in r} == {"e-soviet-collapse"}


def test_characterisations_are_claims_linked_to_the_references_they_frame(built_store, reading):
    rows = ask(built_store, "SELECT ?c ?ref WHERE { ?c cg:frames ?ref . ?ref cg:framedBy ?c }")
    got = {(short(r["c"]), short(r["ref"])) for r in rows}
    expected = {(c["id"], ref) for c in reading["claims"] for ref in c.get("frames", [])}
    assert got == expected
    assert ("c13", "e-strategic-humiliations") in got and ("c6", "p-hybrid-warfare") in got


def test_no_policy_direction_without_an_anchor_or_a_source(built_store):
    # On references: every appliedBy/appliedTo is backed by a participation that is anchored
    # to the text or marked implied with the curator's reason.
    unbacked = ask(built_store, """
        SELECT ?ref ?x WHERE {
          VALUES (?prop ?role) { (cg:appliedBy cg:ActorRole) (cg:appliedTo cg:TargetRole) }
          ?ref a cg:PolicyReference ; ?prop ?x .
          FILTER NOT EXISTS { ?ref cg:participation ?p . ?p cg:participant ?x ; cg:participantRole ?role .
                              { ?p cg:anchor ?span } UNION { ?p cg:implied true ; cg:curatorNote ?why } } }""")
    assert unbacked == []
    # In the register: none without a sourced statement (and the seed register has none at all).
    unsourced = ask(built_store, """
        SELECT ?p WHERE { ?p a cg:Policy . { ?p cg:appliedBy ?x } UNION { ?p cg:appliedTo ?x }
          FILTER NOT EXISTS { ?st a cg:SourcedStatement ; cg:statementAbout ?p ; dcterms:source ?d } }""")
    assert unsourced == []
    assert ask(built_store, "SELECT ?p WHERE { ?p a cg:Policy ; cg:appliedBy ?x }") == []


def test_who_applies_a_policy_is_what_each_article_says_and_no_more(built_store, article_text):
    rows = ask(built_store, """
        SELECT ?ref ?prop ?x ?words WHERE {
          VALUES ?prop { cg:appliedBy cg:appliedTo }
          ?ref a cg:PolicyReference ; ?prop ?x ; cg:participation ?p .
          ?p cg:participant ?x . OPTIONAL { ?p cg:anchor/nif:anchorOf ?words } }""")
    by = {(short(r["ref"]), r["prop"].rsplit("#", 1)[-1], short(r["x"])) for r in rows}
    # Containment: the text names no agent, so none; its target is implied (Russia).
    assert not any(ref == "p-containment" and prop == "appliedBy" for ref, prop, _ in by)
    assert ("p-containment", "appliedTo", "russia") in by
    # Hybrid warfare in s4 has no agent; "war" in s18 is the U.S.'s, named as "the U.S.".
    assert not any(ref == "p-hybrid-warfare" and prop == "appliedBy" for ref, prop, _ in by)
    assert ("p-war", "appliedBy", "united-states") in by
    war = [r for r in rows if short(r["ref"]) == "p-war" and r["prop"].endswith("#appliedBy")]
    assert war[0]["words"] == "the U.S." and "the U.S." in article_text
    # The proposed partnership is applied by no one: its parties are partners.
    assert not any(ref == "p-economic-partnership" for ref, _, _ in by)


# -- 2. claims that relate -------------------------------------------------------------------

def test_on_paper_moscow_could_serve_carries_both_hedges(built_store, article_text):
    rows = ask(built_store, f"""
        SELECT ?cue ?b ?e WHERE {{ ?c cg:hedgeCue ?h . ?h nif:anchorOf ?cue ; nif:beginIndex ?b ; nif:endIndex ?e .
          FILTER(STRENDS(STR(?c), "/{SLUG}/claim/c35")) }} ORDER BY ?b""")
    assert [r["cue"] for r in rows] == ["On paper", "could"]
    for r in rows:
        assert article_text[int(r["b"]):int(r["e"])] == r["cue"]
    three = ask(built_store, f"""SELECT ?cue WHERE {{ ?c cg:hedgeCue/nif:anchorOf ?cue .
        FILTER(STRENDS(STR(?c), "/{SLUG}/claim/c37")) }}""")
    assert {r["cue"] for r in three} == {"On paper", "could", "potentially"}


def test_claims_that_us_sanctions_failed_include_both_failure_claims(built_store, mint):
    rows = ask(built_store, f"""
        SELECT DISTINCT ?c ?quote WHERE {{
          ?specific skos:broader* <{mint.entity("us-sanctions-policy")}> .
          ?c cg:about ?specific ; cg:quote/nif:anchorOf ?quote .
          FILTER(CONTAINS(?quote, "fail")) }}""")
    quotes = {short(r["c"]): r["quote"] for r in rows}
    assert quotes["c24"] == "even this “surgical” approach has failed"
    assert "failed to alter Moscow’s stance" in quotes["c25"]


def test_a_claim_takes_a_stance_toward_each_of_its_targets(built_store, reading):
    rows = ask(built_store, """
        SELECT ?c ?t ?v WHERE { ?c cg:hasStance ?s . ?s cg:stanceTarget ?t ; cg:stanceValue/rdfs:label ?v }""")
    got = {(short(r["c"]), short(r["t"]), r["v"]) for r in rows}
    expected = {(c["id"], s["toward"], s["stance"]) for c in reading["claims"] for s in c["stances"]}
    assert got == expected
    assert {("c42", "multipolarity", "favourable"), ("c42", "rules-based-international-order", "critical")} <= got
    assert {("c53", "united-states", "critical"), ("c53", "russia", "favourable")} <= got


def test_causal_claims_name_cause_and_effect(built_store):
    rows = ask(built_store, """SELECT ?c ?cause ?effect WHERE {
        ?c cg:cause ?cause OPTIONAL { ?c cg:effect ?effect } }""")
    pairs = {(short(r["c"]), short(r["cause"]), short(r.get("effect", "-"))) for r in rows}
    assert ("c29", "p-sanctions-regime", "p-russian-foreign-policy") in pairs
    assert ("c13", "e-russia-integration-western-terms", "e-strategic-humiliations") in pairs
    kinds = ask(built_store, "SELECT DISTINCT ?k WHERE { ?c cg:cause ?x ; cg:claimKind ?k }")
    assert [r["k"] for r in kinds] == ["causal"]


def test_the_effects_an_article_attributes_to_a_policy(built_store, mint):
    # What the named query policy-effects answers: causes that refer to the policy or narrower.
    rows = ask(built_store, f"""
        SELECT DISTINCT ?c ?effect WHERE {{
          ?specific skos:broader* <{mint.entity("us-sanctions-against-russia")}> .
          ?ref cg:refersTo ?specific . ?c cg:cause ?ref . OPTIONAL {{ ?c cg:effect ?effect }} }}""")
    got = {short(r["c"]): short(r.get("effect", "-")) for r in rows}
    assert got == {"c25": "-", "c26": "russia", "c29": "p-russian-foreign-policy"}


def test_one_claim_is_the_content_of_another_and_claims_support_or_rebut(built_store):
    rows = ask(built_store, "SELECT ?a ?rel ?b WHERE { VALUES ?rel { cg:contentOf cg:supports cg:rebuts cg:elaborates "
                            "cg:contrastsWith } ?a ?rel ?b }")
    got = {(short(r["a"]), r["rel"].rsplit("#", 1)[-1], short(r["b"])) for r in rows}
    assert ("c9", "contentOf", "c8") in got and ("c33", "contentOf", "c34") in got
    assert ("c38", "rebuts", "c33") in got and ("c39", "supports", "c38") in got
    # Contrast is symmetric: the reasoner adds the reverse.
    assert ("c16", "contrastsWith", "c11") in got and ("c11", "contrastsWith", "c16") in got


def test_scare_quotes_and_presuppositions_are_anchored_typed_spans(built_store, article_text):
    rows = ask(built_store, """SELECT ?d ?type ?words ?b ?e WHERE {
        VALUES ?type { cg:ScareQuote cg:Presupposition } ?d a ?type ; cg:anchor ?s .
        ?s nif:anchorOf ?words ; nif:beginIndex ?b ; nif:endIndex ?e }""")
    scare = {r["words"] for r in rows if r["type"].endswith("ScareQuote")}
    assert {"“surgical”", "“rules-based international order”", "“reset”"} <= scare
    for r in rows:
        assert article_text[int(r["b"]):int(r["e"])] == r["words"]
    assert len([r for r in rows if r["type"].endswith("Presupposition")]) >= 3


def test_contested_premises_are_flagged_with_a_note(built_store):
    rows = ask(built_store, "SELECT ?c ?note WHERE { ?c cg:contestedPremise true ; cg:contestNote ?note }")
    got = {short(r["c"]): r["note"] for r in rows}
    assert "c14" in got and "NATO" in got["c14"]


# -- 3./4./5. one node per thing, events with participants, sourced statements ---------------

def test_the_general_concept_reaches_the_specific_policy(built_store, mint):
    rows = ask(built_store, f"SELECT ?x WHERE {{ ?x skos:broader+ <{mint.entity('sanctions')}> }}")
    assert {short(r["x"]) for r in rows} == {"us-sanctions-policy", "us-sanctions-against-russia"}


def test_events_have_participants_anchored_where_the_text_names_them(built_store, mint):
    rows = ask(built_store, f"""SELECT ?ev ?role ?words ?implied WHERE {{
        ?ev a cg:EventReference ; cg:participation ?p . ?p cg:participant <{mint.entity("russia")}> ;
        cg:participantRole/rdfs:label ?role . OPTIONAL {{ ?p cg:anchor/nif:anchorOf ?words }}
        OPTIONAL {{ ?p cg:implied ?implied }} }}""")
    got = {short(r["ev"]): r for r in rows}
    assert got["e-years-of-pressure"]["role"] == "target" and got["e-years-of-pressure"]["words"] == "Moscow"
    assert got["e-strategic-humiliations"].get("implied") == "true"
    assert "words" not in got["e-strategic-humiliations"]


def test_sourced_statements_name_their_source_as_a_register_entity(built_store, facts):
    rows = ask(built_store, """SELECT ?st ?by WHERE { ?st a cg:SourcedStatement ; prov:wasAttributedTo ?by .
        ?by cg:registerId ?rid }""")
    by = {short(r["st"]): short(r["by"]) for r in rows}
    for f in facts:
        assert by[f["id"]] == f["by_entity"]
    assert by["scf-gec-2020"] == "us-department-of-state"


def test_hermit_finds_the_model_consistent(built_report):
    assert built_report.reasoner.startswith("HermiT: consistent")


# -- the loader: each rule with file:line -----------------------------------------------------

def problems_of(broken_data, settings_for) -> list[str]:
    settings = settings_for(broken_data.path.parent, data_dir=broken_data.path, reasoner="none")
    with pytest.raises(BuildFailed) as failed:
        build(settings)
    return failed.value.problems


def one_problem(broken_data, settings_for, which: str, line: int, pattern: str) -> None:
    problems = problems_of(broken_data, settings_for)
    prefix = f"{broken_data.shown(which)}:{line}: "
    assert any(p.startswith(prefix) and re.search(pattern, p[len(prefix):]) for p in problems), problems
    assert len(problems) == 1, problems


def test_a_first_edition_stance_gets_a_message_saying_what_to_write(broken_data, settings_for):
    broken_data.replace("    stances: [{toward: us-sanctions-policy, stance: critical}]\n",
                        "    stance: critical\n    stanceToward: us-sanctions-policy\n", within="  - id: c24")
    problems = problems_of(broken_data, settings_for)
    line = broken_data.line_of("stance: critical", within="  - id: c24")
    assert any(p.startswith(f"{broken_data.shown()}:{line}: claim c24: `stance` and `stanceToward` are now `stances`")
               for p in problems), problems


def test_a_first_edition_hedge_gets_a_message_saying_what_to_write(broken_data, settings_for):
    broken_data.replace('    hedges: ["seem to"]\n', '    hedge: "seem to"\n', within="  - id: c8")
    one_problem(broken_data, settings_for, "reading", broken_data.line_of("hedge:", within="  - id: c8"),
                r"^claim c8: `hedge` is now `hedges`, a list of every hedging cue: write hedges: \[\"seem to\"\]")


def test_an_unsourced_register_direction_is_refused(broken_data, settings_for):
    broken_data.replace("    label: Containment of Russia\n",
                        "    label: Containment of Russia\n    appliedBy: [united-states]\n",
                        which="entities", within="  - id: containment-of-russia")
    one_problem(broken_data, settings_for, "entities",
                broken_data.line_of("  - id: containment-of-russia\n", which="entities"),
                r"^entity containment-of-russia: appliedBy/appliedTo in the register .* need a source")


def test_a_sourced_register_direction_is_accepted_and_attributed(broken_data, settings_for):
    broken_data.replace("    label: Containment of Russia\n",
                        "    label: Containment of Russia\n    appliedBy: [united-states]\n"
                        "    source: {by: english-wikipedia, url: \"https://en.wikipedia.org/wiki/Containment\"}\n",
                        which="entities", within="  - id: containment-of-russia")
    corpus, problems = load_corpus(broken_data.path, strict=False)
    assert problems == []
    mint = Minter("http://127.0.0.1:8000/id/")
    ds = build_dataset(corpus, ONTOLOGY / "claimgraph.ttl", mint)
    assert check_shapes(union(ds), ONTOLOGY / "shapes.ttl").conforms


def test_a_register_event_without_a_source_is_refused(broken_data, settings_for):
    text = broken_data.read("entities")
    lo, hi = broken_data.block("  - id: dissolution-of-the-soviet-union", "entities")
    block = text[lo:hi]
    cut = block[block.index("    happened:"):].rstrip("\n")
    broken_data.write(text[:lo] + block.replace(cut + "\n", "").replace(cut, "") + text[hi:], "entities")
    one_problem(broken_data, settings_for, "entities",
                broken_data.line_of("  - id: dissolution-of-the-soviet-union\n", which="entities"),
                r"^entity dissolution-of-the-soviet-union: a register Event is asserted to have happened")


def test_a_participant_needs_its_words_or_an_implied_reason(broken_data, settings_for):
    broken_data.replace('{entity: nato, role: actor, text: "NATO"}', "{entity: nato, role: actor}",
                        within="  - id: e-nato-expansion")
    one_problem(broken_data, settings_for, "reading",
                broken_data.line_of("{entity: nato, role: actor}", within="  - id: e-nato-expansion"),
                r"^event e-nato-expansion: participant nato \(actor\) needs the words that name it")


def test_cause_and_effect_belong_to_causal_claims(broken_data, settings_for):
    broken_data.replace("    kind: causal\n", "    kind: factual\n", within="  - id: c29")
    one_problem(broken_data, settings_for, "reading", broken_data.line_of("cause:", within="  - id: c29"),
                r"^claim c29: cause and effect belong to causal claims; this one is factual")


def test_a_relation_to_an_unknown_claim_is_refused(broken_data, settings_for):
    broken_data.replace("relations: [{type: rebuts, claim: c33}]", "relations: [{type: rebuts, claim: c99}]",
                        within="  - id: c38")
    one_problem(broken_data, settings_for, "reading",
                broken_data.line_of("relations:", within="  - id: c38"),
                r"claim 'c99' is not a claim of this reading")


def test_frames_names_references_not_claims(broken_data, settings_for):
    broken_data.replace("frames: [e-russian-adaptation]", "frames: [c28]", within="  - id: c27")
    one_problem(broken_data, settings_for, "reading", broken_data.line_of("frames:", within="  - id: c27"),
                r"^claim c27: frames 'c28' is not a event or policy of this reading")


def test_a_scare_quote_keeps_its_quotation_marks(broken_data, settings_for):
    broken_data.replace('text: "“surgical”", sentence: s14', 'text: "surgical", sentence: s14')
    one_problem(broken_data, settings_for, "reading", broken_data.line_of('text: "surgical", sentence: s14'),
                r"^framing f-surgical: a scare quote's text must be the quoted words with their quotation marks")


def test_a_presupposition_needs_a_note(broken_data, settings_for):
    broken_data.replace(', note: "Takes for granted that earlier it was Moscow that needed the conversation most."}', "}")
    one_problem(broken_data, settings_for, "reading", broken_data.line_of("id: f-this-time"),
                r"^framing f-this-time: a presupposition needs a note")


def test_a_sourced_statement_names_a_register_entity(broken_data, settings_for):
    broken_data.replace("    by_entity: gazeta-ru\n", "    by_entity: gazeta\n", which="facts")
    one_problem(broken_data, settings_for, "facts", broken_data.line_of("by_entity: gazeta\n", which="facts"),
                r"by_entity 'gazeta' is not in the register")


# -- SHACL: the same rules on the graph, whatever made it ---------------------------------------

@pytest.fixture(scope="module")
def compiled():
    from conftest import DATA

    corpus, problems = load_corpus(DATA, strict=True)
    assert problems == []
    mint = Minter("http://127.0.0.1:8000/id/")
    return union(build_dataset(corpus, ONTOLOGY / "claimgraph.ttl", mint)), mint


def violations(graph) -> list[str]:
    result = check_shapes(graph, ONTOLOGY / "shapes.ttl")
    return [] if result.conforms else result.violations


def mutated(compiled, *triples):
    g, _mint = compiled
    copy = type(g)()
    for t in g:
        copy.add(t)
    for t in triples:
        copy.add(t)
    return copy


def test_shacl_accepts_the_seed_graph(compiled):
    assert violations(compiled[0]) == []


@pytest.mark.parametrize("case,expect", [
    ("reference typed as a world event", "sh:not|NotConstraint|not"),
    ("unsourced register direction", "only with a source"),
    ("direction without participation", "backed by a participation"),
    ("cause on a non-causal claim", "cause and effect belong to causal claims"),
    ("stance target not among stances", "must be one of its stance takings"),
    ("contested without note", "needs a note"),
])
def test_shacl_refuses_each_broken_rule(compiled, case, expect):
    _g, m = compiled
    ref = URIRef(m.event(SLUG, "e-strategic-humiliations"))
    pol = URIRef(m.policy_use(SLUG, "p-hybrid-warfare"))
    claim = URIRef(m.claim(SLUG, "c24"))
    triples = {
        "reference typed as a world event": [(ref, RDF.type, CG.Event)],
        "unsourced register direction": [(URIRef(m.entity("containment-of-russia")), CG.appliedBy,
                                          URIRef(m.entity("united-states")))],
        "direction without participation": [(pol, CG.appliedBy, URIRef(m.entity("united-states")))],
        "cause on a non-causal claim": [(claim, CG.cause, URIRef(m.entity("russia")))],
        "stance target not among stances": [(URIRef(m.claim(SLUG, "c1")), CG.stanceToward, URIRef(m.entity("china")))],
        "contested without note": [(claim, CG.contestedPremise, Literal(True))],
    }[case]
    found = violations(mutated(compiled, *triples))
    assert found, case
    assert any(re.search(expect, v) for v in found), found
