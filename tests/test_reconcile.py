"""The reconciliation service over HTTP, against a real `claimgraph serve`:
manifest, OpenRefine-style batches of messy names, suggest, flyout, preview,
data extension (0.2 and 1.0-draft), and the uniform error shape."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from support.liveserver import start_server

FIXTURES = Path(__file__).parent / "fixtures"
# The entity each messy name of the recorded batch means (the test's oracle).
EXPECTED = {
    "q0": "russia", "q1": "russia", "q2": "united-states", "q3": "china", "q4": "iran",
    "q5": "nato", "q6": "barack-obama", "q7": "russia", "q8": "china", "q9": "soviet-union",
}
# Names an exact label or alias once case, accents, dots and spaces are ignored: must be sure matches.
EXACT_AFTER_NORMALIZING = {"q0", "q2", "q4", "q6", "q7", "q8", "q9"}

# --- response shapes, as the 0.2 / 1.0-draft specifications define them ----------------------
TYPE = {"type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
CANDIDATE = {
    "type": "object", "required": ["id", "name", "score", "match", "type"],
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "score": {"type": "number", "minimum": 0, "maximum": 100}, "match": {"type": "boolean"},
        "type": {"type": "array", "items": TYPE},
        "features": {"type": "array", "items": {"type": "object", "required": ["id", "value"],
                                                 "properties": {"id": {"type": "string"},
                                                                "value": {"type": ["number", "boolean"]}}}},
    },
}
RESULT_BATCH_02 = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["result"], "properties": {"result": {"type": "array", "items": CANDIDATE}}}}
RESULT_BATCH_1 = {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {
    "type": "object", "required": ["candidates"], "properties": {"candidates": {"type": "array", "items": CANDIDATE}}}}}}
SUGGEST = {"type": "object", "required": ["result"], "properties": {"result": {"type": "array", "items": {
    "type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "notable": {"type": "array", "items": TYPE}}}}}}
VALUE = {"oneOf": [
    {"type": "object", "additionalProperties": False, "required": ["id", "name"],
     "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
    {"type": "object", "additionalProperties": False, "required": ["str"], "properties": {"str": {"type": "string"}}},
    {"type": "object", "additionalProperties": False, "required": ["int"], "properties": {"int": {"type": "integer"}}},
]}
META = {"type": "array", "items": {"type": "object", "required": ["id", "name"]}}
EXTEND_02 = {"type": "object", "required": ["meta", "rows"], "properties": {"meta": META, "rows": {
    "type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"type": "array",
                                                                                          "items": VALUE}}}}}
EXTEND_1 = {"type": "object", "required": ["meta", "rows"], "properties": {"meta": META, "rows": {
    "type": "array", "items": {"type": "object", "required": ["id", "properties"], "properties": {
        "id": {"type": "string"}, "properties": {"type": "array", "items": {
            "type": "object", "required": ["id", "values"],
            "properties": {"id": {"type": "string"}, "values": {"type": "array", "items": VALUE}}}}}}}}}
PROPOSAL = {"type": "object", "required": ["properties"], "properties": {"properties": {"type": "array", "items": {
    "type": "object", "required": ["id", "name"]}}}}


@pytest.fixture(scope="module")
def batch() -> dict:
    return json.loads((FIXTURES / "openrefine_batch.json").read_text(encoding="utf-8"))


def rows(store, query: str) -> list[dict]:
    result = store.query("PREFIX cg: <https://w3id.org/claimgraph/ontology#>\n"
                         "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + query)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names if sol[n] is not None} for sol in result]


def assert_error(r, status: int, parameter: str | None = None, words: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["error"]["status"] == status
    assert body["error"]["message"] and "Traceback" not in r.text
    if parameter is not None:
        assert body["error"]["parameter"] == parameter, body
    if words is not None:
        assert words in body["error"]["message"], body
    return body


# --- manifests ---------------------------------------------------------------------------------

def test_manifest_02_describes_every_service_and_its_urls_work(http, mint):
    m = http.get("/reconcile").json()
    assert "0.2" in m["versions"] and "0.1" in m["versions"]
    assert m["identifierSpace"] == mint.base + "entity/"
    assert m["schemaSpace"] == "https://w3id.org/claimgraph/ontology#"
    # The view link reaches this server (whatever port it runs on), at the entity's Linked Data page.
    view = m["view"]["url"].replace("{{id}}", "russia")
    assert "{{id}}" in m["view"]["url"] and view.startswith(str(http.base_url).rstrip("/") + "/")
    page = http.get(view, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Russia" in page.text
    assert {t["id"] for t in m["defaultTypes"]} >= {"State", "Organization", "Person"}
    assert isinstance(m["preview"]["width"], int) and isinstance(m["preview"]["height"], int)
    preview = http.get(m["preview"]["url"].replace("{{id}}", "russia"))
    assert preview.status_code == 200 and "Russia" in preview.text
    for kind, probe in (("entity", "rus"), ("type", "sta"), ("property", "iso")):
        svc = m["suggest"][kind]
        got = http.get(svc["service_url"] + svc["service_path"], params={"prefix": probe})
        assert got.status_code == 200 and got.json()["result"], f"suggest {kind} from the manifest answers nothing"
    flyout = m["suggest"]["entity"]["flyout_service_path"]
    assert "${id}" in flyout
    assert http.get(m["suggest"]["entity"]["service_url"] + flyout.replace("${id}", "russia")).json()["id"] == "russia"
    propose = m["extend"]["propose_properties"]
    assert http.get(propose["service_url"] + propose["service_path"], params={"type": "State"}).status_code == 200
    for setting in m["extend"]["property_settings"]:
        assert {"name", "label", "type"} <= set(setting) and setting["type"] in ("number", "text", "checkbox", "select")
    assert m["batchSize"] >= len(EXPECTED)


def test_manifest_1_0_draft(http, mint):
    m = http.get("/reconcile/v1").json()
    assert m["versions"] == ["1.0-draft"]
    view = m["view"]["url"].replace("{id}", "iran")
    assert m["name"] and view.startswith(str(http.base_url).rstrip("/") + "/")
    assert http.get(view, headers={"Accept": "text/html"}).status_code == 200
    assert m["suggest"] == {"entity": True, "property": True, "type": True}
    assert m["extend"]["proposeProperties"] is True and m["standardizedScore"] is True
    assert {"width", "height"} <= set(m["preview"])


def test_cors_is_open_on_reconcile_endpoints(http):
    r = http.get("/reconcile", headers={"Origin": "https://openrefine.example"})
    assert r.headers.get("access-control-allow-origin") in ("*", "https://openrefine.example")


# --- the recorded OpenRefine batch ----------------------------------------------------------------

def test_openrefine_batch_resolves_messy_names(http, batch):
    r = http.post("/reconcile", data={"queries": json.dumps(batch)})
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, RESULT_BATCH_02)
    assert set(body) == set(batch)
    for key, want in EXPECTED.items():
        result = body[key]["result"]
        assert result, f"{batch[key]['query']!r}: no candidates"
        scores = [c["score"] for c in result]
        assert scores == sorted(scores, reverse=True), f"{key}: not sorted by score"
        top = result[0]
        assert top["id"] == want, f"{batch[key]['query']!r} -> {top['id']} (wanted {want}): {result[:3]}"
        if len(result) > 1:
            assert top["score"] > result[1]["score"], f"{key}: tie at the top"
        assert sum(c["match"] for c in result) <= 1, f"{key}: more than one match"
        if key in EXACT_AFTER_NORMALIZING:
            assert top["score"] == 100 and top["match"] is True, f"{batch[key]['query']!r}: {top}"
        limit = batch[key].get("limit")
        if limit:
            assert len(result) <= limit


def test_typos_still_rank_first_but_score_below_exact(http, batch):
    r = http.post("/reconcile", data={"queries": json.dumps(batch)}).json()
    for key in ("q1", "q3"):  # "Moskow", "chine"
        top = r[key]["result"][0]
        assert 60 <= top["score"] < 100, top
        name_feature = next(f for f in top["features"] if f["id"] == "name_similarity")
        assert name_feature["value"] == top["score"]


def test_get_with_queries_equals_post(http, batch):
    small = {k: batch[k] for k in ("q0", "q5", "q7")}
    got = http.get("/reconcile", params={"queries": json.dumps(small)}).json()
    posted = http.post("/reconcile", data={"queries": json.dumps(small)}).json()
    assert got == posted


def test_multipart_form_is_accepted(http):
    r = http.post("/reconcile", files={"queries": (None, json.dumps({"q0": {"query": "Islamic Republic of Iran"}}))})
    assert r.status_code == 200 and r.json()["q0"]["result"][0]["id"] == "iran"


def test_type_constraint_chooses_between_namesakes(http):
    # "Washington" names the United States (a State) and the Washington establishment (a Group).
    q = {"s": {"query": "Washington", "type": "State"}, "g": {"query": "Washington", "type": "Group"},
         "soft": {"query": "Washington establishment", "type": "State", "type_strict": "should"}}
    r = http.post("/reconcile", data={"queries": json.dumps(q)}).json()
    assert r["s"]["result"][0]["id"] == "united-states"
    assert all(c["type"][0]["id"] == "State" for c in r["s"]["result"])
    assert r["g"]["result"][0]["id"] == "american-establishment"
    soft = r["soft"]["result"]
    assert soft[0]["id"] == "american-establishment" and soft[0]["match"] is False
    assert next(f["value"] for f in soft[0]["features"] if f["id"] == "type_match") is False


def test_property_constraints_raise_and_lower_scores(http, built_store):
    codes = {r["id"]: r["code"] for r in rows(built_store, "SELECT ?id ?code WHERE { ?e cg:registerId ?id ; cg:iso3166Code ?code }")}
    q = {
        "agree": {"query": "Russia", "properties": [{"pid": "iso3166", "v": codes["russia"]}]},
        "disagree": {"query": "Russia", "properties": [{"pid": "iso3166", "v": codes["united-states"]}]},
        "only": {"properties": [{"pid": "iso3166", "v": codes["india"]}]},
        "qid": {"properties": [{"pid": "wikidata", "v": "Q148"}]},
        "entity": {"query": "sanctions against Russia", "properties": [{"pid": "appliedBy", "v": {"id": "united-states"}}]},
    }
    r = http.post("/reconcile", data={"queries": json.dumps(q)}).json()
    agree, disagree = r["agree"]["result"][0], r["disagree"]["result"][0]
    assert agree["id"] == "russia" and agree["match"] is True and agree["score"] == 100
    assert disagree["id"] == "russia" and disagree["match"] is False and disagree["score"] < agree["score"]
    assert [c["id"] for c in r["only"]["result"]] == ["india"]
    assert r["qid"]["result"][0]["id"] == "china"
    assert r["entity"]["result"][0]["id"] == "us-sanctions-against-russia"


def test_an_identifier_as_query_returns_its_entity(http, mint):
    q = {"slug": {"query": "soviet-union"}, "iri": {"query": mint.entity("nato")}, "qid": {"query": "Q76"}}
    r = http.post("/reconcile", data={"queries": json.dumps(q)}).json()
    assert r["slug"]["result"][0]["id"] == "soviet-union"
    assert r["iri"]["result"][0]["id"] == "nato"
    assert r["qid"]["result"][0]["id"] == "barack-obama" and r["qid"]["result"][0]["score"] == 100


def test_version_0_1_single_query_and_jsonp(http):
    plain = http.get("/reconcile", params={"query": "the Kremlin"}).json()
    assert plain["result"][0]["id"] == "russia"
    as_json = http.get("/reconcile", params={"query": json.dumps({"query": "Beijing", "limit": 1})}).json()
    assert [c["id"] for c in as_json["result"]] == ["china"]
    js = http.get("/reconcile", params={"query": "Tehran", "callback": "jQuery123_cb"})
    assert js.headers["content-type"].startswith("application/javascript")
    text = js.text
    assert text.startswith("/**/jQuery123_cb(") and text.endswith(");")
    assert json.loads(text[len("/**/jQuery123_cb("):-2])["result"][0]["id"] == "iran"


def test_version_1_0_match(http, batch):
    queries = [{"conditions": [{"matchType": "name", "propertyValue": batch[k]["query"]}]} for k in sorted(EXPECTED)]
    queries.append({"type": "State", "conditions": [
        {"matchType": "property", "propertyId": "wikidata", "propertyValue": "Q794", "required": True}]})
    queries.append({"conditions": [{"matchType": "id", "propertyValue": "Q15180"}]})
    r = http.post("/reconcile/v1/match", json={"queries": queries})
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, RESULT_BATCH_1)
    assert len(body["results"]) == len(queries)
    for key, res in zip(sorted(EXPECTED), body["results"]):
        assert res["candidates"][0]["id"] == EXPECTED[key], (batch[key], res["candidates"][:2])
    assert [c["id"] for c in body["results"][-2]["candidates"]] == ["iran"]
    assert body["results"][-1]["candidates"][0]["id"] == "soviet-union"


# --- suggest, flyout, preview ------------------------------------------------------------------

def test_suggest_entity_prefix_alias_id_and_typo(http):
    def ids(**params) -> list[str]:
        r = http.get("/reconcile/suggest/entity", params=params)
        jsonschema.validate(r.json(), SUGGEST)
        return [x["id"] for x in r.json()["result"]]

    assert ids(prefix="Rus")[0] == "russia"
    assert ids(prefix="kreml")[0] == "russia"            # alias "the Kremlin", word prefix
    assert ids(prefix="Q7184") == ["nato"]
    assert "russia" in ids(prefix="Moskow")                # a typo still finds it
    assert ids(prefix="nat", type="Organization")[0] == "nato"
    assert all(i != "nato" for i in ids(prefix="nat", type="Policy"))
    first = ids(prefix="u", limit=3)
    assert len(first) == 3 and ids(prefix="u", cursor=1, limit=2) == first[1:3]
    assert ids(prefix="u", offset=2, limit=1) == first[2:3]


def test_suggest_types_and_properties(http):
    types = http.get("/reconcile/suggest/type", params={"prefix": "med"}).json()
    assert [t["id"] for t in types["result"]] == ["MediaOutlet"]
    props = http.get("/reconcile/suggest/property", params={"prefix": "wiki"}).json()
    jsonschema.validate(props, SUGGEST)
    assert props["result"][0]["id"] == "wikidata"
    policy_props = {p["id"] for p in http.get("/reconcile/suggest/property", params={"prefix": "", "type": "Policy",
                                                                                       "limit": 100}).json()["result"]}
    assert {"appliedBy", "appliedTo"} <= policy_props and "iso3166" not in policy_props


def test_flyout_and_preview_escape_and_describe(http, register):
    fly = http.get("/reconcile/flyout/entity", params={"id": "barack-obama"}).json()
    assert fly["id"] == "barack-obama" and register["barack-obama"]["label"] in fly["html"]
    page = http.get("/reconcile/preview", params={"id": "russian-reset"})
    assert page.headers["content-type"].startswith("text/html")
    # The label holds quotes: they must arrive escaped, never as markup.
    assert "&quot;reset&quot;" in page.text and '"reset"' not in page.text.split("<body>", 1)[1]
    assert "<script" not in page.text
    russia = http.get("/reconcile/v1/preview", params={"id": "russia"}).text
    assert "https://www.wikidata.org/wiki/Q159" in russia


# --- data extension ----------------------------------------------------------------------------

def test_propose_properties_by_type(http):
    state = http.get("/reconcile/extend/propose", params={"type": "State"}).json()
    jsonschema.validate(state, PROPOSAL)
    assert state["type"] == "State" and "iso3166" in {p["id"] for p in state["properties"]}
    policy = http.get("/reconcile/v1/extend/propose", params={"type": "Policy", "limit": 4}).json()
    assert len(policy["properties"]) == 4 and policy["limit"] == 4


def test_extend_02_returns_the_stores_values(http, built_store):
    query = {"ids": ["russia", "us-sanctions-against-russia", "strategic-culture-foundation", "no-such-entity"],
             "properties": [{"id": "wikidata"}, {"id": "iso3166"}, {"id": "appliedBy"}, {"id": "altLabel",
                            "settings": {"limit": 2}}, {"id": "sourcedStatements"}, {"id": "mentionCount"}]}
    r = http.post("/reconcile", data={"extend": json.dumps(query)})
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, EXTEND_02)
    assert [m["id"] for m in body["meta"]] == [p["id"] for p in query["properties"]]
    rus = body["rows"]["russia"]
    qid = rows(built_store, "SELECT ?wd WHERE { ?e cg:registerId 'russia' ; cg:wikidata ?wd }")[0]["wd"].rsplit("/", 1)[1]
    assert rus["wikidata"] == [{"str": qid}]
    assert rus["iso3166"] == [{"str": rows(built_store, "SELECT ?c WHERE { ?e cg:registerId 'russia' ; cg:iso3166Code ?c }")[0]["c"]}]
    assert len(rus["altLabel"]) == 2
    mentions = rows(built_store, """SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?e cg:registerId 'russia' .
                    ?m <http://www.w3.org/2005/11/its/rdf#taIdentRef> ?e }""")[0]["n"]
    assert rus["mentionCount"] == [{"int": int(mentions)}]
    applied = {r["id"] for r in rows(built_store, """SELECT ?id WHERE { ?p cg:registerId 'us-sanctions-against-russia' ;
               cg:appliedBy ?e . ?e cg:registerId ?id }""")}
    assert {v["id"] for v in body["rows"]["us-sanctions-against-russia"]["appliedBy"]} == applied
    statements = rows(built_store, """SELECT ?s WHERE { ?s cg:statementAbout ?e . ?e cg:registerId 'strategic-culture-foundation' }""")
    assert len(body["rows"]["strategic-culture-foundation"]["sourcedStatements"]) == len(statements) > 0
    assert all(v == [] for v in body["rows"]["no-such-entity"].values())


