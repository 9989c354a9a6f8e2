"""The search index (store/search_index.py): written by the build beside each store version,
opened by the serving processes, dropped when a write changes the version, pruned with it."""

from __future__ import annotations

import shutil
import sqlite3

import httpx
import pyoxigraph as ox
import pytest
from support.liveserver import start_server, writable_copy

from claimgraph.store import search_index as sidx
from claimgraph.store.swap import current_version_dir


def _rows(store_dir) -> set[tuple[str, ...]]:
    return set(sidx.rows_of(ox.Store.read_only(str(store_dir))))


def test_the_build_writes_an_index_of_every_name_and_claim_text(built_store, built_settings):
    live = current_version_dir(built_settings.store)
    path = sidx.index_path(built_settings.store, live)
    assert path is not None and path.is_file()
    expected = _rows(live)
    names = {r for r in expected if r[1] == "entity"}
    texts = {r for r in expected if r[1] == "claim"}
    assert names and texts
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        got_names = set(conn.execute("SELECT item, resource, field, text, label, detail FROM names"))
        got_texts = set(conn.execute("SELECT item, resource, field, text, label, detail FROM texts"))
    assert got_names == names and got_texts == texts
    # Only the live version and the one before it keep an index (swap.KEEP_VERSIONS).
    folder = path.parent
    assert len([p for p in folder.iterdir() if p.suffix == ".sqlite"]) <= 2


def test_rows_read_a_few_graphs_at_a_time_are_the_same_rows(built_store, built_settings):
    """What a front end on a remote backend indexes (sidx.rows_by_parts: Virtuoso cuts one big answer)."""
    live = current_version_dir(built_settings.store)
    store = ox.Store.read_only(str(live))

    def run(sparql: str) -> list[dict]:
        result = store.query(sparql, use_default_graph_as_union=True)
        return [{v.value: sol[v.value] for v in result.variables} for sol in result]

    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    for per_query in (1, 3, len(graphs)):
        rows = sidx.rows_by_parts(run, graphs, per_query)
        assert len(rows) == len(set(rows)) and set(rows) == _rows(live), per_query


def test_candidates_tolerate_typos_in_names_and_find_words_in_texts(built_store, built_settings):
    index = sidx.SearchIndex.open(sidx.index_path(built_settings.store, current_version_dir(built_settings.store)))
    assert any(r.text == "Russia" for r in index.candidates("Rusia", "entity"))
    found = index.candidates("economic rapprochement", "claim")
    assert found and all("economic" in r.text.lower() and "rapprochement" in r.text.lower() for r in found)
    assert any("sanction" in r.text.lower() for r in index.near_texts("sanctoins"))
    assert index.candidates("qqqqzzzz") == []


@pytest.fixture
def served(built_store, built_settings, tmp_path):
    store = writable_copy(built_settings.store, tmp_path)
    live = current_version_dir(built_settings.store)
    built = sidx.index_path(built_settings.store, live)
    mine = sidx.index_path(store, current_version_dir(store))
    mine.parent.mkdir(parents=True)
    shutil.copy(built, mine)
    srv = start_server(store, tmp_path, env={"CLAIMGRAPH_UPDATE_TOKEN": ""})
    yield srv, store, mine
    srv.stop()


def test_a_read_only_server_searches_the_builds_index(served):
    srv, _store, mine = served
    r = httpx.get(f"{srv.url}/api/search", params={"q": "Rusia"}, timeout=30)
    assert r.status_code == 200 and r.json()["rows"][0]["registerId"] == "russia"
    health = httpx.get(f"{srv.url}/health", timeout=30).json()
    assert health["search"]["index"] == "build"


def test_a_write_drops_the_versions_index_and_search_sees_the_write(built_store, built_settings, mint, tmp_path):
    store = writable_copy(built_settings.store, tmp_path)
    mine = sidx.index_path(store, current_version_dir(store))
    mine.parent.mkdir(parents=True)
    shutil.copy(sidx.index_path(built_settings.store, current_version_dir(built_settings.store)), mine)
    srv = start_server(store, tmp_path, env={"CLAIMGRAPH_UPDATE_TOKEN": "secret"})
    try:
        entity = mint.entity("russia")
        update = (f'INSERT DATA {{ GRAPH <urn:test:aliases> {{ <{entity}> '
                  '<http://www.w3.org/2004/02/skos/core#altLabel> "Zyxlandia"@en } }')
        r = httpx.post(f"{srv.url}/sparql", data={"update": update}, headers={"Authorization": "Bearer secret"},
                       timeout=30)
        assert r.status_code in (200, 204), r.text
        assert not mine.exists()  # the live version changed: its index no longer describes it
        hits = httpx.get(f"{srv.url}/api/search", params={"q": "Zyxlandia"}, timeout=30).json()["rows"]
        assert hits and hits[0]["registerId"] == "russia" and hits[0]["field"] == "alias"
        assert httpx.get(f"{srv.url}/health", timeout=30).json()["search"]["index"] == "memory"
    finally:
        srv.stop()


def _synthetic_rows(base: str) -> list[tuple[str, ...]]:
    return ([(f"{base}article/a{i}/claim/c{j}", "claim", "quote", f"quoted text {i} {j}", "label", "assertion")
             for i in range(3) for j in range(2)]
            + [(f"{base}entity/x", "entity", "label", "Xland", "Xland", "State")])


def _items(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return sorted(r[0] for r in conn.execute("SELECT item FROM texts"))


@pytest.mark.parametrize("owners", [True, False], ids=["owners-table", "file-without-owners"])
def test_an_incremental_index_drops_exactly_the_changed_articles_rows(tmp_path, owners):
    base = "http://example.org/id/"
    first = tmp_path / "v1.sqlite"
    sidx.write(first, _synthetic_rows(base))
    with sqlite3.connect(first) as conn:
        owned = conn.execute("SELECT t.item, a.prefix FROM texts t JOIN owners o ON o.rid = t.rowid "
                             "JOIN articles a ON a.id = o.article").fetchall()
        assert len(owned) == 6 and all(item.startswith(prefix) for item, prefix in owned)
        if not owners:  # as an index written by older code: the owners are added to the new file
            conn.executescript("DROP TABLE owners; DROP TABLE articles;")
    second = tmp_path / "v2.sqlite"
    sidx.write_updated(second, first, ox.Store(), [], (f"{base}article/a1/",))
    assert _items(second) == sorted(r[0] for r in _synthetic_rows(base) if r[1] == "claim" and "/a1/" not in r[0])
    assert _items(first) == sorted(r[0] for r in _synthetic_rows(base) if r[1] == "claim")  # the old version's file untouched
    with sqlite3.connect(second) as conn:
        assert conn.execute("SELECT count(*) FROM owners").fetchone()[0] == 4
