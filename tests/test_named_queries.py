"""Named queries: queries/*.rq become typed REST endpoints whose answers match the curated reading.

Every expected answer is computed here from data/ (reading.yaml, entities.yaml,
source-context.yaml) read with plain YAML, never typed in, and compared with
what a real server answers over HTTP.
"""

from __future__ import annotations

import collections
from pathlib import Path

import httpx
import pytest

from claimgraph.named import QueryFileError, load_queries, load_query
from claimgraph.namespaces import Minter
from conftest import directions

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
SLUG = "us-russia-reconfiguration"


def run(http: httpx.Client, name: str, **params) -> list[dict]:
    """All rows of a named query, following `next` cursors."""
    rows, url, query = [], f"/api/queries/{name}", {**params, "limit": 500}
    while True:
        r = http.get(url, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["ok"] is True and body["query"] == name
        rows += body["rows"]
        if not body["next"]:
            return rows
        query = {**query, "cursor": body["next"]}


def assert_error(r: httpx.Response, status: int, parameter: str | None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["error"]["status"] == status and body["error"]["message"]
    assert body["error"].get("parameter") == parameter
    assert "Traceback" not in r.text
    return body["error"]


def cid(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def claims(reading) -> dict[str, dict]:
    return {c["id"]: c for c in reading["claims"]}


@pytest.fixture(scope="module")
def author_label(reading) -> str:
    return f"the author of “{reading['article']['title']}” (not named in the text)"


def claimant_label(c: dict, register: dict, author_label: str) -> str:
    return author_label if c["claimant"] == "author" else register[c["claimant"]]["label"]


def mentions(reading) -> list[tuple[int, dict, dict]]:
    return [(n, s, m) for n, s in enumerate(reading["sentences"], 1) for m in s.get("mentions", [])]


# -- the files themselves ------------------------------------------------------------------


def test_every_query_file_loads_with_a_documented_typed_header(built_settings):
    queries = load_queries(QUERIES, Minter(built_settings.base_iri))
    assert len(queries) >= 12
    assert set(queries) == {p.stem for p in QUERIES.glob("*.rq")}
    for q in queries.values():
        assert q.title and len(q.description) > 40, q.name
        assert q.tags, q.name
        assert 0 < q.limit <= 10000, q.name
        for p in q.params:
            assert p.description, (q.name, p.name)
            assert f"?{p.name}" in q.sparql and p.name in q.columns, (q.name, p.name)
        assert all(p.name in q.example for p in q.params if p.required), q.name


@pytest.mark.parametrize("header, body, words", [
    ("#+ title: t\n#+ description: d\n", "SELECT ?s WHERE { ?s ?p ?o }", "LIMIT"),
    ("#+ title: t\n#+ description: d\n#+ params:\n#+   x: {type: string}\n",
     "SELECT ?s WHERE { ?s ?p ?x } LIMIT 5", "SELECT clause"),
    ("#+ title: t\n#+ description: d\n#+ params:\n#+   x: {type: number}\n",
     "SELECT ?s ?x WHERE { ?s ?p ?x } LIMIT 5", "type must be one of"),
    ("#+ title: t\n#+ description: d\n#+ params:\n#+   limit: {type: integer}\n",
     "SELECT ?s ?limit WHERE { ?s ?p ?limit } LIMIT 5", "must match"),
    ("#+ title: t\n#+ description: d\n#+ params:\n#+   x: {type: entity, example: 'Not A Slug'}\n",
     "SELECT ?s ?x WHERE { ?s ?p ?x } LIMIT 5", "example"),
    ("#+ title: t\n", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 5", "title` and `description"),
    ("#+ title: t\n#+ description: d\n#+ summary: s\n", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 5", "unknown header"),
    ("#+ title: t\n#+ description: d\n", "SELECT ?s WHERE { ?s ?p . } LIMIT 5", "syntax"),
    ("#+ title: t\n#+ description: d\n", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5", "SELECT"),
])
def test_a_bad_query_file_is_refused_with_its_name_and_reason(tmp_path, header, body, words):
    path = tmp_path / "bad-query.rq"
    path.write_text(header + body, encoding="utf-8")
    with pytest.raises(QueryFileError) as info:
        load_query(path, Minter("http://example.org/id/"))
    assert "bad-query.rq" in str(info.value) and words in str(info.value)


# -- each query against the built graph ----------------------------------------------------------


def test_claims_about_a_topic_with_stance(http, claims, register, author_label):
    topic = "us-sanctions-against-russia"
    expected = {i for i, c in claims.items() if topic in c["about"] or topic in c.get("topics", [])}
    rows = run(http, "claims-about", topic=topic)
    assert expected and {cid(r["claim"]) for r in rows} == expected
    for r in rows:
        c = claims[cid(r["claim"])]
        assert r["stanceLabel"] == c["stance"] and r["kind"] == c["kind"]
        assert r["quote"] == c["quote"]
        assert r["claimantLabel"] == claimant_label(c, register, author_label)
        assert r["stanceTowardLabel"] == register[c.get("stanceToward") or c["about"][0]]["label"]
    critical = run(http, "claims-about", topic=topic, stance="critical")
    assert {cid(r["claim"]) for r in critical} == {i for i in expected if claims[i]["stance"] == "critical"}
    topic_only = "economic-rapprochement"  # reached through cg:topic only
    assert {cid(r["claim"]) for r in run(http, "claims-about", topic=topic_only)} == \
        {i for i, c in claims.items() if topic_only in c["about"] or topic_only in c.get("topics", [])}


def test_own_voice_and_reported_claims(http, claims, register):
    reported = run(http, "claims-by-voice", attribution="reported")
    assert {cid(r["claim"]) for r in reported} == {i for i, c in claims.items() if c["attribution"] == "reported"}
    for r in reported:
        assert r["claimantLabel"] == register[claims[cid(r["claim"])]["claimant"]]["label"]
    both = run(http, "claims-by-voice")
    assert len(both) == len(claims)
    labels = [r["attributionLabel"] for r in both]
    assert labels == sorted(labels, key=lambda x: x != "own voice")  # own-voice claims first


def test_claimants_count_their_claims(http, claims, register, author_label):
    expected = collections.Counter(claimant_label(c, register, author_label) for c in claims.values())
    rows = run(http, "claimants")
    assert {r["claimantLabel"]: r["claims"] for r in rows} == dict(expected)
    for r in rows:
        mine = [c for c in claims.values() if claimant_label(c, register, author_label) == r["claimantLabel"]]
        assert r["ownVoice"] == sum(c["attribution"] == "own-voice" for c in mine)
        assert r["reportedClaims"] == sum(c["attribution"] == "reported" for c in mine)
        assert r["hedged"] == sum(bool(c["hedges"]) for c in mine)


def test_mentions_of_a_state_with_sentences_and_roles(http, reading, register):
    rows = run(http, "state-mentions", state="russia")
    expected = collections.Counter((n, m["text"], m["role"]) for n, _s, m in mentions(reading) if m["entity"] == "russia")
    got = collections.Counter((r["position"], r["words"], r["roleLabel"]) for r in rows)
    assert got == expected
    assert {r["wikidata"] for r in rows} == {f"http://www.wikidata.org/entity/{register['russia']['wikidata']}"}
    for r in rows:
        assert r["words"] in r["sentenceText"]
        assert r["sentenceText"] == reading["sentences"][r["position"] - 1]["text"]
    targets = run(http, "state-mentions", state="russia", role="target")
    assert len(targets) == expected_total(expected, role="target") and targets


def expected_total(counter: collections.Counter, role: str) -> int:
    return sum(n for (_p, _w, r), n in counter.items() if r == role)


def test_states_mentioned_by_role(http, reading, register):
    states = {k for k, e in register.items() if e["type"] == "State"}
    expected = collections.Counter((register[m["entity"]]["label"], m["role"])
                                   for _n, _s, m in mentions(reading) if m["entity"] in states)
    rows = run(http, "states-mentioned")
    assert {(r["stateLabel"], r["roleLabel"]): r["mentions"] for r in rows} == dict(expected)


def _start(e: dict) -> str:
    # Time order: the earliest known time or, lacking a start, the known end; undated events last.
    when = e.get("when") or {}
    return (when.get("start") or when.get("end") or "9999").zfill(4)


def test_events_in_time_order(http, reading):
    events = reading["events"]
    order = sorted(events, key=lambda e: (_start(e), e.get("order", 0), events.index(e)))
    rows = run(http, "events-timeline", article=SLUG)
    assert [r["label"] for r in rows] == [e["label"] for e in order]
    assert [r["position"] for r in rows] == list(range(1, len(order) + 1))
    for r, e in zip(rows, order):
        when = e.get("when") or {}
        assert r["earliest"] == when.get("start") and r["latest"] == when.get("end")
        assert r["precisionLabel"] == when.get("precision")
    since = run(http, "events-timeline", **{"from": "2010"})
    assert {r["label"] for r in since} == {e["label"] for e in events
                                           if ((e["when"].get("end") or e["when"].get("start")) >= "2010")}
    until = run(http, "events-timeline", to="1995")
    assert {r["label"] for r in until} == {e["label"] for e in events
                                           if ((e["when"].get("start") or e["when"].get("end")) <= "1995")}


def test_policies_by_applier_and_target(http, reading, register):
    rows = run(http, "policies-by-party", applied_by="united-states", applied_to="russia")
    by, to = directions(reading)
    expected = {e["label"] for k, e in register.items() if e["type"] == "Policy"
                and "united-states" in by.get(k, ()) and "russia" in to.get(k, ())}
    assert {r["label"] for r in rows} == expected and expected
    uses = collections.Counter(p["entity"] for p in reading["policies"])
    by_label = {e["label"]: k for k, e in register.items()}
    for r in rows:
        assert r["references"] == uses[by_label[r["label"]]]
        assert "United States" in r["appliers"] and "Russia" in r["targets"]
    everything = run(http, "policies-by-party")
    assert len(everything) == sum(e["type"] == "Policy" for e in register.values())


def test_the_exact_words_behind_a_claim(http, claims, article_text):
    (row,) = run(http, "claim-evidence", claim=f"{SLUG}/c8")
    c = claims["c8"]
    assert row["quote"] == c["quote"] == article_text[row["begin"]:row["end"]]
    assert article_text[row["sentenceBegin"]:row["sentenceEnd"]] == row["sentenceText"]
    assert row["sentenceBegin"] <= row["begin"] < row["end"] <= row["sentenceEnd"]
    assert [row["hedge"]] == c["hedges"] and row["hedge"] == article_text[row["hedgeBegin"]:row["hedgeEnd"]]
    assert row["paraphrase"] == c["paraphrase"]
    by_iri = run(http, "claim-evidence", claim=row["claim"])  # the IRI works as well as the short form
    assert by_iri == [row]


def test_entities_with_their_external_links(http, register):
    rows = run(http, "entity-links", type="State")
    states = {k: e for k, e in register.items() if e["type"] == "State"}
    assert {r["label"] for r in rows} == {e["label"] for e in states.values()}
    for r in rows:
        e = next(e for e in states.values() if e["label"] == r["label"])
        assert r["wikidata"] == (f"http://www.wikidata.org/entity/{e['wikidata']}" if e.get("wikidata") else None)
        same = set((r["sameAs"] or "").split())
        if e.get("wikidata"):
            assert f"http://www.wikidata.org/entity/{e['wikidata']}" in same
        if e.get("links", {}).get("geonames"):
            assert f"https://sws.geonames.org/{e['links']['geonames']}/" in same
        assert r["iso3166"] == e.get("links", {}).get("iso3166")
    assert len(run(http, "entity-links")) == len(register)


def test_hedged_claims_and_their_hedges(http, claims):
    rows = run(http, "hedged-claims")
    assert {(cid(r["claim"]), r["hedge"]) for r in rows} == {(i, h) for i, c in claims.items() for h in c["hedges"]}


def test_stance_summary_per_target(http, claims, register):
    rows = run(http, "stance-toward", kind="evaluative")
    evaluative = [c for c in claims.values() if c["kind"] == "evaluative"]
    expected = collections.defaultdict(collections.Counter)
    for c in evaluative:
        for st in c["stances"]:  # every target of every claim
            expected[register[st["toward"]]["label"]][st["stance"]] += 1
    got = {r["targetLabel"]: {s: r[s] for s in ("favourable", "critical", "neutral", "mixed") if r[s]} for r in rows}
    assert got == {k: dict(v) for k, v in expected.items()}
    # A claim counts once per target it takes a stance toward.
    assert sum(r["claims"] for r in run(http, "stance-toward")) == sum(len(c["stances"]) for c in claims.values())
    reported = run(http, "stance-toward", attribution="reported")
    assert sum(r["claims"] for r in reported) == sum(len(c["stances"]) for c in claims.values()
                                                     if c["attribution"] == "reported")


def test_publisher_and_what_sources_say_about_it(http, reading, register, facts):
    rows = run(http, "publisher-context", article=SLUG)
    publisher = reading["article"]["publisher"]
    assert {r["publisherLabel"] for r in rows} == {register[publisher]["label"]}
    about = [f for f in facts if f["subject"] == publisher]
    assert {r["says"] for r in rows} == {f["statement"] for f in about}
    assert {r["source"] for r in rows} == {f["source"] for f in about}


def test_claims_of_a_kind_hedged_or_not(http, claims):
    rows = run(http, "claims-by-kind", kind="predictive")
    assert {cid(r["claim"]) for r in rows} == {i for i, c in claims.items() if c["kind"] == "predictive"}
    plain = run(http, "claims-by-kind", kind="evaluative", hedged="false")
    assert {cid(r["claim"]) for r in plain} == {i for i, c in claims.items()
                                                if c["kind"] == "evaluative" and not c["hedges"]}


def test_claims_containing_words(http, claims):
    rows = run(http, "claims-containing", text="Sanctions")
    assert {cid(r["claim"]) for r in rows} == {i for i, c in claims.items()
                                               if "sanctions" in (c["quote"] + " " + c.get("paraphrase", "")).lower()}


def test_what_is_mentioned_together_with_an_entity(http, reading):
    rows = run(http, "co-mentioned", entity="china")
    shared = collections.defaultdict(set)
    for n, s, _m in mentions(reading):
        ids = {m["entity"] for m in s.get("mentions", [])}
        if "china" in ids:
            for other in ids - {"china"}:
                shared[other].add(n)
    assert {r["other"].rsplit("/", 1)[-1]: r["sentences"] for r in rows} == {k: len(v) for k, v in shared.items()}


def test_concepts_under_a_broader_concept(http, register, claims):
    rows = run(http, "concept-hierarchy", broader="international-order")
    under = {k for k, e in register.items() if "international-order" in e.get("broader", [])}
    assert {r["concept"].rsplit("/", 1)[-1] for r in rows} == under and under
    for r in rows:
        key = r["concept"].rsplit("/", 1)[-1]
        assert r["claims"] == sum(key in c["about"] or key in c.get("topics", []) for c in claims.values())


def test_one_sentence_its_mentions_and_claims(http, reading, claims):
    rows = run(http, "sentence-mentions", article=SLUG, position=4)
    s4 = reading["sentences"][3]
    assert {r["sentenceText"] for r in rows} == {s4["text"]}
    assert sorted(r["words"] for r in rows if r["what"] == "mention") == sorted(m["text"] for m in s4["mentions"])
    assert {cid(r["item"]) for r in rows if r["what"] == "claim"} == \
        {i for i, c in claims.items() if c["sentence"] == s4["id"]}


# -- the envelope, paging, CSV, errors ------------------------------------------------------------------


def test_pages_walk_the_whole_answer_without_repeats(http, claims):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = http.get("/api/queries/claims-by-voice", params=params).json()
        assert body["count"] == len(body["rows"]) <= 10
        seen += [r["claim"] for r in body["rows"]]
        pages += 1
        cursor = body["next"]
        if not cursor:
            break
        assert body["next_url"].endswith(cursor)
    assert len(seen) == len(set(seen)) == len(claims) and pages == -(-len(claims) // 10)
    other = http.get("/api/queries/claims-by-voice", params={"limit": 5}).json()["next"]
    r = http.get("/api/queries/claims-by-voice", params={"attribution": "reported", "cursor": other})
    assert_error(r, 400, "cursor")  # a cursor issued for other bindings is refused


def test_csv_answers_carry_the_query_columns(http, built_settings):
    q = load_queries(QUERIES, Minter(built_settings.base_iri))["hedged-claims"]
    r = http.get("/api/queries/hedged-claims", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].split(",") == list(q.columns)
    assert len(lines) - 1 == len(run(http, "hedged-claims"))
    assert http.get("/api/queries/hedged-claims", headers={"Accept": "text/csv"}).text == r.text


@pytest.mark.parametrize("params, status, parameter", [
    ({}, 422, "topic"),
    ({"topic": "no-such-entity"}, 404, "topic"),
    ({"topic": "Russia"}, 422, "topic"),
    ({"topic": "russia", "stance": "hostile"}, 422, "stance"),
    ({"topic": "russia", "stanse": "critical"}, 400, "stanse"),
    ({"topic": "russia", "limit": "0"}, 422, "limit"),
    ({"topic": "russia", "format": "xml"}, 422, "format"),
    ({"topic": "russia", "cursor": "not-a-cursor"}, 400, "cursor"),
])
def test_bad_parameters_get_the_uniform_error(http, params, status, parameter):
    assert_error(http.get("/api/queries/claims-about", params=params), status, parameter)


def test_integer_and_claim_parameters_are_checked(http):
    assert_error(http.get("/api/queries/sentence-mentions", params={"article": SLUG, "position": "four"}), 422,
                 "position")
    assert_error(http.get("/api/queries/sentence-mentions", params={"article": SLUG, "position": "0"}), 422,
                 "position")
    assert_error(http.get("/api/queries/claim-evidence", params={"claim": "c8"}), 422, "claim")
    assert_error(http.get("/api/queries/claim-evidence", params={"claim": f"{SLUG}/c999"}), 404, "claim")
    assert_error(http.get("/api/queries/no-such-query"), 404, None)


# -- discovery: the listing, the SPARQL UI example, OpenAPI --------------------------------------------


def test_listing_describes_every_query_and_its_example_runs(http):
    listing = http.get("/api/queries").json()
    names = {p.stem for p in QUERIES.glob("*.rq")}
    assert {q["name"] for q in listing["rows"]} == names
    for q in listing["rows"]:
        assert http.get(q["sparql_url"]).text == (QUERIES / f"{q['name']}.rq").read_text(encoding="utf-8")
        r = http.get(q["example_url"])
        assert r.status_code == 200, (q["name"], r.text)
        assert r.json()["bindings"].keys() == {k for k, v in q["example"].items() if v is not None}


def test_the_example_sparql_gives_the_same_answer_on_the_sparql_endpoint(http):
    """The SPARQL the UI shows (example values written in) answers exactly what the REST endpoint does."""
    for q in http.get("/api/queries").json()["rows"]:
        rest = run(http, q["name"], **q["example"])
        r = http.post("/sparql", data={"query": q["example_sparql"]},
                      headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, (q["name"], r.text)
        bindings = r.json()["results"]["bindings"]

        def norm(row: dict) -> tuple:
            return tuple(sorted((k, str(v).lower() if isinstance(v, bool) else str(v))
                                for k, v in row.items() if v is not None))

        sparql_rows = [{k: v["value"] for k, v in b.items()} for b in bindings]
        assert collections.Counter(map(norm, sparql_rows)) == collections.Counter(map(norm, rest)), q["name"]


def test_openapi_lists_every_named_query_with_typed_parameters(http, built_settings):
    from openapi_spec_validator import validate

    doc = http.get("/openapi.json").json()
    validate(doc)
    queries = load_queries(QUERIES, Minter(built_settings.base_iri))
    for q in queries.values():
        op = doc["paths"][f"/api/queries/{q.name}"]["get"]
        assert op["summary"] == q.title
        params = {p["name"]: p for p in op["parameters"]}
        assert {"limit", "cursor", "format"} <= set(params)
        for p in q.params:
            doc_p = params[p.name]
            assert doc_p["required"] is p.required
            schema = doc_p["schema"]
            options = schema.get("anyOf", [schema])
            typed = next(o for o in options if o.get("type") != "null")
            if p.type == "enum":
                assert typed["enum"] == list(p.values)
            elif p.type == "integer":
                assert typed["type"] == "integer" and typed.get("minimum") == p.minimum
            elif p.type == "boolean":
                assert typed["type"] == "boolean"
            elif p.type in ("entity", "article", "date"):
                assert typed["type"] == "string" and typed["pattern"] == p.schema()["pattern"]
            else:
                assert typed["type"] == "string" and typed["maxLength"] == p.max_length


def test_the_queries_page_shows_each_query_with_a_runnable_example(http):
    page = http.get("/queries")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    listing = http.get("/api/queries").json()["rows"]
    for q in listing:
        assert f'id="{q["name"]}"' in page.text and q["title"].replace('"', "&#34;") in page.text.replace("&quot;", "&#34;")
        assert f'href="{q["example_url"].replace("&", "&amp;")}"' in page.text
    # Each example opens in the SPARQL editor; the SPARQL it shows runs as-is on /sparql.
    q = next(q for q in listing if q["name"] == "hedged-claims")
    r = http.get("/sparql", params={"query": q["example_sparql"], "format": "json"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == len(run(http, "hedged-claims"))
    for q in listing:
        assert f'href="/editor?named={q["name"]}"' in page.text