def test_extend_1_0(http):
    r = http.post("/reconcile/v1/extend", json={"ids": ["iran", "nato"], "properties": [{"id": "type"}, {"id": "wikidata"}]})
    body = r.json()
    jsonschema.validate(body, EXTEND_1)
    assert [row["id"] for row in body["rows"]] == ["iran", "nato"]
    iran = {p["id"]: p["values"] for p in body["rows"][0]["properties"]}
    assert iran == {"type": [{"str": "State"}], "wikidata": [{"str": "Q794"}]}


# --- bad input: uniform errors naming the parameter, never a 500 -----------------------------

@pytest.mark.parametrize("queries,status,parameter,words", [
    ("{not json", 400, "queries", "not valid JSON"),
    ("[1, 2]", 400, "queries", "JSON object"),
    (json.dumps({"q0": "Russia"}), 400, "queries.q0", "must be an object"),
    (json.dumps({"q0": {"query": ""}}), 400, "queries.q0", "non-empty"),
    (json.dumps({"q0": {"query": "Russia", "limit": 0}}), 400, "queries.q0.limit", "positive integer"),
    (json.dumps({"q0": {"query": "Russia", "limit": "many"}}), 400, "queries.q0.limit", "positive integer"),
    (json.dumps({"q0": {"query": "Russia", "type": "Planet"}}), 400, "queries.q0.type", "unknown type"),
    (json.dumps({"q0": {"query": "Russia", "type_strict": "maybe"}}), 400, "queries.q0.type_strict", "should"),
    (json.dumps({"q0": {"query": "Russia", "properties": [{"pid": "P17", "v": "x"}]}}), 400,
     "queries.q0.properties[0].pid", "unknown property"),
    (json.dumps({"q0": {"query": "Russia", "properties": [{"pid": "iso3166"}]}}), 400,
     "queries.q0.properties[0]", "\"v\""),
    (json.dumps({"q0": {"query": "x" * 600}}), 400, "queries.q0.query", "longer than"),
    (json.dumps({"q0": {"query": "Russia", "colour": "red"}}), 400, "queries.q0.colour", "unknown field"),
    (json.dumps({f"q{i}": {"query": "Russia"} for i in range(101)}), 413, "queries", "batch size"),
])
def test_bad_batches_get_uniform_errors(http, queries, status, parameter, words):
    assert_error(http.post("/reconcile", data={"queries": queries}), status, parameter, words)


