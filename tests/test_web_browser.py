"""The web app in a real browser: Debian's chromium, headless, driven by Playwright against a live
`claimgraph serve`. Every page is opened with the network cut off except our own origin, and the
test fails if any request tries to leave it.

Never `playwright install`: the browser is /usr/bin/chromium (installed by .ci/run).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from claimgraph.web.screenshots import CHROMIUM, launch
from claimgraph.web.vendor import VENDOR

SLUG = "us-russia-reconfiguration"
AXE = VENDOR / "axe-core" / "axe.min.js"

if not Path(CHROMIUM).exists():  # pragma: no cover - .ci/run installs it; say so loudly rather than skip
    raise RuntimeError(f"{CHROMIUM} is missing: `apt-get install chromium` (the browser tests drive it)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


class Offline:
    """A page whose requests may only go to our own origin; any other is aborted and remembered."""

    def __init__(self, browser, base: str, width: int = 1280):
        self.base = base
        origin = urlsplit(base).netloc
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})

        def gate(route):
            if urlsplit(route.request.url).netloc == origin or route.request.url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        self.context.route("**/*", gate)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser, server):
    made: list[Offline] = []

    def open_(width: int = 1280) -> Offline:
        o = Offline(browser, server.url, width)
        made.append(o)
        return o

    yield open_
    for o in made:
        assert o.outside == [], f"requests left the origin: {o.outside}"
        assert o.errors == [], f"script errors: {o.errors}"
        o.close()


def test_home_search_autocompletes_an_entity(offline):
    page = offline().goto("/")
    assert page.locator("#count-articles").inner_text() == "1"
    assert page.locator("#articles a", has_text="Moscow is in no hurry").count() == 1
    page.fill("#home-q", "rusia")  # a typo: the REST search tolerates it
    option = page.locator("#home-q-list li", has_text="Russia").first
    option.wait_for()
    assert "State" in option.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/entity/russia$"))
    assert page.locator("h1").inner_text() == "Russia"


def test_clicking_a_reported_claim_shows_its_claimant_and_attribution(offline, http):
    claims = http.get("/api/claims", params={"article": SLUG, "attribution": "reported", "limit": 1}).json()["rows"]
    claim = claims[0]
    short = claim["claimId"].split("/")[1]
    page = offline().goto(f"/read/{SLUG}")
    panel = page.locator(f"#claim-{short}")
    assert not panel.is_visible()
    page.locator(f'mark.claim[data-claim="{short}"]').first.click()
    assert panel.is_visible()
    assert panel.locator("blockquote").inner_text() == claim["quote"]["text"]
    assert claim["claimant"]["label"] in panel.locator(".claimant").inner_text()
    assert panel.locator(".attribution").inner_text().startswith("reported")
    # the click made a deep link that reopens the same claim
    assert f"claim={short}" in page.url
    again = offline().goto(urlsplit(page.url).path + "?" + urlsplit(page.url).query)
    assert again.locator(f"#claim-{short}").is_visible()
    assert again.locator(f'mark.claim.selected[data-claim="{short}"]').count() >= 1


def test_a_deep_link_selects_a_claim_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/read/{SLUG}?claim=c4#claim-c4")
        assert page.locator("#claim-c4").is_visible()
        assert not page.locator("#claim-c5").is_visible()
        assert page.locator("mark.claim").count() >= 50  # the marks are server-rendered HTML
    finally:
        context.close()


def test_filtering_by_an_entity_marks_only_its_claims(offline, http):
    rows = http.get("/api/claims", params={"article": SLUG, "subject": "china", "limit": 500}).json()["rows"]
    about_china = {r["claimId"].split("/")[1] for r in rows}
    assert about_china
    page = offline().goto(f"/read/{SLUG}")
    total = page.locator("mark.claim").count()
    page.select_option("#filter-entity", "china")
    on = set(page.eval_on_selector_all("mark.claim:not(.off)", "ms => ms.map(m => m.dataset.claim)"))
    # every claim about China stays marked; claims with no tie to China (claimant, about, stance target) do not
    assert about_china <= on
    assert 0 < len(on) < len({m for m in page.eval_on_selector_all("mark.claim", "ms => ms.map(m => m.dataset.claim)")})
    assert page.locator("mark.claim.off").count() > 0 and page.locator("mark.claim").count() == total
    assert "entity=china" in page.url
    verbatim = http.get(f"/api/articles/{SLUG}").json()["item"]["content"]["string"]
    words = "() => { const t = document.getElementById('text').cloneNode(true); " \
            "t.querySelectorAll('a.cid').forEach(a => a.remove()); return t.textContent; }"
    assert page.evaluate(words) == verbatim  # the text stays whole and verbatim; only marks change
    page.select_option("#filter-entity", "")
    assert page.locator("mark.claim.off").count() == 0
    assert page.evaluate(words) == verbatim
    visible_ticks = page.locator(".overview a:not(.off)").count()
    page.select_option("#filter-voice", "reported")
    assert page.locator(".overview a:not(.off)").count() < visible_ticks


def test_entity_page_shows_claims_made_by_and_about_it_and_opens_the_graph(offline):
    page = offline().goto(f"/read/{SLUG}?claim=c2#claim-c2")
    page.locator("#claim-c2 dd a").filter(has_text="The National Interest").first.click()
    page.wait_for_url(re.compile(r"/entity/the-national-interest$"))
    assert page.locator("#made").inner_text().startswith("Claims made by The National Interest")
    assert page.locator("#made + table tbody tr").count() >= 1
    assert page.locator("#about + table tbody tr").count() >= 1
    assert page.evaluate("typeof window.cytoscape") == "undefined"  # loaded only when opened
    page.click("#open-graph")
    page.wait_for_selector("#graph[data-ready=true]")
    nodes = page.evaluate("window.claimgraphGraph.nodes().length")
    assert nodes >= 2
    assert page.evaluate("window.claimgraphGraph.getElementById('the-national-interest').length") == 1


def test_the_editor_runs_a_named_query_offline_and_shows_rows(offline, http):
    named = {q["name"]: q for q in http.get("/api/queries").json()["rows"]}
    answer = http.post("/sparql", data={"query": named["claims-by-voice"]["example_sparql"]},
                       headers={"Accept": "application/sparql-results+json"})
    expected = len(answer.json()["results"]["bindings"])
    assert expected > 0
    page = offline().goto("/editor?named=claims-by-voice")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr")
    assert page.locator(".yasr table tbody tr").count() == min(expected, 50)
    assert "claimant" in page.locator(".yasr table thead").inner_text()


def test_the_api_docs_render_offline(offline):
    page = offline().goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock-summary-path", has_text="/api/claims").count() >= 1


PAGE_KINDS = ["/", f"/read/{SLUG}", f"/read/{SLUG}?claim=c3#claim-c3", "/entity/russia", "/compare?entity=russia",
              "/search?q=sanctions", "/queries", "/editor", "/docs", "/timeline"]


@pytest.mark.parametrize("path", PAGE_KINDS)
def test_no_serious_or_critical_accessibility_violation(offline, path):
    o = offline()
    page = o.goto(path)
    if path == "/docs":
        page.wait_for_selector(".swagger-ui .opblock")
    if path == "/editor":
        page.wait_for_selector(".yasqe .CodeMirror")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    bad = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)


def test_the_reader_is_readable_at_phone_width(offline):
    page = offline(width=390).goto(f"/read/{SLUG}?claim=c4#claim-c4")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"
    assert page.locator("#claim-c4").is_visible()


def test_the_keyboard_reaches_and_opens_a_claim(offline):
    page = offline().goto(f"/read/{SLUG}")
    page.focus("#m-c1 > a.cid")
    assert page.evaluate("document.activeElement.closest('mark').dataset.claim") == "c1"
    page.keyboard.press("Enter")
    assert page.locator("#claim-c1").is_visible()
    assert page.evaluate("document.activeElement.id") == "claim-c1"  # focus moves to the panel
    page.keyboard.press("Escape")
    assert not page.locator("#claim-c1").is_visible()
    assert page.evaluate("document.activeElement.closest('mark').dataset.claim") == "c1"  # and back


def test_the_print_view_shows_every_label_inline(offline):
    page = offline().goto(f"/read/{SLUG}")
    page.emulate_media(media="print")
    first = page.locator("#text mark.claim").first
    kind, voice = first.get_attribute("data-kind"), first.get_attribute("data-voice")
    label = first.evaluate("m => getComputedStyle(m, '::after').content")
    assert kind in label and voice in label
    assert page.locator(".panel:visible").count() == page.locator(".panel").count()  # every claim's panel printed


def test_a_claims_sparql_link_runs_in_the_editor_and_selects_it(offline):
    page = offline().goto(f"/read/{SLUG}?claim=c2#claim-c2")
    page.locator("#claim-c2 a", has_text="SPARQL that selects it").click()
    page.wait_for_url(re.compile(r"/editor\?query="))
    page.wait_for_selector(".yasqe .CodeMirror")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr")
    table = page.locator(".yasr table tbody").inner_text()
    assert "claimKind" in table and "quote" in table  # the claim's own triples
