"""Competency questions: what a reader of the article asks the graph, as SPARQL
against the built store, with the answers a careful reader expects.

Expected answers come from the article text and the curated YAML (read here
with plain PyYAML), never from the store's own output.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlparse

PREFIXES = """
PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX itsrdf: <http://www.w3.org/2005/11/its/rdf#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def ask(store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names if sol[n] is not None} for sol in result]


def sentence_of(article_text: str, words: str) -> str:
    """The line-level sentence unit of the text that contains `words` (found by hand)."""
    at = article_text.index(words)
    line_start = article_text.rfind("\n", 0, at) + 1
    # back to the previous sentence end on this line
    starts = [i + 2 for i in range(line_start, at) if article_text[i] in ".!?" and article_text[i + 1] == " "
              and not article_text[max(line_start, i - 3):i + 1].endswith("U.S.")]
    begin = max([line_start, *starts])
    end = at + len(words)
    while article_text[end - 1] not in ".!?":
        end += 1
    return article_text[begin:end]


# Q1 ------------------------------------------------------------------------------

def test_q1_which_claims_are_about_sanctions_and_with_what_stance(built_store, reading, register):
    rows = ask(built_store, """
        SELECT DISTINCT ?id ?quote ?stance ?toward WHERE {
          ?c a cg:Claim ; cg:quote/nif:anchorOf ?quote ; cg:stance/rdfs:label ?stance ;
             cg:stanceToward/rdfs:label ?toward .
          { ?c cg:about ?x } UNION { ?c cg:topic ?x }
          ?x rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), "sanction"))
          BIND(STRAFTER(STR(?c), "/claim/") AS ?id)
        }""")
    sanction_ids = {e["id"] for e in register.values() if "sanction" in e["label"].lower()}
    assert {r["id"] for r in rows} == {
        c["id"] for c in reading["claims"] if sanction_ids & set(c["about"] + c.get("topics", []))}
    # The claim that sanctions failed to alter Moscow's stance is critical of sanctions.
    [failed] = [r for r in rows if "failed to alter Moscow’s stance" in r["quote"]]
    assert failed["stance"] == "critical"
    assert "sanction" in failed["toward"].lower()
    # A careful reader finds no claim in favour of sanctions in this article.
    assert not [r for r in rows if "sanction" in r["toward"].lower() and r["stance"] == "favourable"]


# Q2 ------------------------------------------------------------------------------

def test_q2_how_many_claims_are_the_authors_own_and_how_many_reported(built_store, reading):
    rows = ask(built_store, """
        SELECT ?attribution (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?c a cg:Claim ; cg:attribution ?a . ?a rdfs:label ?attribution } GROUP BY ?attribution""")
    got = {r["attribution"]: int(r["n"]) for r in rows}
    want = Counter(c["attribution"] for c in reading["claims"])
    assert got == {"own voice": want["own-voice"], "reported": want["reported"]}
    assert got["own voice"] > got["reported"] > 0  # an opinion piece, mostly in its own voice


def test_q2b_whose_views_does_the_author_report(built_store, reading, register):
    rows = ask(built_store, """
        SELECT ?who (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?c cg:attribution cg:Reported ; cg:claimant/rdfs:label ?who } GROUP BY ?who""")
    want = Counter(register[c["claimant"]]["label"] for c in reading["claims"] if c["attribution"] == "reported")
    assert {r["who"]: int(r["n"]) for r in rows} == dict(want)
    assert "The National Interest" in want  # the outlet whose call the article discusses


# Q3 ------------------------------------------------------------------------------

def test_q3_which_states_are_mentioned_in_which_sentences_as_what(built_store, reading, register, article_text):
    rows = ask(built_store, """
        SELECT ?state ?pos ?sentence ?role ?words WHERE {
          ?m itsrdf:taIdentRef ?e ; nif:sentence ?s ; cg:mentionRole/rdfs:label ?role ; nif:anchorOf ?words .
          ?e a cg:State ; cg:registerId ?state .
          ?s cg:position ?pos ; nif:anchorOf ?sentence }""")
    got = {(r["state"], int(r["pos"]), r["role"], r["words"]) for r in rows}
    want = {(m["entity"], i, m.get("role", "other"), m["text"])
            for i, s in enumerate(reading["sentences"], 1) for m in (s.get("mentions") or [])
            if register[m["entity"]]["type"] == "State"}
    assert got == want
    ties = sentence_of(article_text, "deepened ties with powers such as China, India, and Iran.")
    assert ties.startswith("The Russian economy adapted")
    in_ties = {(r["state"], r["role"]) for r in rows if r["sentence"] == ties}
    assert {("china", "partner"), ("india", "partner"), ("iran", "partner")} <= in_ties
    # "Moscow" is read as Russia, not as a city.
    assert any(r["state"] == "russia" and r["words"] == "Moscow" for r in rows)