def test_other_bad_requests_get_uniform_errors(http):
    assert_error(http.get("/reconcile", params={"query": "Iran", "callback": "alert(document.cookie)"}), 400, "callback")
    assert_error(http.get("/reconcile?query=Iran&query=Iraq"), 400, "query", "more than once")
    assert_error(http.get("/reconcile", params={"extend": json.dumps({"ids": "russia", "properties": []})}),
                 400, "extend.ids")
    assert_error(http.get("/reconcile", params={"extend": json.dumps({"ids": ["russia"], "properties": [{"id": "x"}]})}),
                 400, "extend.properties[0].id", "unknown property")
    assert_error(http.get("/reconcile/preview"), 400, "id")
    assert_error(http.get("/reconcile/preview", params={"id": "atlantis"}), 404, "id", "atlantis")
    assert_error(http.get("/reconcile/flyout/entity", params={"id": "<script>"}), 404, "id")
    assert_error(http.get("/reconcile/suggest/planet", params={"prefix": "x"}), 404)
    assert_error(http.get("/reconcile/suggest/entity", params={"prefix": "x", "cursor": "-1"}), 400, "cursor")
    assert_error(http.get("/reconcile/suggest/entity", params={"prefix": "x", "type": "Planet"}), 400, "type")
    assert_error(http.get("/reconcile/extend/propose", params={"type": "Planet"}), 400, "type")
    assert_error(http.post("/reconcile/v1/match", content=b"queries=1",
                           headers={"content-type": "application/x-www-form-urlencoded"}), 415, "Content-Type")
    assert_error(http.post("/reconcile/v1/match", content=b"{", headers={"content-type": "application/json"}), 400, "body")
    assert_error(http.post("/reconcile/v1/match", json={"queries": [{"conditions": []}]}), 400, "queries[0].conditions")
    assert_error(http.post("/reconcile/v1/match", json={"queries": [{"conditions": [
        {"matchType": "fuzzy", "propertyValue": "x"}]}]}), 400, "queries[0].conditions[0].matchType")
    assert_error(http.post("/reconcile", content=b"<queries/>", headers={"content-type": "application/xml"}),
                 415, "Content-Type")
    assert_error(http.post("/reconcile", content=b"queries=%ff%fe", headers={"content-type":
                 "application/x-www-form-urlencoded"}), 400)


