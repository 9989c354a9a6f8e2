"""The entity page read from the build's tables (store/entity_lists.py) is the page the store's
own queries give, over HTTP, for every entity of a small corpus; a version without the tables
(older code, or a write through the API) is served by the queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from claimgraph.build import build
from claimgraph.store import search_index
from support.liveserver import start_server

from support import scale_corpus


def _walk(c, subject: str) -> list[dict]:  # noqa: ANN001 - an httpx client
    """Every page of /api/claims?subject=, three claims a page, cursors and all."""
    pages, cursor = [], None
    while True:
        r = c.get("/api/claims", params={"subject": subject, "limit": 3, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, (subject, r.text[:300])
        pages.append(r.json())
        cursor = r.json()["next"]
        if not cursor:
            return pages


def _pages(store: Path, tmp: Path, ids: list[str], walk: tuple[str, ...] = ()) -> dict[str, dict]:
    server = start_server(store, tmp)
    try:
        with server.client() as c:
            out = {}
            for entity_id in ids:
                r = c.get(f"/api/entities/{entity_id}")
                assert r.status_code == 200, (entity_id, r.text[:300])
                out[entity_id] = r.json()["item"]
            for subject in walk:
                out[f"claims?subject={subject}"] = _walk(c, subject)
            return out
    finally:
        server.stop()


def test_the_page_from_the_tables_equals_the_page_from_the_store(tmp_path: Path, settings_for) -> None:
    data = scale_corpus.make_corpus(tmp_path / "data", 3)
    settings = settings_for(tmp_path / "live", data_dir=data, reasoner="none")
    build(settings)
    path = search_index.index_path(settings.store, settings.store.resolve())
    assert path is not None and path.is_file()
    with sqlite3.connect(path) as conn:
        listed = [e for (e,) in conn.execute("SELECT entity FROM listed ORDER BY entity")]
        counts = dict(conn.execute("SELECT entity, count(*) FROM mentions GROUP BY entity"))
    ids = [e.rsplit("/", 1)[1] for e in listed if "/entity/" in e]
    assert len(ids) > 10
    # The claims list by subject is read from the same tables: walked page by page, both ways.
    walk = tuple(sorted(ids, key=lambda i: -counts.get(f"{settings.base_iri}entity/{i}", 0))[:4])
    from_tables = _pages(settings.store, tmp_path, ids, walk)
    assert sum(len(p["rows"]) for p in from_tables[f"claims?subject={walk[0]}"]) > 6, "several pages"
    assert sum(len(from_tables[i].get("mentionedAs", [])) for i in ids) == sum(counts.values())

    # The server reads the tables: take one entity's mentions out of them and its page loses them.
    most = max(counts, key=counts.get)
    assert from_tables[most.rsplit("/", 1)[1]]["mentionedAs"]
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM mentions WHERE entity = ?", (most,))
    tampered = _pages(settings.store, tmp_path, [most.rsplit("/", 1)[1]])
    assert "mentionedAs" not in tampered[most.rsplit("/", 1)[1]]

    # The same file without the tables, as older code wrote it: the store's queries answer.
    with sqlite3.connect(path) as conn:
        for table in ("mentions", "claims", "claims_about", "listed"):
            conn.execute(f"DROP TABLE {table}")
    from_store = _pages(settings.store, tmp_path, ids, walk)
    assert from_tables == from_store
    assert any(from_store[i].get("claimsAbout") for i in ids)
