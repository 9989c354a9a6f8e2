"""An entity mentioned in every article of a 300-article corpus has the same page as in a
one-article corpus: identity, names and links whole, its mentions and claims capped and
flagged, never a 404 (at 200 articles its inferred mentions once crowded its id out)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from claimgraph.build import build
from support.liveserver import start_server

from support import scale_corpus

ARTICLES = 300


def _copy(term, old: str, new: str):  # noqa: ANN001, ANN202 - pyoxigraph terms
    if isinstance(term, ox.NamedNode) and old in term.value:
        return ox.NamedNode(term.value.replace(old, new))
    return term


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, settings_for) -> tuple[Path, Path]:
    """A built one-article store, and the same with 299 more copies of its article.

    The copies are the built article's own quads (its graph and its inferences) under other
    slugs: exactly what building 300 copies gives, without 300 builds in the test suite."""
    tmp = tmp_path_factory.mktemp("scale")
    data = scale_corpus.make_corpus(tmp / "data", 1)
    settings = settings_for(tmp / "one", data_dir=data, reasoner="hermit")
    build(settings)
    one = ox.Store.read_only(str(settings.store.resolve()))
    first = scale_corpus.slug(1)
    own = [q for q in one if any(isinstance(t, ox.NamedNode) and f"/{first}" in t.value
                                 for t in (q.subject, q.object, q.graph_name))]
    big = ox.Store(str(tmp / "big"))
    big.bulk_extend(iter(one))

    def copies():  # noqa: ANN202
        for i in range(2, ARTICLES + 1):
            old, new = f"/{first}", f"/{scale_corpus.slug(i)}"
            for q in own:
                yield ox.Quad(*(_copy(t, old, new) for t in (q.subject, q.predicate, q.object, q.graph_name)))

    big.bulk_extend(copies())
    big.flush()
    russia = ox.NamedNode(settings.base_iri + "entity/russia")
    mentioned = ox.NamedNode("https://w3id.org/claimgraph/ontology#mentionedIn")
    assert sum(1 for _ in big.quads_for_pattern(russia, mentioned, None)) > 2000, "russia is a hub"
    del big
    return settings.store, tmp / "big"


def test_claim_pages_walk_articles_in_the_same_order_as_sorting_every_claim(stores: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    from claimgraph.api.rest.queries import claims_page

    _small, big = stores
    store = ox.Store.read_only(str(big))
    expected = []
    for r in store.query(claims_page(frozenset()).replace("LIMIT", "LIMIT 1500 #"), use_default_graph_as_union=True):
        if r["item"].value not in expected:
            expected.append(r["item"].value)
    del store
    server = start_server(big, tmp_path)
    got: list[str] = []
    try:
        with server.client() as c:
            cursor = None
            for _ in range(3):
                r = c.get("/api/claims", params={"limit": 500, **({"cursor": cursor} if cursor else {})})
                assert r.status_code == 200, r.text[:300]
                body = r.json()
                got += [row["id"] for row in body["rows"]]
                cursor = body["next"]
                assert cursor
    finally:
        server.stop()
    assert got == expected[:1500]


def test_a_hub_entity_page_is_whole_at_300_articles(stores: tuple[Path, Path], tmp_path: Path) -> None:
    small, big = stores
    pages = {}
    for name, store in (("small", small), ("big", big)):
        server = start_server(store, tmp_path)
        try:
            with server.client() as c:
                r = c.get("/api/entities/russia")
                assert r.status_code == 200, (name, r.text[:300])
                pages[name] = r.json()["item"]
        finally:
            server.stop()
    small_item, big_item = pages["small"], pages["big"]
    nested = {"mentionedAs", "claimsAbout", "references", "truncated", "statements"}
    identity = {k: v for k, v in small_item.items() if k not in nested}
    assert identity, small_item
    assert {k: v for k, v in big_item.items() if k not in nested} == identity
    assert big_item["truncated"]["mentionedAs"] is True
    assert len(big_item["mentionedAs"]) == 200
    assert len(small_item["mentionedAs"]) < 200 and small_item["truncated"]["mentionedAs"] is False
    assert all("/article/synthetic-" in m["id"] for m in big_item["mentionedAs"]), big_item["mentionedAs"][0]
    assert len({m["id"] for m in big_item["mentionedAs"]}) == 200


def test_the_build_tables_give_the_first_rows_of_the_page_queries_in_reading_order(stores: tuple[Path, Path]) -> None:
    """store/entity_lists.py against the page's own queries, unlimited and sorted: the same first
    rows, for every entity (the hub's 300+ rows as much as a rare entity's few)."""
    import sqlite3

    from claimgraph.api.rest.entities import in_order
    from claimgraph.api.rest.queries import CLAIMS_ABOUT_ENTITY, MENTIONS_OF_ENTITY
    from claimgraph.api.rest.views import py
    from claimgraph.store import entity_lists

    _small, big = stores
    store = ox.Store.read_only(str(big))
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    entity_lists.fill(conn, store)
    lists = entity_lists.EntityLists(conn)
    entities = [e for (e,) in conn.execute("SELECT entity FROM listed")]
    assert len(entities) > 10
    hub = 0
    for iri in entities:
        node = {"entity": ox.NamedNode(iri)}
        for query, item, got in ((MENTIONS_OF_ENTITY, "mention", lists.mentions(iri, 201)),
                                 (CLAIMS_ABOUT_ENTITY, "claim", lists.claims_about(iri, 201))):
            unlimited = query.replace("LIMIT", "# LIMIT")
            found = store.query(unlimited, substitutions={ox.Variable("entity"): node["entity"]},
                                use_default_graph_as_union=True)
            names = [v.value for v in found.variables]
            rows = in_order([{k: r[k] for k in names if r[k] is not None} for r in found], item)
            expected = [{k: py(v) for k, v in r.items()} for r in rows[:201]]
            assert [{k: r[k] for k in e} for r, e in zip(got, expected)] == expected, (iri, item)
            assert len(got) == len(expected), (iri, item)
            hub = max(hub, len(rows))
    assert hub > 201, "some entity's list is cut"


def test_nodes_read_together_are_the_nodes_read_one_by_one(stores: tuple[Path, Path]) -> None:
    """api/rest/views.py node_triples: a few nodes a query, and a hub among them (russia has more
    than NODE_LIMIT triples here) sends its batch back to one bounded query per node."""
    from claimgraph.api.rest.views import NODE_LIMIT, NODE_TRIPLES, node_triples
    from claimgraph.config import Settings
    from claimgraph.sparql.engine import SparqlEngine

    _small, big = stores
    engine = SparqlEngine(Settings().with_overrides(store=big))
    base = "http://127.0.0.1:8000/id/"
    refs = [r["r"].value for r in engine.run_trusted(
        "SELECT DISTINCT ?r WHERE { ?r <https://w3id.org/claimgraph/ontology#refersTo> ?x } ORDER BY ?r LIMIT 60")]
    assert len(refs) == 60
    russia = base + "entity/russia"

    def one_by_one(iris: list[str]) -> dict[str, set]:
        return {i: {(r["p"].value, str(r["o"])) for r in engine.run_trusted(NODE_TRIPLES, {"s": ox.NamedNode(i)})}
                for i in iris}

    for iris in (refs, refs[:10] + [russia] + refs[10:20]):
        got = node_triples(engine, iris)
        assert {i: {(r["p"].value, str(r["o"])) for r in got[i]} for i in iris} == one_by_one(iris)
    assert len(node_triples(engine, [russia])[russia]) == NODE_LIMIT  # bounded, as one by one


def test_the_web_page_of_a_hub_lists_the_first_claims_and_links_to_the_rest(stores: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    """/entity/russia at 300 articles: the first 200 claims about it, marked as more and linked to the
    paged list, and at most 201 incoming links in (predicate, subject) order, not every claim and link."""
    import re

    _small, big = stores
    server = start_server(big, tmp_path)
    try:
        with server.client(timeout=120) as c:
            r = c.get("/entity/russia")
            api = c.get("/api/claims", params={"subject": "russia", "limit": 200}).json()
    finally:
        server.stop()
    assert r.status_code == 200, r.text[:300]
    page = r.text
    assert "Claims about Russia (200+)" in page
    assert 'href="/api/claims?subject=russia"' in page
    about = page.split('id="about"', 1)[1].split("<h2", 1)[0]
    shown = list(dict.fromkeys(re.findall(r'>(synthetic-\d+/c\d+)</a>', about)))
    assert api["next"] and len(api["rows"]) == 200
    incoming = page.split("Links to it (incoming)", 1)[1].split("</table>", 1)[0]
    assert 0 < incoming.count("<tr>") <= 201
    assert shown == [row["claimId"] for row in api["rows"]], (shown[:3], api["rows"][0].get("claimId"))
