"""Stores for tests that need more than the seed article: the benchmark's synthetic corpus."""

from __future__ import annotations

from pathlib import Path

from bench.corpus import write_corpus
from bench.servers import build_claimgraph_store

BASE = "http://127.0.0.1:8000/id/"


def make_store(root: Path, articles: int = 4) -> Path:
    """A store laid out as a build leaves it (store -> store.versions/…), holding a synthetic corpus:
    the benchmark's own corpus and store layout, at a test's size."""
    nq = root / "corpus.nq"
    write_corpus(nq, articles, BASE, seed_store=None)
    return build_claimgraph_store(nq, root)
