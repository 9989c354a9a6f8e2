"""Assembling the compiled parts into N-Quads for the store, without holding the corpus.

The small graphs (ontology, register, dataset description, inferences about
register nodes) are serialized once; every article's graphs are read from its
cache entry and handed to Oxigraph's bulk loader in batches, so memory stays
flat at any corpus size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef

from ..triples.dataset import GraphNames
from ..triples.void import describe_dataset
from .cache import ASSERTED, INFERRED, SHARED
from .compiler import Compiled
from .ntriples import nq_lines


def fixed_graphs(c: Compiled) -> dict[str, Graph]:
    """The graphs that are not one article's: ontology, register, shared inferences, description."""
    names = GraphNames(c.reg.mint)
    out = {str(names.ontology): c.reg.ontology}
    for name, g in c.reg.graphs.items():
        out[c.reg.mint.graph(name)] = g
    shared = Graph()
    shared += c.register_inferred
    # Entailments about register nodes only: most articles repeat the same lines, so they are
    # gathered as a set and parsed once (one rdflib parse per article cost 2.2 ms: 22 s of a
    # 10,000-article rebuild with nothing changed).
    # At 10,000 articles that was 190 MB of files holding ~140 distinct lines: one file is read
    # per distinct content (PartMeta.shared_digest; "" for entries written before it existed).
    lines: set[bytes] = set()
    seen: set[str] = set()
    for slug, key in c.parts:
        digest = c.metas[slug].shared_digest
        if digest and digest in seen:
            continue
        seen.add(digest)
        lines.update((c.cache.entry(key) / SHARED).read_bytes().splitlines())
    lines.discard(b"")
    if lines:
        shared.parse(data=b"\n".join(sorted(lines)).decode("utf-8"), format="nt")
    out[str(names.inferred) + "#shared"] = shared
    return out


def description(c: Compiled, fixed: dict[str, Graph]) -> set[tuple]:
    """The VoID description as a plain set of triples: four per graph, 80,000 at 10,000 articles,
    which an rdflib Graph took ~1.2 s to hold (its indexes) on every build."""
    names = GraphNames(c.reg.mint)
    sizes = [(URIRef(iri), len(g)) for iri, g in fixed.items() if not iri.endswith("#shared")]
    sizes += [(URIRef(c.reg.mint.article_graph(slug)), c.metas[slug].triples) for slug, _k in c.parts]
    sizes += [(URIRef(c.reg.mint.article_graph(slug) + "/draft"), c.metas[slug].drafted) for slug, _k in c.parts]
    g: set[tuple] = set()
    # Only articles with a reviewed sentence count: a machine draft is not yet an article.
    describe_dataset(g, names, sizes, len(c.reg.entities), sum(m.curated for m in c.metas.values()),
                     sum(m.claims for m in c.metas.values()), c.reg.linkcounts)
    return g


def triples_per_graph(c: Compiled, fixed: dict[str, Graph], meta: set[tuple]) -> dict[str, int]:
    names = GraphNames(c.reg.mint)
    counts = {iri: len(g) for iri, g in fixed.items() if not iri.endswith("#shared")}
    for slug, _k in c.parts:
        if c.metas[slug].triples:
            counts[c.reg.mint.article_graph(slug)] = c.metas[slug].triples
        if c.metas[slug].drafted:
            counts[c.reg.mint.article_graph(slug) + "/draft"] = c.metas[slug].drafted
    inferred = len(fixed[str(names.inferred) + "#shared"]) + sum(m.inferred for m in c.metas.values())
    if inferred:
        counts[str(names.inferred)] = inferred
    counts[str(names.meta)] = len(meta)
    return counts


def write_fixed(c: Compiled, fixed: dict[str, Graph], meta: set[tuple], path: Path) -> None:
    """The small graphs as one N-Quads file (only the ontology has blank nodes: no clashes)."""
    names = GraphNames(c.reg.mint)
    with open(path, "wb") as out:
        for iri, g in fixed.items():
            out.write(nq_lines(g, iri.removesuffix("#shared")))
        out.write(nq_lines(meta, str(names.meta)))


# Oxigraph's bulk loader keeps what it is given in memory until its target (~2 GB a thread, two
# threads, not settable from Python) before writing sorted files: one call over a whole corpus
# grows with the corpus (1.6 GB at 5.4 M quads). Calls over batches of this many bytes of
# N-Quads keep a build's memory flat at any size. Measured on the 1,000-article parts (5.4 M
# quads; `oxigraph load` of the same quads 45.3 s, 1.60 GiB): 256 MB batches 63.2 s, 1.27 GiB;
# 384 MB 47.3 s, 1.57 GiB; 512 MB 47.4 s, 2.03 GiB (fewer calls, less for RocksDB to merge).
LOAD_BATCH_BYTES = 384 * 1024 * 1024


def batches(paths: Iterable[Path], limit: int | None = None) -> list[list[Path]]:
    """The files in order, grouped so that each group holds at most `limit` bytes (or one file)."""
    limit = LOAD_BATCH_BYTES if limit is None else limit
    out: list[list[Path]] = [[]]
    size = 0
    for path in paths:
        n = path.stat().st_size
        if out[-1] and size + n > limit:
            out.append([])
            size = 0
        out[-1].append(path)
        size += n
    return [b for b in out if b]


def bulk_load_files(store: ox.Store, files: Iterable[Path]) -> None:
    """The files into `store` with Oxigraph's bulk loader, a batch of LOAD_BATCH_BYTES at a time,
    each batch handed over as bytes: pyoxigraph parses bytes on every core (a stream it reads on one
    thread through Python)."""
    for batch in batches(files):
        data = b"".join(p.read_bytes() for p in batch)
        store.bulk_load(data, ox.RdfFormat.N_QUADS)
        del data


def part_files(c: Compiled) -> list[Path]:
    files = []
    for _slug, key in c.parts:
        files += [c.cache.entry(key) / ASSERTED, c.cache.entry(key) / INFERRED]
    return files
