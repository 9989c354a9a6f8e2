"""REST lookups under /api/ over a real server: every route, every filter, every format.

Expected answers come from data/ read with plain YAML (the `reading`, `register`
and `facts` fixtures), so the tests follow the curated data, not the code.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import io
import json

import httpx
import pytest
import rdflib

from conftest import directions
from support.liveserver import start_server

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SLUG = "us-russia-reconfiguration"
CG = rdflib.Namespace("https://w3id.org/claimgraph/ontology#")
NIF = rdflib.Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")


def walk(http: httpx.Client, url: str, **params) -> list[dict]:
    """Every row of a list, following the opaque `next` cursor page by page."""
    rows, query, seen_cursors = [], dict(params), set()
    while True:
        r = http.get(url, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["ok"] is True and body["count"] == len(body["rows"]) <= body["limit"]
        rows += body["rows"]
        if body["next"] is None:
            assert body["next_url"] is None
            return rows
        assert body["count"] == body["limit"] and body["next"] not in seen_cursors
        seen_cursors.add(body["next"])
        query = {**query, "cursor": body["next"]}


def item(http: httpx.Client, url: str, **params) -> dict:
    r = http.get(url, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True
    return body["item"]


def assert_error(r: httpx.Response, status: int, parameter: str | None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["ok"] is False and body["error"]["status"] == status and body["error"]["message"]
    assert body["error"].get("parameter") == parameter, body
    assert "Traceback" not in r.text
    return body["error"]


def short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def claims(reading) -> dict[str, dict]:
    return {c["id"]: c for c in reading["claims"]}


# -- entities ------------------------------------------------------------------------------


def test_entities_list_every_register_entry_in_label_order(http, register):
    rows = walk(http, "/api/entities", limit=7)
    assert [r["registerId"] for r in rows] == sorted(register, key=lambda k: (register[k]["label"].lower(), k))
    for r in rows:
        e = register[r["registerId"]]
        assert r["label"] == e["label"] and r["entityType"] == e["type"]
        assert r.get("aliases", []) == sorted(set(e.get("aliases", [])))
        assert r.get("wikidata") == (f"http://www.wikidata.org/entity/{e['wikidata']}" if e.get("wikidata") else None)
        assert r["href"] == f"/api/entities/{r['registerId']}"


@pytest.mark.parametrize("etype", ["State", "Policy", "Concept", "MediaOutlet"])
def test_entities_filter_by_type(http, register, etype):
    rows = walk(http, "/api/entities", type=etype)
    assert {r["registerId"] for r in rows} == {k for k, e in register.items() if e["type"] == etype}


def test_one_entity_with_mentions_claims_and_links(http, reading, register, claims):
    e = item(http, "/api/entities/russia")
    assert e["label"] == "Russia" and e["wikidata"].endswith(register["russia"]["wikidata"])
    assert f"https://sws.geonames.org/{register['russia']['links']['geonames']}/" in e["sameAs"]
    expected = collections.Counter((n, m["text"], m["role"]) for n, s in enumerate(reading["sentences"], 1)
                                   for m in s.get("mentions", []) if m["entity"] == "russia")
    got = collections.Counter((m["sentence"]["position"], m["text"], m["role"]) for m in e["mentionedAs"])
    assert got == expected
    assert {short(c["id"]) for c in e["claimsAbout"]} == {i for i, c in claims.items() if "russia" in c["about"]}
    for c in e["claimsAbout"]:
        assert c["stance"] == claims[short(c["id"])]["stance"]
        assert c["quote"]["text"] == claims[short(c["id"])]["quote"]
    assert e["truncated"] == {"mentionedAs": False, "claimsAbout": False}


def test_a_policy_entity_shows_who_applies_it_and_where_it_is_invoked(http, reading, register):
    e = item(http, "/api/entities/us-sanctions-against-russia")
    # Who applies it to whom is each article's framing, not a register fact: no unsourced direction.
    assert "appliedBy" not in e and "appliedTo" not in e
    expected = {p["mention"] for p in reading["policies"] if p["entity"] == "us-sanctions-against-russia"}
    assert {r["anchor"]["text"] for r in e["references"]} == expected


def test_a_publisher_shows_what_named_sources_say(http, facts):
    e = item(http, "/api/entities/strategic-culture-foundation")
    about = [f for f in facts if f["subject"] == "strategic-culture-foundation"]
    assert {s["label"] for s in e["statements"]} == {f["statement"] for f in about}
    assert {s["source"] for s in e["statements"]} == {f["source"] for f in about}


def test_unknown_or_malformed_entity_ids(http):
    err = assert_error(http.get("/api/entities/atlantis"), 404, "entity_id")
    assert "atlantis" in err["message"]
    assert_error(http.get("/api/entities/Not%20An%20Id"), 422, "entity_id")
    assert_error(http.get("/api/entities", params={"type": "Planet"}), 422, "type")


# -- claims ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params, keep", [
    ({}, lambda c: True),
    ({"claimant": "the-national-interest"}, lambda c: c["claimant"] == "the-national-interest"),
    ({"subject": "russia"}, lambda c: "russia" in c["about"]),
    ({"topic": "economic-rapprochement"}, lambda c: "economic-rapprochement" in c.get("topics", [])),
    ({"kind": "causal"}, lambda c: c["kind"] == "causal"),
    ({"stance": "critical"}, lambda c: c["stance"] == "critical"),
    ({"hedged": "true"}, lambda c: bool(c["hedges"])),
    ({"hedged": "false"}, lambda c: not c["hedges"]),
    ({"attribution": "reported"}, lambda c: c["attribution"] == "reported"),
    ({"attribution": "own-voice", "stance": "favourable", "subject": "multipolarity"},
     lambda c: c["attribution"] == "own-voice" and c["stance"] == "favourable" and "multipolarity" in c["about"]),
    ({"article": SLUG, "kind": "predictive"}, lambda c: c["kind"] == "predictive"),
])
def test_claims_filters(http, claims, params, keep):
    rows = walk(http, "/api/claims", limit=20, **params)
    expected = {i for i, c in claims.items() if keep(c)}
    assert {short(r["id"]) for r in rows} == expected and len(rows) == len(expected)


def test_every_combination_of_claim_filters_is_their_intersection(http, claims):
    """The page query is assembled per combination of filters: all 256 must answer, and answer right."""
    import itertools

    filters = {
        "claimant": ("the-national-interest", lambda c: c["claimant"] == "the-national-interest"),
        "subject": ("united-states", lambda c: "united-states" in c["about"]),
        "topic": ("us-russia-reconciliation", lambda c: "us-russia-reconciliation" in c.get("topics", [])),
        "article": (SLUG, lambda c: True),
        "kind": ("normative", lambda c: c["kind"] == "normative"),
        "stance": ("favourable", lambda c: c["stance"] == "favourable"),
        "attribution": ("reported", lambda c: c["attribution"] == "reported"),
        "hedged": ("false", lambda c: not c["hedges"]),
    }
    nonempty = 0
    for n in range(len(filters) + 1):
        for combo in itertools.combinations(filters, n):
            r = http.get("/api/claims", params={**{k: filters[k][0] for k in combo}, "limit": 500})
            assert r.status_code == 200, (combo, r.text)
            expected = {i for i, c in claims.items() if all(filters[k][1](c) for k in combo)}
            assert {short(row["id"]) for row in r.json()["rows"]} == expected, combo
            nonempty += bool(expected)
    assert nonempty > 50  # the combinations are not trivially empty


def test_claims_come_in_text_order_with_their_reading(http, claims, register, article_text):
    rows = walk(http, "/api/claims", limit=9)
    begins = [r["quote"]["begin"] for r in rows]
    assert begins == sorted(begins) and len(rows) == len(claims)
    for r in rows:
        c = claims[short(r["id"])]
        assert article_text[r["quote"]["begin"]:r["quote"]["end"]] == r["quote"]["text"] == c["quote"]
        assert (r["kind"], r["stance"], r["attribution"]) == (c["kind"], c["stance"], c["attribution"])
        assert {short(a["id"]) for a in r["about"]} == set(c["about"])
        assert {short(a["id"]) for a in r.get("topics", [])} == set(c.get("topics", []))
        assert short(r["stanceToward"]["id"]) == (c.get("stanceToward") or c["about"][0])
        assert r["hedged"] is bool(c["hedges"]) and [h["text"] for h in r.get("hedges", [])] == c["hedges"]
        assert [(s["toward"]["id"].rsplit("/", 1)[-1], s["stanceValue"]) for s in r["stances"]] == \
            [(s["toward"], s["stance"]) for s in c["stances"]]
        assert short(r["sentence"]["id"]) == c["sentence"]
        if c["claimant"] != "author":
            assert r["claimant"]["label"] == register[c["claimant"]]["label"]


def test_one_claim_with_its_quote_located_in_its_sentence(http, claims):
    c = item(http, f"/api/claims/{SLUG}/c8")
    s = c["sentence"]
    q, h = c["quoteInSentence"], c["hedgeInSentence"]
    assert s["text"][q["begin"]:q["end"]] == claims["c8"]["quote"]
    assert [s["text"][h["begin"]:h["end"]]] == claims["c8"]["hedges"]
    assert c["paraphrase"] == claims["c8"]["paraphrase"]
    assert_error(http.get(f"/api/claims/{SLUG}/c999"), 404, "claim")
    assert_error(http.get(f"/api/claims/no-such-article/c1"), 404, "claim")
    assert_error(http.get(f"/api/claims/{SLUG}/c%201"), 422, "claim")


def test_claim_filters_name_unknown_entities(http):
    err = assert_error(http.get("/api/claims", params={"subject": "atlantis"}), 404, "subject")
    assert "atlantis" in err["message"]
    assert_error(http.get("/api/claims", params={"stance": "angry"}), 422, "stance")
    assert_error(http.get("/api/claims", params={"hedged": "perhaps"}), 422, "hedged")
    assert_error(http.get("/api/claims", params={"claimnt": "russia"}), 400, "claimnt")


# -- paging -------------------------------------------------------------------------------------


def test_cursor_paging_is_complete_stable_and_bound_to_its_filters(http, claims):
    one_by_one = walk(http, "/api/claims", limit=1)
    big = walk(http, "/api/claims", limit=500)
    assert [r["id"] for r in one_by_one] == [r["id"] for r in big] and len(big) == len(claims)
    first = http.get("/api/claims", params={"limit": 3}).json()
    assert first["next_url"].startswith("/api/claims?") and "cursor=" in first["next_url"]
    assert http.get(first["next_url"]).json()["rows"][0]["id"] == big[3]["id"]
    assert_error(http.get("/api/claims", params={"stance": "critical", "cursor": first["next"]}), 400, "cursor")
    assert_error(http.get("/api/claims", params={"cursor": "garbage!"}), 400, "cursor")
    assert_error(http.get("/api/claims", params={"limit": 0}), 422, "limit")
    capped = http.get("/api/claims", params={"limit": 100000}).json()
    assert capped["limit"] == 500 and capped["count"] == len(claims)


# -- events and policies ----------------------------------------------------------------------------


def _when(e: dict) -> str:
    w = e.get("when") or {}
    return w.get("start") or w.get("end") or "9999"


def test_events_in_time_order_with_their_dates(http, reading):
    rows = walk(http, "/api/events", limit=4)
    events = {e["label"]: e for e in reading["events"]}
    assert [r["label"] for r in rows] == [e["label"] for e in sorted(
        reading["events"], key=lambda e: (_when(e).zfill(4), e.get("order", 0)))]
    for r in rows:
        w = events[r["label"]]["when"]
        assert r.get("earliest") == w.get("start") and r.get("latest") == w.get("end")
        assert r["precision"] == w["precision"] and r["basis"] == w["basis"]
        assert r["anchor"]["text"] == events[r["label"]]["mention"]
        if events[r["label"]].get("entity"):
            assert short(r["refersTo"]["id"]) == events[r["label"]]["entity"]
    recent = walk(http, "/api/events", **{"from": "2015", "to": "2020"})
    assert {r["label"] for r in recent} == {
        e["label"] for e in reading["events"]
        if (e["when"].get("end") or e["when"].get("start")) >= "2015"
        and (e["when"].get("start") or e["when"].get("end")) <= "2020"}
    assert_error(http.get("/api/events", params={"from": "1990s"}), 422, "from")
    assert_error(http.get("/api/events", params={"article": "nope"}), 404, "article")


def test_policies_by_applier_and_target_with_references(http, reading, register):
    rows = walk(http, "/api/policies", applied_by="united-states", applied_to="russia")
    by, to = directions(reading)
    expected = {k for k, e in register.items() if e["type"] == "Policy"
                and "united-states" in by.get(k, ()) and "russia" in to.get(k, ())}
    assert {r["registerId"] for r in rows} == expected and expected
    uses = collections.defaultdict(set)
    for p in reading["policies"]:
        uses[p["entity"]].add(p["mention"])
    for r in walk(http, "/api/policies", article=SLUG):
        assert {ref["anchor"]["text"] for ref in r.get("references", [])} == uses[r["registerId"]]
    assert len(walk(http, "/api/policies")) == sum(e["type"] == "Policy" for e in register.values())


# -- articles and sentences --------------------------------------------------------------------------


def test_articles_and_one_article_with_text_and_counts(http, reading, article_bytes, article_text):
    rows = walk(http, "/api/articles")
    assert [r["slug"] for r in rows] == [SLUG]
    a = item(http, f"/api/articles/{SLUG}")
    assert a["headline"] == reading["article"]["title"]
    assert short(a["publisher"]["id"]) == reading["article"]["publisher"]
    assert a["content"]["string"] == article_text
    assert a["content"]["sha256"] == hashlib.sha256(article_bytes).hexdigest()
    assert a["counts"] == {"sentences": len(reading["sentences"]), "claims": len(reading["claims"]),
                           "mentions": sum(len(s.get("mentions", [])) for s in reading["sentences"]),
                           "events": len(reading["events"]), "policies": len(reading["policies"])}
    assert_error(http.get("/api/articles/nope"), 404, "slug")


def test_sentences_in_order_with_mentions_and_filters(http, reading, article_text):
    rows = walk(http, f"/api/articles/{SLUG}/sentences", limit=8)
    assert [r["text"] for r in rows] == [s["text"] for s in reading["sentences"]]
    assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
    for r, s in zip(rows, reading["sentences"]):
        assert article_text[r["begin"]:r["end"]] == r["text"]
        assert sorted(m["text"] for m in r["mentions"]) == sorted(m["text"] for m in s.get("mentions", []))
    china = walk(http, f"/api/articles/{SLUG}/sentences", mentions="china")
    assert [r["sentenceId"] for r in china] == [s["id"] for s in reading["sentences"]
                                                if any(m["entity"] == "china" for m in s.get("mentions", []))]
    targets = walk(http, f"/api/articles/{SLUG}/sentences", mentions="russia", role="target")
    assert [r["sentenceId"] for r in targets] == [
        s["id"] for s in reading["sentences"]
        if any(m["entity"] == "russia" and m["role"] == "target" for m in s.get("mentions", []))]
    assert_error(http.get("/api/articles/nope/sentences"), 404, "slug")


def test_one_sentence_with_its_claims(http, reading, claims):
    s = item(http, f"/api/articles/{SLUG}/sentences/s4")
    assert s["text"] == reading["sentences"][3]["text"]
    assert {short(c["id"]) for c in s["claimsInSentence"]} == {i for i, c in claims.items() if c["sentence"] == "s4"}
    assert all(c["quote"]["text"] in s["text"] for c in s["claimsInSentence"])
    assert_error(http.get(f"/api/articles/{SLUG}/sentences/s999"), 404, "sentence")


# -- search ---------------------------------------------------------------------------------------


def test_search_ranks_labels_first_and_tolerates_typos(http, register):
    for q, expected in [("Russia", "russia"), ("Rusia", "russia"), ("Moskow", "russia"),
                        ("nato expanson", "nato-enlargement"), ("Multipolar", "multipolarity")]:
        rows = http.get("/api/search", params={"q": q, "resource": "entity"}).json()["rows"]
        assert rows and rows[0]["registerId"] == expected, (q, rows[:3])
    exact = http.get("/api/search", params={"q": "Russia"}).json()["rows"][0]
    typo = http.get("/api/search", params={"q": "Rusia"}).json()["rows"][0]
    assert exact["score"] > typo["score"]
    assert http.get("/api/search", params={"q": "qqqzzzxxx"}).json()["rows"] == []


def test_search_finds_claims_by_their_words(http, claims):
    rows = walk(http, "/api/search", q="sanctons", resource="claim", limit=5)
    found = {short(r["id"]) for r in rows}
    with_word = {i for i, c in claims.items() if "sanctions" in c["quote"].lower()}
    assert with_word <= found, with_word - found
    assert all(r["resource"] == "claim" for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_search_parameters_are_checked(http):
    assert_error(http.get("/api/search"), 422, "q")
    assert_error(http.get("/api/search", params={"q": "x" * 201}), 422, "q")
    assert_error(http.get("/api/search", params={"q": "   "}), 422, "q")
    assert_error(http.get("/api/search", params={"q": "russia", "resource": "article"}), 422, "resource")


# -- formats ------------------------------------------------------------------------------------------


def _context(http: httpx.Client) -> dict:
    r = http.get("/context.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    return r.json()["@context"]


def test_jsonld_rows_mean_the_same_as_the_graph(http, built_store, claims):
    r = http.get("/api/claims", params={"stance": "critical", "attribution": "own-voice"},
                 headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert doc["@context"].endswith("/context.jsonld")
    doc["@context"] = _context(http)
    g = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    ids = {s for s in g.subjects(CG.stance, CG.Critical)}
    assert {short(str(s)) for s in ids} == {i for i, c in claims.items()
                                             if c["stance"] == "critical" and c["attribution"] == "own-voice"}
    for s in ids:
        assert (s, CG.attribution, CG.OwnVoice) in g
        quote = g.value(s, CG.quote)
        store_quote = next(iter(built_store.query(
            f"SELECT ?q WHERE {{ <{s}> <{CG.quote}> ?q }}")))["q"].value
        assert str(quote) == store_quote
        assert str(g.value(quote, NIF.anchorOf)) == claims[short(str(s))]["quote"]
    assert not list(g.subjects(CG.ok, None)), "envelope keys must not become triples"


def test_jsonld_of_an_entity_item_with_reverse_links(http):
    r = http.get("/api/entities/china", params={"format": "jsonld"})
    doc = r.json()
    doc["@context"] = _context(http)
    g = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    china = rdflib.URIRef(doc["id"])
    ITS = rdflib.Namespace("http://www.w3.org/2005/11/its/rdf#")
    mentions = set(g.subjects(ITS.taIdentRef, china))
    assert len(mentions) == len(doc["mentionedAs"]) > 0
    assert (china, CG.wikidata, rdflib.URIRef(doc["wikidata"])) in g


def test_csv_where_tabular_and_negotiation(http, register):
    r = http.get("/api/entities", params={"type": "State", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["registerId"] for row in table} == {k for k, e in register.items() if e["type"] == "State"}
    assert http.get("/api/entities", params={"type": "State"}, headers={"Accept": "text/csv"}).text == r.text
    claims_csv = list(csv.DictReader(io.StringIO(http.get("/api/claims", params={"format": "csv",
                                                                                    "hedged": "true"}).text)))
    assert claims_csv and all(row["hedged"] == "true" and row["hedge"] for row in claims_csv)
    assert_error(http.get("/api/entities/russia", params={"format": "csv"}), 422, "format")
    assert_error(http.get("/api/entities", headers={"Accept": "image/png"}), 406, "Accept")
    assert http.get("/api/entities", headers={"Accept": "*/*"}).headers["content-type"].startswith("application/json")
    link = http.get("/api/entities").headers["link"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in link


def test_every_rest_route_is_in_the_openapi_document(http):
    doc = http.get("/openapi.json").json()
    for path in ["/api/entities", "/api/entities/{entity_id}", "/api/claims", "/api/claims/{article}/{claim}",
                 "/api/events", "/api/policies", "/api/articles", "/api/articles/{slug}",
                 "/api/articles/{slug}/sentences", "/api/articles/{slug}/sentences/{sentence}", "/api/search",
                 "/api/queries"]:
        assert "get" in doc["paths"][path], path
    claims = {p["name"]: p for p in doc["paths"]["/api/claims"]["get"]["parameters"]}
    assert {"claimant", "subject", "topic", "kind", "stance", "hedged", "attribution", "article", "limit",
            "cursor", "format"} <= set(claims)


def test_an_update_is_seen_at_once_by_cached_lookups(built_store, built_settings, tmp_path):
    """Answers are cached per store version: a SPARQL Update must show in every lookup right away."""
    import pyoxigraph as ox
    from pathlib import Path

    live = Path(built_settings.store).resolve()
    (tmp_path / "copy" / "store.versions").mkdir(parents=True)
    ox.Store.read_only(str(live)).backup(str(tmp_path / "copy" / "store.versions" / live.name))
    (tmp_path / "copy" / "store").symlink_to(Path("store.versions") / live.name)
    token = "rest-cache-token"
    srv = start_server(tmp_path / "copy" / "store", tmp_path, env={"CLAIMGRAPH_UPDATE_TOKEN": token})
    base = built_settings.base_iri
    try:
        with srv.client() as c:
            def places() -> set[str]:
                return {r["registerId"] for r in c.get("/api/entities", params={"type": "Place"}).json()["rows"]}

            before = places()
            assert "atlantis" not in before
            assert c.get("/api/entities/atlantis").status_code == 404
            found = c.get("/api/search", params={"q": "Atlantis", "resource": "entity"}).json()["rows"]
            assert "atlantis" not in {r.get("registerId") for r in found}

            def links() -> set[str]:
                rows = c.get("/api/queries/entity-links", params={"type": "Place"}).json()["rows"]
                return {r["label"] for r in rows}

            assert "Atlantis" not in links()
            assert c.get("/api/entities", params={"type": "Place"}).headers["x-cache"] == "hit"
            update = (f"PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
                      f"PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                      f"INSERT DATA {{ GRAPH <http://example.org/my-entities> {{ <{base}entity/atlantis> a cg:Place ; "
                      f"cg:registerId \"atlantis\" ; cg:entityType \"Place\" ; rdfs:label \"Atlantis\"@en }} }}")
            r = c.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update",
                                                            "Authorization": f"Bearer {token}"})
            assert r.status_code in (200, 204), r.text
            assert places() == before | {"atlantis"}
            assert c.get("/api/entities/atlantis").json()["item"]["label"] == "Atlantis"
            assert c.get("/api/search", params={"q": "Atlantis"}).json()["rows"][0]["registerId"] == "atlantis"
            assert "Atlantis" in links()
            assert c.get("/id/entity/atlantis", headers={"Accept": "text/turtle"}).status_code == 200
    finally:
        srv.stop()


def test_views_read_in_two_steps_equal_the_one_query_view(built_store, mint):
    """load_views reads a node's triples, then its objects' labels, texts, offsets and positions
    for all nodes at once; the result must be what the single OPTIONAL-join query gives."""
    import pyoxigraph as ox

    from claimgraph.api.rest import views as V

    store = built_store.raw

    class Engine:
        def run_trusted(self, q, subs=None, union=True):
            kw = {"use_default_graph_as_union": union}
            if subs:
                kw["substitutions"] = {ox.Variable(k): v for k, v in subs.items()}
            r = store.query(q, **kw)
            names = [v.value for v in r.variables]
            return [{n: x[n] for n in names} for x in r]

    nodes = [r["n"].value for r in store.query(
        "SELECT DISTINCT ?n WHERE { GRAPH ?g { ?n a ?t } FILTER(isIRI(?n)) }", use_default_graph_as_union=True)]
    assert len(nodes) > 200
    got = V.load_views(Engine(), nodes)

    def norm(v):
        return {p: sorted((str(o.term), o.label, o.text, o.begin, o.end, o.position) for o in objs)
                for p, objs in v.props.items()}

    for iri, view in zip(nodes, got):
        if V._ENTITY_IRI.match(iri):
            continue  # register entities have their own view (ENTITY_VIEW)
        expected = V.node_view_rows(Engine().run_trusted(V.NODE_VIEW, {"s": ox.NamedNode(iri)}), iri)
        assert norm(view) == norm(expected), iri
