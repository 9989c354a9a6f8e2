"""Updating a copy of the live version in place: only the changed articles' graphs.

The copy is a hard-linked snapshot (`Store.backup`), so it costs no time and
no space for what did not change. Articles removed or changed lose their
named graph and their own inferences (read back from their old cache entry);
the small graphs (ontology, register, description, inferences about register
nodes) are replaced wholesale; then the new and changed parts are loaded.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..triples.dataset import GraphNames
from .assemble import ChainedFiles, batches
from .cache import ASSERTED, INFERRED, PartCache
from .manifest import Manifest

FIXED = ("ontology", "entities", "links", "source-context", "dataset")


def usable(old: Manifest | None, parts: dict[str, str], cache: PartCache) -> bool:
    """Worth it and possible: most parts unchanged, and every old entry still cached."""
    if old is None or not old.shared.is_file():
        return False
    same = sum(parts.get(slug) == key for slug, key in old.parts.items())
    if same * 2 < len(parts):
        return False
    return all(cache.has(key) for slug, key in old.parts.items() if parts.get(slug) != key)


def _remove_file_quads(store: ox.Store, path: Path) -> None:
    if path.is_file() and path.stat().st_size:
        for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            store.remove(q)


def update(store: ox.Store, old: Manifest, parts: dict[str, str], cache: PartCache, names: GraphNames,
           fixed_file: Path) -> int:
    """Turn a copy of the old version into the new one; returns how many articles were replaced."""
    for name in FIXED:
        store.remove_graph(ox.NamedNode(names.mint.graph(name)))
    _remove_file_quads(store, old.shared)
    replaced = 0
    for slug, key in old.parts.items():
        if parts.get(slug) == key:
            continue
        store.remove_graph(ox.NamedNode(names.mint.article_graph(slug)))
        store.remove_graph(ox.NamedNode(names.mint.article_graph(slug) + "/draft"))
        _remove_file_quads(store, cache.entry(key) / INFERRED)
    files = [fixed_file]
    for slug, key in parts.items():
        if old.parts.get(slug) != key:
            files += [cache.entry(key) / ASSERTED, cache.entry(key) / INFERRED]
            replaced += 1
    if replaced > 50:  # many articles: the bulk loader, not one big transaction in memory
        for batch in batches(files):
            with ChainedFiles(batch) as stream:
                store.bulk_load(stream, ox.RdfFormat.N_QUADS)
    else:
        with ChainedFiles(files) as stream:
            store.load(stream, ox.RdfFormat.N_QUADS)
    return replaced
