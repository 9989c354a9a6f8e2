"""Updating a copy of the live version in place: only the changed articles' graphs.

The copy is a hard-linked snapshot (`Store.backup`), so it costs no time and
no space for what did not change. Articles removed or changed lose their
named graph and their own inferences (read back from their old cache entry);
the small graphs (ontology, register, description, inferences about register
nodes) get the lines that changed since the old version's (its manifest keeps
them); then the new and changed parts are loaded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from ..triples.dataset import GraphNames
from .assemble import bulk_load_files
from .cache import ASSERTED, INFERRED, PartCache
from .manifest import Manifest

_BLANK = re.compile(rb"_:\S+")


def blank_free(line: bytes) -> bytes:
    """An N-Quads line with its blank node labels erased: rdflib labels the ontology's restrictions
    afresh on every parse, so lines are compared across builds without them."""
    return _BLANK.sub(b"_:", line)

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


def _by_graph(lines: Iterable[bytes]) -> dict[bytes, set[bytes]]:
    """N-Quads lines (as nq_lines writes them: one space between terms) grouped by graph IRI."""
    out: dict[bytes, set[bytes]] = {}
    for line in lines:
        if line:
            out.setdefault(line.rsplit(b" ", 2)[-2], set()).add(line)
    return out


def _fixed_changes(store: ox.Store, old: Path, new: Path) -> bytes:
    """Make the store's small graphs (ontology, register, description, shared inferences) match `new`,
    touching only what changed: the description gains a few lines per article added, and removing
    and reloading it whole cost ~1.5 s at 10,000 articles. Returns the lines to load. A graph with
    blank nodes (the ontology's restrictions, labelled afresh on every parse) is replaced whole when
    anything in it changed."""
    before, after = _by_graph(old.read_bytes().split(b"\n")), _by_graph(new.read_bytes().split(b"\n"))
    add: list[bytes] = []
    for graph in before.keys() | after.keys():
        was, now = before.get(graph, set()), after.get(graph, set())
        if was == now:
            continue
        if any(b"_:" in line for line in was | now):
            if {blank_free(x) for x in was} == {blank_free(x) for x in now}:
                continue
            store.remove_graph(ox.NamedNode(graph[1:-1].decode()))
            add += now
            continue
        gone = b"\n".join(was - now)
        if gone:
            for q in ox.parse(gone, format=ox.RdfFormat.N_QUADS):
                store.remove(q)
        add += now - was
    return b"\n".join(sorted(add)) + b"\n" if add else b""


def update(store: ox.Store, old: Manifest, parts: dict[str, str], cache: PartCache, names: GraphNames,
           fixed_file: Path) -> int:
    """Turn a copy of the old version into the new one; returns how many articles were replaced."""
    if old.fixed_quads is not None:
        fixed = _fixed_changes(store, old.fixed_quads, fixed_file)
    else:  # a manifest written before fixed_quads existed: the small graphs replaced whole
        for name in FIXED:
            store.remove_graph(ox.NamedNode(names.mint.graph(name)))
        _remove_file_quads(store, old.shared)
        fixed = fixed_file.read_bytes()
    replaced = 0
    for slug, key in old.parts.items():
        if parts.get(slug) == key:
            continue
        store.remove_graph(ox.NamedNode(names.mint.article_graph(slug)))
        store.remove_graph(ox.NamedNode(names.mint.article_graph(slug) + "/draft"))
        _remove_file_quads(store, cache.entry(key) / INFERRED)
    files = []
    for slug, key in parts.items():
        if old.parts.get(slug) != key:
            files += [cache.entry(key) / ASSERTED, cache.entry(key) / INFERRED]
            replaced += 1
    if replaced > 50:  # many articles: the bulk loader, not one big transaction in memory
        if fixed:
            store.bulk_load(fixed, ox.RdfFormat.N_QUADS)
        bulk_load_files(store, files)
    else:
        store.load(fixed + b"".join(f.read_bytes() for f in files), ox.RdfFormat.N_QUADS)
    return replaced