# Q4 ------------------------------------------------------------------------------

def test_q4_what_events_does_the_article_invoke_in_time_order(built_store, mint):
    rows = ask(built_store, """
        SELECT ?e ?pos ?label ?earliest ?latest ?anchor ?ref WHERE {
          ?a cg:invokes ?e . ?e a cg:EventReference ; cg:position ?pos ; rdfs:label ?label .
          OPTIONAL { ?e cg:earliest ?earliest } OPTIONAL { ?e cg:latest ?latest } OPTIONAL { ?e cg:anchor/nif:anchorOf ?anchor }
          OPTIONAL { ?e cg:refersTo ?ref }
        } ORDER BY ?pos""")
    assert [int(r["pos"]) for r in rows] == list(range(1, len(rows) + 1))

    def index(pred) -> int:
        [i] = [i for i, r in enumerate(rows) if pred(r)]
        return i

    soviet = index(lambda r: r.get("ref") == mint.entity("dissolution-of-the-soviet-union"))
    reset = index(lambda r: r.get("ref") == mint.entity("russian-reset"))
    tni = index(lambda r: "The National Interest published" in r.get("anchor", ""))
    assert soviet < reset < tni
    # Dated events come in order of their earliest time (their latest when the start is
    # unknown, as for "After years of …"); wholly undated ones after them.
    dated = [r.get("earliest") or r["latest"] for r in rows if "earliest" in r or "latest" in r]
    assert dated == sorted(dated)
    assert all("earliest" in r or "latest" in r for r in rows[: len(dated)])


# Q5 ------------------------------------------------------------------------------

def test_q5_what_are_the_exact_words_behind_a_claim(built_store, reading, article_text):
    rows = ask(built_store, """
        SELECT ?id ?words ?fromText ?sentence ?paraphrase WHERE {
          ?c a cg:Claim ; cg:quote ?q ; cg:inSentence/nif:anchorOf ?sentence ; cg:paraphrase ?paraphrase .
          ?q nif:anchorOf ?words ; nif:beginIndex ?b ; nif:endIndex ?e ; nif:referenceContext/nif:isString ?text .
          BIND(SUBSTR(?text, ?b + 1, ?e - ?b) AS ?fromText)
          BIND(STRAFTER(STR(?c), "/claim/") AS ?id) }""")
    by_id = {r["id"]: r for r in rows}
    for c in reading["claims"]:
        r = by_id[c["id"]]
        assert r["words"] == r["fromText"] == c["quote"]
        assert c["quote"] in r["sentence"] and r["sentence"] in article_text
    # Asked from the paraphrase side: the words behind "sanctions failed to change Russia's position".
    [hit] = [r for r in rows if "sanctions failed to change Russia's position" in r["paraphrase"]]
    assert hit["words"] == "sanctions not only failed to alter Moscow’s stance"
    assert hit["sentence"] == sentence_of(article_text, "failed to alter Moscow’s stance")


# Q6 ------------------------------------------------------------------------------

def test_q6_who_published_this_and_what_do_external_sources_say(built_store, reading, register, facts):
    rows = ask(built_store, """
        SELECT ?publisher ?fact ?statement ?by ?kind ?source WHERE {
          ?a a cg:Article ; schema:publisher ?p . ?p rdfs:label ?publisher .
          ?fact cg:statementAbout ?p ; rdfs:label ?statement ; cg:statedBy ?by ; cg:statementKind ?kind ;
                dcterms:source ?source }""")
    publisher = reading["article"]["publisher"]
    assert {r["publisher"] for r in rows} == {register[publisher]["label"]}
    assert {r["statement"] for r in rows} == {f["statement"] for f in facts if f["subject"] == publisher}
    ofac = [r for r in rows if "OFAC" in r["by"] and r["kind"] == "sanctions-designation"]
    assert len(ofac) == 1
    host = urlparse(ofac[0]["source"]).hostname
    assert host == "treasury.gov" or host.endswith(".treasury.gov")
    assert "designated" in ofac[0]["statement"]
    # Every external statement names its source document.
    assert all(urlparse(r["source"]).scheme in ("http", "https") for r in rows)


