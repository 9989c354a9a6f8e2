"""Reasoning one bucket of articles at a time gives exactly what reasoning over everything gives,
and a rebuild takes unchanged parts from the cache."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from claimgraph.build import build
from claimgraph.checks.partitioned import reason_in_parts
from claimgraph.checks.reasoning import reason
from claimgraph.namespaces import Minter
from claimgraph.reading import load_corpus
from claimgraph.triples.dataset import GraphNames, build_dataset, union

ROOT = Path(__file__).resolve().parents[1]
SLUG = "us-russia-reconfiguration"


@pytest.fixture(scope="module")
def two_articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/ with a second article folder (same reading, another slug)."""
    data = tmp_path_factory.mktemp("two") / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(data / "articles" / SLUG, data / "articles" / "second-copy")
    return data


def test_parts_union_equals_the_whole(two_articles: Path, tmp_path: Path) -> None:
    corpus, _ = load_corpus(two_articles)
    mint = Minter("http://example.org/kg/")
    names = GraphNames(mint)
    ds = build_dataset(corpus, ROOT / "ontology" / "claimgraph.ttl", mint)
    ontology = ds.graph(names.ontology)
    articles = tuple(names.article(a.slug) for a in corpus.articles)
    register = union(ds, exclude=(names.ontology,) + articles)
    parts = [(a.slug, ds.graph(names.article(a.slug))) for a in corpus.articles]

    whole = reason(ontology, union(ds, exclude=(names.ontology,)))
    split = reason_in_parts(ontology, register, parts, tmp_path / "cache")
    assert whole.ran and split.ran
    assert len(whole.inferred) > 1000
    assert set(split.inferred) == set(whole.inferred)
    assert split.parts == 3 and split.cached == 0

    again = reason_in_parts(ontology, register, parts, tmp_path / "cache")
    assert again.cached == 3
    assert set(again.inferred) == set(whole.inferred)


def _parts(reasoner: str) -> tuple[int, int]:
    m = re.search(r"\((\d+) parts, (\d+) from cache\)", reasoner)
    assert m, reasoner
    return int(m.group(1)), int(m.group(2))


def test_rebuild_reuses_the_cache_and_a_changed_article_is_reasoned_again(two_articles: Path, settings_for,
                                                                         tmp_path: Path) -> None:
    settings = settings_for(tmp_path, data_dir=two_articles)
    first = build(settings)
    assert _parts(first.reasoner) == (3, 0)  # the register and two buckets (the slugs hash apart)
    second = build(settings)
    assert _parts(second.reasoner) == (3, 3)
    reading = two_articles / "articles" / "second-copy" / "reading.yaml"
    reading.write_text(reading.read_text().replace("stance: favourable", "stance: neutral", 1))
    third = build(settings)
    assert _parts(third.reasoner) == (3, 2)  # only the changed article's bucket is reasoned again
    assert sum(third.triples_per_graph.values()) == sum(second.triples_per_graph.values())
