"""A rebuild redoes only the articles that changed, and ends with exactly the store a clean
build of the same data makes: after adding, changing and deleting articles."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyoxigraph as ox

from claimgraph.build import build
from claimgraph.store import entity_lists, search_index
from claimgraph.stream.cache import cache_root

from support import scale_corpus

ENTITY_TABLES = ("mentions", "claims", "claims_about", "listed")


def quads(store: Path) -> set[tuple[str, ...]]:
    """Every quad; blank nodes (only the ontology's restrictions) by position, not label."""
    s = ox.Store.read_only(str(store.resolve()))
    out = set()
    for q in s:
        terms = [q.subject, q.predicate, q.object, q.graph_name]
        out.add(tuple("_:b" if isinstance(t, ox.BlankNode) else str(t) for t in terms))
    return out


def index_matches_store(store: Path) -> bool:
    """The version's search index file holds exactly the rows a whole-store read gives (an
    incremental build writes it from the previous version's file and the changed articles)."""
    version = store.resolve()
    path = search_index.index_path(store, version)
    assert path is not None and path.is_file()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    fresh = sqlite3.connect(":memory:")
    try:
        got = [r for t in search_index.TABLES.values()
               for r in conn.execute(f"SELECT item, resource, field, text, label, detail FROM {t}")]
        # The entity lists too (store/entity_lists.py): the same rows as a whole fill from the version.
        entity_lists.fill(fresh, ox.Store.read_only(str(version)))
        lists = {t: sorted(conn.execute(f"SELECT * FROM {t}")) for t in ENTITY_TABLES}
        assert lists == {t: sorted(fresh.execute(f"SELECT * FROM {t}")) for t in ENTITY_TABLES}
        assert lists["mentions"] and lists["claims_about"]
    finally:
        conn.close()
        fresh.close()
    expected = set(search_index.rows_of(ox.Store.read_only(str(version))))
    return len(got) == len(set(got)) and set(got) == expected


def clean_build(data: Path, settings_for, where: Path) -> set[tuple[str, ...]]:
    settings = settings_for(where, data_dir=data, reasoner="hermit")
    build(settings)
    return quads(settings.store)


def test_incremental_equals_clean_after_add_change_delete(tmp_path: Path, settings_for) -> None:
    data = scale_corpus.make_corpus(tmp_path / "data", 2)
    settings = settings_for(tmp_path / "live", data_dir=data, reasoner="hermit")
    first = build(settings)
    assert (first.articles, first.compiled) == (2, 2)

    warm = build(settings)
    assert warm.compiled == 0, "nothing changed: nothing is compiled again"
    assert first.replaced is None and warm.replaced == 0
    # Nothing changed at all: no new version, the live one stays (with its search index).
    assert warm.unchanged and warm.store_dir == first.store_dir == settings.store.resolve()
    assert quads(settings.store) == clean_build(data, settings_for, tmp_path / "clean0")

    scale_corpus.add_article(data, 3)
    added = build(settings)
    assert (added.articles, added.compiled, added.replaced) == (3, 1, 1)
    assert not added.unchanged and added.store_dir != first.store_dir
    assert quads(settings.store) == clean_build(data, settings_for, tmp_path / "clean1")
    assert index_matches_store(settings.store)

    reading = data / "articles" / scale_corpus.slug(1) / "reading.yaml"
    text = reading.read_text()
    turned = text.replace("stance: favourable", "stance: neutral", 1)
    assert turned != text
    reading.write_text(turned)
    changed = build(settings)
    assert (changed.articles, changed.compiled, changed.replaced) == (3, 1, 1)
    after_change = quads(settings.store)
    assert after_change == clean_build(data, settings_for, tmp_path / "clean2")
    assert index_matches_store(settings.store)

    shutil.rmtree(data / "articles" / scale_corpus.slug(2))
    deleted = build(settings)
    assert (deleted.articles, deleted.compiled, deleted.replaced) == (2, 0, 0)
    after_delete = quads(settings.store)
    assert after_delete == clean_build(data, settings_for, tmp_path / "clean3")
    assert index_matches_store(settings.store)
    gone = f"graph/article/{scale_corpus.slug(2)}>"
    assert any(q[3].endswith(gone) for q in after_change)
    assert not any(q[3].endswith(gone) or scale_corpus.slug(2) in q[0] for q in after_delete)


def test_the_cache_keeps_only_what_the_live_version_uses(tmp_path: Path, settings_for) -> None:
    data = scale_corpus.make_corpus(tmp_path / "data", 2)
    settings = settings_for(tmp_path, data_dir=data, reasoner="none")
    build(settings)
    shutil.rmtree(data / "articles" / scale_corpus.slug(2))
    build(settings)
    entries = [p for p in (cache_root(settings.store) / "parts").iterdir()]
    assert len(entries) == 1


def test_a_register_change_alone_makes_a_new_version(tmp_path: Path, settings_for) -> None:
    data = scale_corpus.make_corpus(tmp_path / "data", 1)
    settings = settings_for(tmp_path / "live", data_dir=data, reasoner="none")
    first = build(settings)
    entities = data / "entities.yaml"
    text = entities.read_text()
    changed = text.replace("aliases: [Russian Federation,", "aliases: [Rossiya, Russian Federation,", 1)
    assert changed != text
    entities.write_text(changed)
    second = build(settings)
    assert not second.unchanged and second.store_dir != first.store_dir
    assert index_matches_store(settings.store)  # the register's rows are read afresh
    s = ox.Store.read_only(str(settings.store.resolve()))
    assert any(r["a"].value == "Rossiya" for r in s.query(
        "SELECT ?a WHERE { ?e <http://www.w3.org/2004/02/skos/core#altLabel> ?a }", use_default_graph_as_union=True))
    third = build(settings)
    assert third.unchanged and third.store_dir == second.store_dir


def test_a_version_from_before_the_fixed_quads_were_kept_is_updated_whole(tmp_path: Path, settings_for) -> None:
    # A manifest written by older code has no copy of the small graphs' quads: the update then
    # replaces them whole (as before) instead of applying the changed lines, and ends the same.
    data = scale_corpus.make_corpus(tmp_path / "data", 3)
    settings = settings_for(tmp_path / "live", data_dir=data, reasoner="none")
    build(settings)
    kept = list((cache_root(settings.store) / "manifests").glob("*.fixed.nq"))
    assert len(kept) == 1
    kept[0].unlink()
    scale_corpus.add_article(data, 4)
    added = build(settings)
    assert added.replaced == 1
    clean = settings_for(tmp_path / "clean", data_dir=data, reasoner="none")
    build(clean)
    assert quads(settings.store) == quads(clean.store)
    assert len(list((cache_root(settings.store) / "manifests").glob("*.fixed.nq"))) == 1