# --- the matcher follows the store: a rebuild is picked up without a restart --------------------

def test_index_follows_a_rebuilt_store(broken_data, settings_for, tmp_path):
    from claimgraph.build import build

    settings = settings_for(tmp_path, data_dir=broken_data.path, reasoner="none")
    build(settings)
    live = start_server(settings.store, tmp_path)
    try:
        with live.client() as c:
            def top(name: str) -> dict:
                return c.post("/reconcile", data={"queries": json.dumps({"q": {"query": name}})}).json()["q"]["result"]

            before = top("Rossiyskaya Federatsiya")
            assert not before or before[0]["id"] != "russia" or before[0]["match"] is False
            broken_data.replace("aliases: [Russian Federation, Moscow, the Kremlin]",
                                "aliases: [Russian Federation, Moscow, the Kremlin, Rossiyskaya Federatsiya]",
                                which="entities")
            build(settings)
            time.sleep(1.2)  # the store locator re-reads the live version at most once a second
            after = top("Rossiyskaya Federatsiya")
            assert after[0]["id"] == "russia" and after[0]["match"] is True and after[0]["score"] == 100
    finally:
        live.stop()


# --- the matcher's pieces, without a server ---------------------------------------------------------

@pytest.mark.parametrize("raw,normal", [
    ("U.S.A.", "usa"), ("Rússia", "russia"), ("  Iran ", "iran"), ("The West", "west"),
    ("NATO's eastward expansion", "natos eastward expansion"), ("U.S.-Russia relations", "us russia relations"),
    ("Washington, D.C.", "washington dc"), ("Économie & société", "economie and societe"),
])
def test_normalize_ignores_case_accents_dots_and_articles(raw, normal):
    from claimgraph.api.reconcile.matching import normalize

    assert normalize(raw) == normal


def test_name_score_orders_exact_over_typo_over_containing_name():
    from claimgraph.api.reconcile.matching import name_score

    exact, typo = name_score("moscow", "moscow"), name_score("moskow", "moscow")
    contained = name_score("russia", "us sanctions against russia")
    unrelated = name_score("russia", "india")
    assert exact == 100 > typo > contained > unrelated