# Q7 ------------------------------------------------------------------------------

def test_q7_what_is_the_wikidata_item_of_each_state(built_store, register):
    rows = ask(built_store, """SELECT ?label ?wd WHERE { ?s a cg:State ; rdfs:label ?label ; cg:wikidata ?wd }""")
    want = {e["label"]: f"http://www.wikidata.org/entity/{e['wikidata']}" for e in register.values() if e["type"] == "State"}
    assert {r["label"]: r["wd"] for r in rows} == want
    assert want["Russia"].endswith("/Q159")


# Q8 ------------------------------------------------------------------------------

def test_q8_which_claims_are_hedged_and_by_what_words(built_store, reading, article_text):
    rows = ask(built_store, """
        SELECT ?id ?cue ?sentence WHERE {
          ?c cg:hedged true ; cg:hedgeCue/nif:anchorOf ?cue ; cg:inSentence/nif:anchorOf ?sentence .
          BIND(STRAFTER(STR(?c), "/claim/") AS ?id) }""")
    assert {(r["id"], r["cue"]) for r in rows} == {(c["id"], h) for c in reading["claims"] for h in c["hedges"]}
    assert all(r["cue"] in r["sentence"] for r in rows)
    # "seem to finally acknowledge the obvious" is hedged by "seem to".
    assert any(r["cue"] == "seem to" and "finally acknowledge" in r["sentence"] for r in rows)
    unhedged = ask(built_store, "SELECT (COUNT(*) AS ?n) WHERE { ?c a cg:Claim ; cg:hedged false }")
    assert int(unhedged[0]["n"]) == sum(1 for c in reading["claims"] if not c["hedges"])


# Q9 ------------------------------------------------------------------------------

def test_q9_which_policies_does_the_article_invoke_and_who_applies_them_to_whom(built_store, reading, register):
    # Who applies a policy to whom is the article's framing, per reference, never a register fact here.
    rows = ask(built_store, """
        SELECT DISTINCT ?ref ?id ?by ?to WHERE {
          ?a cg:invokes ?r . ?r a cg:PolicyReference ; cg:refersTo ?p . ?p cg:registerId ?id .
          BIND(STRAFTER(STR(?r), "/policy/") AS ?ref)
          OPTIONAL { ?r cg:appliedBy/cg:registerId ?by } OPTIONAL { ?r cg:appliedTo/cg:registerId ?to } }""")
    invoked = {p["entity"] for p in reading["policies"]}
    assert {r["id"] for r in rows} == invoked
    for p in reading["policies"]:
        parts = p.get("participants", [])
        assert {r["by"] for r in rows if r["ref"] == p["id"] and "by" in r} == \
            {x["entity"] for x in parts if x["role"] == "actor"}
        assert {r["to"] for r in rows if r["ref"] == p["id"] and "to" in r} == \
            {x["entity"] for x in parts if x["role"] == "target"}
    assert {"ref": "p-sanctions-s18", "by": "united-states", "to": "russia", "id": "us-sanctions-against-russia"} in rows
    assert not any(r for r in rows if r["id"] == "containment-of-russia" and "by" in r)


# Q10 -----------------------------------------------------------------------------

def test_q10_what_does_the_author_claim_about_russia_and_how(built_store, reading):
    rows = ask(built_store, """
        SELECT ?id ?stance WHERE {
          ?russia cg:registerId "russia" .
          ?c cg:attribution cg:OwnVoice ; cg:about ?russia ; cg:stance/rdfs:label ?stance .
          BIND(STRAFTER(STR(?c), "/claim/") AS ?id) }""")
    want = {(c["id"], c["stance"]) for c in reading["claims"]
            if c["attribution"] == "own-voice" and "russia" in c["about"]}
    assert {(r["id"], r["stance"]) for r in rows} == want
    # The author is never critical of Russia itself.
    assert not ask(built_store, """
        SELECT ?c WHERE { ?r cg:registerId "russia" . ?c cg:attribution cg:OwnVoice ; cg:stanceToward ?r ; cg:stance cg:Critical }""")
