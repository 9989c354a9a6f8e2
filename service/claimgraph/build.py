"""The build pipeline: reading -> triples -> SHACL -> OWL reasoning -> store (atomic swap).

It streams: each article is read, written, validated and reasoned on its own
(stream/part.py), in parallel, and cached on disk by a key of everything it
depends on (stream/keys.py), so a rebuild redoes only what changed. The store
is then filled from the cached N-Quads files without ever holding the corpus in
rdflib (stream/assemble.py), beside the live version, and swapped in atomically.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .config import Settings
from .reading.model import Corpus
from .store.locator import LOCATOR_TTL_S
from .store.ownership import Ownership
from .store import entity_lists, search_index
from .store.swap import build_beside, complete_versions, current_version_dir
from .stream import manifest
from .stream.ntriples import nq_lines
from .stream.update import blank_free, usable, update
from .triples.dataset import GraphNames
from .stream.assemble import bulk_load_files, description, fixed_graphs, part_files, triples_per_graph, write_fixed
from .stream.cache import cache_root
from .stream.compiler import CompileFailed, Compiled, compile_corpus
from .stream.register import RegisterSpec

Log = Callable[[str], None]


class BuildFailed(Exception):
    """The build stopped; the live store was not touched."""

    def __init__(self, stage: str, problems: list[str]):
        self.stage = stage
        self.problems = problems
        super().__init__(f"{stage}: " + "\n".join(problems))


@dataclass
class BuildReport:
    triples_per_graph: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    reasoner: str = ""
    store_dir: Path | None = None
    corpus: Corpus | None = None
    carried_quads: int = 0
    compiled: int = 0      # articles compiled this time (the rest came from the cache)
    replaced: int | None = None   # articles replaced in a copy of the live version (None: full load)
    articles: int = 0
    search_rows: int = 0   # rows of the new version's search index (store/search_index.py)
    unchanged: bool = False   # nothing to do: the live version stayed

def _digest(fixed_file: Path, shared: bytes) -> str:
    """What the graphs not made per article hold, whatever their blank nodes are called (rdflib
    names the ontology's restrictions afresh on every parse)."""
    h = hashlib.sha256()
    for data in (shared.splitlines(), fixed_file.read_bytes().splitlines()):
        for line in sorted(blank_free(line) for line in data):
            h.update(line + b"\n")
        h.update(b"--\n")
    return h.hexdigest()


def _has_search_index(store: Path, version: Path) -> bool:
    path = search_index.index_path(store, version)
    return path is not None and path.is_file()


def _reasoner_line(c: Compiled, inferred: int) -> str:
    if c.reasoner.startswith(("disabled", "skipped")):
        return c.reasoner
    by = {m.reasoner for m in c.metas.values()}
    skipped = sorted(s for s in by if s.startswith("skipped"))
    if skipped:
        return skipped[0]
    rules = sum(m.reasoner == "rules" for m in c.metas.values())
    hermit = sum(m.reasoner == "hermit" for m in c.metas.values())
    parts = len(c.parts) + 1
    cached = len(c.parts) - c.compiled + (c.reasoner == "cached")
    return (f"HermiT: consistent, {inferred} inferred triples ({parts} parts, {cached} from cache); "
            f"register by HermiT, {rules} article(s) by rules, {hermit} by HermiT")


def compile_dataset(settings: Settings, log: Log = lambda _m: None, report: BuildReport | None = None) -> Compiled:
    """Everything up to (not including) the store: raises BuildFailed on any problem."""
    report = report if report is not None else BuildReport()
    t = time.perf_counter()
    log("reading, writing, validating (SHACL) and reasoning, one article at a time …")
    if settings.reasoner == "none":
        log("OWL reasoning disabled (CLAIMGRAPH_REASONER=none)")
    spec = RegisterSpec(settings.data_dir, settings.ontology_dir, settings.base_iri, settings.reasoner)
    try:
        compiled = compile_corpus(spec, cache_root(settings.store), log)
    except CompileFailed as exc:
        raise BuildFailed(exc.stage, exc.problems) from exc
    report.seconds["compile"] = time.perf_counter() - t
    report.compiled, report.articles = compiled.compiled, len(compiled.parts)
    return compiled


def build(settings: Settings, log: Log = lambda _m: None, force: bool = False) -> BuildReport:
    report = BuildReport()
    compiled = compile_dataset(settings, log, report)
    t = time.perf_counter()
    fixed = fixed_graphs(compiled)
    meta = description(compiled, fixed)
    report.triples_per_graph = triples_per_graph(compiled, fixed, meta)
    inferred = report.triples_per_graph.get(compiled.reg.mint.graph("inferred"), 0)
    report.reasoner = _reasoner_line(compiled, inferred)
    log(f"  reasoner: {report.reasoner}")
    log(f"updating the store at {settings.store} …")
    cache = cache_root(settings.store)
    staging = cache / f"build-{os.getpid()}"
    staging.mkdir(parents=True, exist_ok=True)
    fixed_file = staging / "fixed.nq"
    write_fixed(compiled, fixed, meta, fixed_file)
    names = GraphNames(compiled.reg.mint)
    shared = nq_lines(fixed[str(names.inferred) + "#shared"], str(names.inferred))
    del fixed, meta
    parts = dict(compiled.parts)
    live = current_version_dir(settings.store) if settings.store.is_symlink() else None
    old = manifest.load(cache, live.name) if live is not None else None
    fixed_digest = _digest(fixed_file, shared)
    if not force and live is not None and old is not None and old.parts == parts and old.fixed == fixed_digest \
            and _has_search_index(settings.store, live):
        # Nothing the live version was built from has changed (every article's content key, and the
        # graphs made from the register, ontology and settings): it stays live, writes and all.
        fixed_file.unlink(missing_ok=True)
        staging.rmdir()
        report.store_dir, report.replaced, report.unchanged = live, 0, True
        report.seconds["store"] = time.perf_counter() - t
        log(f"  nothing changed: {live.name} stays live")
        return report
    incremental = usable(old, parts, compiled.cache)

    updated_from: list[Path] = []  # the live version, when the new one is a copy of it with some articles replaced

    def fill(store: ox.Store, base: Path | None) -> None:
        started = time.perf_counter()
        if base is not None and old is not None and base == live:
            report.replaced = update(store, old, parts, compiled.cache, names, fixed_file)
            updated_from.append(base)
            log(f"  updated a copy of {base.name}: {report.replaced} article(s) replaced")
        else:
            if base is not None:
                store.clear()  # another build swapped in a version since we looked: start empty
            bulk_load_files(store, [fixed_file, *part_files(compiled)])  # memory flat (stream/assemble.py)
        report.seconds["load"] = time.perf_counter() - started

    owner = Ownership(settings.base_iri)

    def carry(live_store: ox.Store, new: ox.Store) -> int:
        owner.drop(new)
        report.carried_quads = owner.carry(live_store, new)
        return report.carried_quads

    def finish(new: ox.Store, version: str) -> None:
        started = time.perf_counter()
        path = search_index.file_for(settings.store, version)
        previous = search_index.file_for(settings.store, updated_from[0].name) if updated_from else None
        if previous is not None and previous.is_file() and not report.carried_quads and old is not None:
            # Only some articles changed and nothing written through the API came along: the
            # previous index, but for their rows and the register's (search_index.write_updated).
            changed = sorted(slug for slug in set(old.parts) | set(parts) if old.parts.get(slug) != parts.get(slug))
            graphs = [g for slug in changed if slug in parts
                      for g in (names.mint.article_graph(slug), names.mint.article_graph(slug) + "/draft")]
            prefixes = tuple(names.mint.article(slug) + "/" for slug in changed)
            articles = [names.mint.article(slug) for slug in changed]
            report.search_rows = search_index.write_updated(
                path, previous, new, graphs, prefixes, also=lambda conn: entity_lists.replace(conn, new, articles))
        else:
            report.search_rows = search_index.write(path, search_index.rows_of(new),
                                                    also=lambda conn: entity_lists.fill(conn, new))
        report.seconds["search index"] = time.perf_counter() - started

    try:
        report.store_dir = build_beside(settings.store, fill, carry, copy_live=incremental, finish=finish)
        manifest.save(cache, report.store_dir.name, parts, shared, fixed_digest, fixed_file)
    finally:
        fixed_file.unlink(missing_ok=True)
        staging.rmdir()
    manifest.prune(cache, {report.store_dir.name})
    search_index.prune(settings.store, complete_versions(settings.store))
    compiled.cache.prune({key for _slug, key in compiled.parts})
    report.seconds["store"] = (time.perf_counter() - t - report.seconds.get("load", 0.0)
                               - report.seconds.get("search index", 0.0))
    if report.carried_quads:
        log(f"  carried {report.carried_quads} quad(s) written through the API (graphs the build does not own)")
    log(f"  live store is now {report.store_dir}")
    # Servers re-read the store link at most LOCATOR_TTL_S after their last look: once this
    # returns, every running server answers its next request from the new version.
    time.sleep(LOCATOR_TTL_S + 0.05)
    return report
