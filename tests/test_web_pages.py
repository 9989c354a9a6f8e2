"""The web app over HTTP: what each page serves, that nothing points off the server, the reader's
server-rendered marks and filters, Web Annotations, errors, and /sparql's answer to a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from claimgraph.web import vendor
from claimgraph.web.marks import Span, render

SLUG = "us-russia-reconfiguration"
STATIC = Path(vendor.__file__).resolve().parent / "static"
PAGES = ["/", f"/read/{SLUG}", f"/read/{SLUG}?claim=c3", f"/read/{SLUG}?entity=russia&voice=reported",
         "/entity/russia", "/entity/the-national-interest", "/compare", "/compare?entity=china", "/search?q=sanctons",
         "/editor", "/docs", "/queries", "/ontology", "/id/entity/russia", "/timeline"]
# What a page may load from: our own paths only. (Links to other sites, such as an entity's Wikidata
# page, are plain <a href> and load nothing.)
LOADS = re.compile(r"""<(?:script|link|img|iframe|source|audio|video)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)""", re.I)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_only_from_our_own_origin(http, path):
    r = http.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    for src in LOADS.findall(r.text):
        assert src.startswith("/") and not src.startswith("//"), f"{path} loads {src}"
        assert http.get(src).status_code == 200, f"{path} loads {src}, which is missing"
    assert "cdn" not in r.text.lower() and "unpkg" not in r.text.lower()


def test_our_scripts_and_styles_name_no_other_host():
    for f in STATIC.glob("*.*"):
        text = f.read_text()
        hosts = re.findall(r"https?://[^\s\"')]+", text)
        assert hosts == [], f"{f.name} names {hosts}"


def test_every_vendored_asset_is_in_place_at_its_pinned_version():
    for asset in vendor.ASSETS:
        assert vendor.present(asset), f"{asset.name}@{asset.version} is missing: run make setup"
        assert asset.licence and asset.integrity.startswith("sha512-")


def test_a_tarball_with_the_wrong_integrity_is_refused():
    asset = vendor.ASSETS[0]
    with pytest.raises(vendor.VendorError, match="integrity"):
        vendor._check(asset, b"not the tarball")


def test_home_counts_and_lists_the_articles(http):
    html = http.get("/").text
    claims = http.get("/api/claims", params={"article": SLUG, "limit": 500}).json()["count"]
    assert f"({claims})" in html  # claims by kind add up to every claim
    assert 'href="/read/us-russia-reconfiguration"' in html
    assert "Strategic Culture Foundation" in html and "2025-04-15" in html
    for link in ("/editor", "/docs", "/dumps/", "/queries", "/id/dataset"):
        assert f'href="{link}"' in html


def test_the_reader_marks_every_claim_and_mention_over_the_verbatim_text(http):
    r = http.get(f"/read/{SLUG}")
    assert len(r.content) < 200_000, f"reader HTML is {len(r.content)} bytes"
    html = r.text
    claims = http.get("/api/claims", params={"article": SLUG, "limit": 500}).json()["rows"]
    for c in claims:
        short = c["claimId"].split("/")[1]
        assert f'id="m-{short}"' in html and f'id="claim-{short}"' in html
        assert f'data-claim="{short}" data-kind="{c["kind"]}" data-voice="{c["attribution"]}"' in html
    hedged = [c for c in claims if c.get("hedge")]
    assert hedged and html.count('class="hedge"') >= len({(c["hedge"]["begin"], c["hedge"]["end"]) for c in hedged})
    assert html.count('class="mention"') > 50
    # no mark is dimmed without a filter
    assert " off\"" not in html.split('id="text"')[1].split("</article>")[0]


def test_server_side_filters_dim_only_the_marks_that_do_not_match(http):
    html = http.get(f"/read/{SLUG}", params={"voice": "reported"}).text
    text = html.split('id="text"')[1].split("</article>")[0]
    on = set(re.findall(r'<mark class="claim [^"]*?(?<! off)" data-claim="(\w+)"', text))
    reported = {c["claimId"].split("/")[1] for c in http.get(
        "/api/claims", params={"article": SLUG, "attribution": "reported", "limit": 500}).json()["rows"]}
    assert on == reported


def test_a_claim_in_the_url_opens_its_panel_server_side(http):
    html = http.get(f"/read/{SLUG}", params={"claim": "c2"}).text
    assert 'class="panel open" id="claim-c2"' in html
    assert html.count('class="panel open"') == 1


def test_bad_reader_parameters_are_clear_errors(http):
    r = http.get(f"/read/{SLUG}", params={"entity": "<script>"})
    assert r.status_code == 422
    assert r.json()["error"]["parameter"] == "entity"
    r = http.get("/read/no-such-article")
    assert r.status_code == 404 and "no-such-article" in r.json()["error"]["message"]
    assert http.get("/entity/no-such-entity").status_code == 404
    assert http.get("/compare", params={"entity": "no-such-entity"}).status_code == 404


def test_marks_nest_and_crossing_spans_split_without_losing_text():
    def span(b: int, e: int, name: str) -> Span:
        from markupsafe import Markup
        return Span(b, e, 0, lambda first: Markup(f'<b data-n="{name}" data-first="{int(first)}">'), "b")

    html = str(render("abcdefgh", [span(0, 5, "A"), span(3, 8, "B")]))
    assert re.sub(r"<[^>]+>", "", html) == "abcdefgh"
    assert html.count('data-n="B"') == 2 and html.count('data-n="B" data-first="1"') == 1
    assert str(render("x<y", [span(0, 3, "A")])) == '<b data-n="A" data-first="1">x&lt;y</b>'


def test_the_marks_export_as_web_annotations(http):
    r = http.get(f"/read/{SLUG}/annotations.jsonld")
    assert r.status_code == 200 and "anno.jsonld" in r.headers["content-type"]
    body = r.json()
    assert body["@context"] == "http://www.w3.org/ns/anno.jsonld" and body["type"] == "AnnotationCollection"
    text = http.get(f"/api/articles/{SLUG}").json()["item"]["content"]["string"]
    items = body["first"]["items"]
    assert body["total"] == len(items) > 100
    for a in items:
        pos, quote = a["target"]["selector"]
        assert text[pos["start"]:pos["end"]] == quote["exact"], a["id"]


def test_sparql_gives_a_browser_the_editor_and_clients_what_they_had(http):
    r = http.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/editor"
    r = http.get("/sparql", params={"query": "SELECT (1 AS ?x) {}"}, headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 200 and "sparql-results" in r.headers["content-type"]
    r = http.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and "turtle" in r.headers["content-type"]


def test_the_entity_graph_is_capped_and_rooted(http):
    g = http.get("/entity/russia/graph.json").json()
    ids = {n["id"] for n in g["nodes"]}
    assert "russia" in ids and len(ids) <= 40
    assert all(e["source"] in ids and e["target"] in ids for e in g["edges"])


def test_compare_groups_claims_about_an_entity_by_claimant(http):
    html = http.get("/compare", params={"entity": "china"}).text
    about = http.get("/api/claims", params={"subject": "china", "limit": 500}).json()["rows"]
    assert about
    for c in about:
        assert c["quote"]["text"].replace("’", "&#39;")[:20] in html or c["quote"]["text"][:20] in html


def test_the_timeline_draws_each_event_at_its_stated_precision(http):
    events = http.get("/api/events", params={"limit": 500}).json()["rows"]
    html = http.get("/timeline").text
    bars = re.findall(r'<span class="tl-bar p-(\w+)([^"]*)"\s+style="left: ([\d.]+)%; width: ([\d.]+)%"', html)
    assert len(bars) == len(events)
    for e, (precision, extra, _left, width) in zip(events, bars):
        assert precision == (e.get("precision") or "none")
        assert ("open-start" in extra) == (not e.get("earliest")) and ("open-end" in extra) == (not e.get("latest"))
    decades = [float(w) for p, _x, _l, w in bars if p == "decade"]
    years = [float(w) for (p, _x, _l, w), e in zip(bars, events) if p == "year" and e.get("earliest") == e.get("latest")]
    assert decades and years and min(decades) > 5 * max(years)  # a decade is drawn as a decade, a year as a year
    assert "relative to publication" in html or "to publication" in html


def test_a_write_shows_in_the_pages_at_once(built_store, built_settings, tmp_path):
    """The pages keep their data per store version: a SPARQL update must not leave a stale page."""
    from support.liveserver import start_server, writable_copy

    token = "web-pages-token"
    srv = start_server(writable_copy(built_settings.store, tmp_path / "copy"), tmp_path,
                       env={"CLAIMGRAPH_UPDATE_TOKEN": token})
    try:
        with srv.client() as c:
            claims = c.get("/api/claims", params={"article": SLUG, "limit": 500}).json()["rows"]
            claim = next(x for x in claims if not x.get("note"))
            short = claim["claimId"].split("/")[1]
            note = "A note written after the build"
            assert note not in c.get(f"/read/{SLUG}").text
            people = dict(re.findall(r"<li>(\w+): (\d+)</li>", c.get("/").text)).get("Person", "0")
            update = ("PREFIX cg: <https://w3id.org/claimgraph/ontology#>\n"
                      "INSERT DATA { GRAPH <http://example.org/web-test> {\n"
                      f"  <{claim['id']}> cg:curatorNote \"{note}\" .\n"
                      "  <http://example.org/web-test/someone> cg:registerId \"web-test-someone\" ; cg:entityType \"Person\" .\n"
                      "} }")
            r = c.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 204, r.text
            panel = c.get(f"/read/{SLUG}").text.split(f'id="claim-{short}"')[1].split("</section>")[0]
            assert note in panel
            after = dict(re.findall(r"<li>(\w+): (\d+)</li>", c.get("/").text))["Person"]
            assert int(after) == int(people) + 1
    finally:
        srv.stop()


def test_every_mention_has_a_stable_deep_link(http):
    html = http.get(f"/read/{SLUG}").text
    sentences = http.get(f"/api/articles/{SLUG}/sentences", params={"limit": 500}).json()["rows"]
    mentions = [m for s in sentences for m in s.get("mentions", [])]
    assert mentions
    for m in mentions:
        assert f'id="mention-{m["id"].rsplit("/", 1)[-1]}"' in html


def test_every_entity_has_a_page_a_graph_and_a_comparison(http):
    ids = [r["registerId"] for r in http.get("/api/entities", params={"limit": 500}).json()["rows"]]
    assert len(ids) > 20
    for rid in ids:
        page = http.get(f"/entity/{rid}")
        assert page.status_code == 200, rid
        made = http.get("/api/claims", params={"claimant": rid, "limit": 500}).json()["count"]
        assert "Claims made by" in page.text and f"({made})</h2>" in page.text, rid
        assert http.get(f"/entity/{rid}/graph.json").status_code == 200
        assert http.get("/compare", params={"entity": rid}).status_code == 200


def test_claim_cards_read_one_or_several_hedges_and_stance_targets():
    """The pages take the REST claim row as it is now, or with several hedges and per-target stances."""
    from claimgraph.web.data import claim_card
    from claimgraph.web.marks import matches

    base = {"id": "x", "claimId": "a/c1", "attribution": "reported", "kind": "causal"}
    one = claim_card({**base, "stance": "critical", "stanceToward": {"id": "http://h/id/entity/russia"},
                      "hedge": {"text": "seem to", "begin": 1, "end": 8}})
    assert one["stances"] == [{"stance": "critical", "toward": {"id": "http://h/id/entity/russia"}}]
    assert [h["text"] for h in one["hedges"]] == ["seem to"] and "http://h/id/entity/russia" in one["related"]
    two = claim_card({**base, "stances": [{"stance": "critical", "toward": {"id": "http://h/id/entity/a"}},
                                          {"stance": "favourable", "toward": {"id": "http://h/id/entity/b"}}],
                      "hedges": [{"text": "On paper", "begin": 0, "end": 8}, {"text": "could", "begin": 15, "end": 20}]})
    assert two["stance"] == "mixed" and two["stance_words"] == ["critical", "favourable"]
    assert len(two["hedges"]) == 2 and len(two["towards"]) == 2
    assert matches(two, {"stance": "favourable"}) and matches(two, {"entity": "b"})
    assert not matches(two, {"stance": "neutral"}) and not matches(one, {"entity": "b"})
