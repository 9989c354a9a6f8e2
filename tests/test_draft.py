"""`claimgraph draft` and `claimgraph review`: a machine draft a curator reviews, built apart.

End to end on real files: add the fixture page, draft it, build a real store, query it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from claimgraph.build import build
from claimgraph.draft.run import DraftRefused, draft_article
from claimgraph.draft.segment import sentence_units
from claimgraph.ingest.add import add_article
from claimgraph.reading import load_corpus
from claimgraph.store.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "tests" / "fixtures" / "articles" / "lakeside-sanctions.html"
SEED = ROOT / "data" / "articles" / "us-russia-reconfiguration"
CLAIMGRAPH = ROOT / ".venv" / "bin" / "claimgraph"
CG = "https://w3id.org/claimgraph/ontology#"


def test_seed_sentence_units_are_exact():
    text = (SEED / "article.txt").read_bytes().decode("utf-8")
    gold = [s["text"] for s in yaml.safe_load((SEED / "reading.yaml").read_text(encoding="utf-8"))["sentences"]]
    assert [u.text for u in sentence_units(text)] == gold  # 31/31, in order


@pytest.fixture()
def drafted(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    add_article(str(PAGE), data, slug="lakeside")
    draft_article(data, "lakeside")
    return data


def reading_of(data: Path) -> dict:
    return yaml.safe_load((data / "articles" / "lakeside" / "reading.yaml").read_text(encoding="utf-8"))


def test_draft_items_are_all_draft_with_a_rule(drafted: Path):
    r = reading_of(drafted)
    items = r["sentences"] + r["claims"] + r["events"] + r["policies"] + r["proposed"]["entities"]
    items += [m for s in r["sentences"] for m in s.get("mentions", [])]
    assert items and all(i["status"] == "draft" and i["rule"] for i in items)
    assert r["draft"]["tool"] == "claimgraph-draft" and r["draft"]["segmenter"].startswith("pysbd ")


def test_mentions_on_word_boundaries_and_candidates(drafted: Path):
    r = reading_of(drafted)
    by_id = {s["id"]: s for s in r["sentences"]}
    # "The European economy …": Europe is not inside "European"
    assert not [m for m in by_id["s9"].get("mentions", []) if m["entity"] == "europe"]
    assert [m["text"] for m in by_id["s10"]["mentions"] if m["entity"] == "europe"] == ["Europe"]
    assert {"text": "the Kremlin", "entity": "russia"}.items() <= by_id["s2"]["mentions"][1].items()
    candidates = {e["label"] for e in r["proposed"]["entities"]}
    assert "European Commission" in candidates
    claims = {c["sentence"]: c for c in r["claims"]}
    assert claims["s3"]["attribution"] == "reported" and claims["s3"]["source"] == "the European Commission"
    assert claims["s3"]["quote"] == "trade between Europe and Russia fell by half in 2023"
    assert claims["s5"]["claimant"] == "united-states" and claims["s5"]["kind"] == "predictive"
    assert claims["s7"]["kind"] == "normative" and claims["s7"]["attribution"] == "own-voice"
    assert claims["s10"]["hedges"] == ["reportedly"]
    dated = {e["mention"]: e["when"] for e in r["events"] if "when" in e}
    assert dated["next year"]["start"] == "2026" and dated["next year"]["basis"] == "publication"


def test_occurrence_filled_in_when_words_repeat(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    src = tmp_path / "t.txt"
    src.write_text("Russia told Russia’s partners that Russia would wait, said the paper.\n", encoding="utf-8")
    add_article(str(src), data, slug="repeat", title="Repeat")
    draft_article(data, "repeat")
    mentions = reading_of_slug(data, "repeat")["sentences"][0]["mentions"]
    russia = [m for m in mentions if m["text"] == "Russia"]
    assert [m.get("occurrence") for m in russia] == [1, 2, 3]
    corpus, problems = load_corpus(data, strict=False)
    assert not [p for p in problems if "repeat" in p.file]


def reading_of_slug(data: Path, slug: str) -> dict:
    return yaml.safe_load((data / "articles" / slug / "reading.yaml").read_text(encoding="utf-8"))


def test_draft_refuses_to_overwrite_reviewed_items(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    before = (SEED / "reading.yaml").read_bytes()
    with pytest.raises(DraftRefused, match="holds reviewed items .*a new draft would overwrite them"):
        draft_article(data, "us-russia-reconfiguration")
    assert (data / "articles" / "us-russia-reconfiguration" / "reading.yaml").read_bytes() == before


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLAIMGRAPH), *args], capture_output=True, text=True, timeout=600)


def graphs_of(store: EmbeddedStore, slug: str) -> dict[str, int]:
    rows = store.raw.query(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                           f"FILTER(CONTAINS(STR(?g), '/graph/article/{slug}')) }} GROUP BY ?g")
    return {str(r["g"].value): int(r["n"].value) for r in rows}


def draft_iris(store: EmbeddedStore, graph: str) -> set[str]:
    rows = store.raw.query(f"SELECT ?x WHERE {{ GRAPH <{graph}> {{ ?x a <{CG}MachineProposal> }} }}")
    return {str(r["x"].value) for r in rows}


def test_add_draft_review_build_end_to_end(tmp_path: Path):
    data, store_path = tmp_path / "data", tmp_path / "store"
    shutil.copytree(ROOT / "data", data)
    common = ("--data", str(data), "--store", str(store_path))
    r = run("add", *common, str(PAGE), "--slug", "lakeside")
    assert r.returncode == 0, r.stderr
    r = run("draft", *common, "lakeside")
    assert r.returncode == 0, r.stderr
    r = run("build", *common, "--no-reasoner")
    assert r.returncode == 0, r.stderr
    base = "http://127.0.0.1:8000/id/graph/article/lakeside"
    store = EmbeddedStore(store_path, read_only=True)
    try:
        # nothing reviewed yet: only the draft graph exists, and it is queryable
        assert set(graphs_of(store, "lakeside")) == {base + "/draft"}
        kinds = {str(r["t"].value) for r in store.raw.query(
            f"SELECT DISTINCT ?t WHERE {{ GRAPH <{base}/draft> {{ ?x a ?t }} }}")}
        assert {CG + "ProposedSentence", CG + "ProposedMention", CG + "ProposedClaim", CG + "ProposedEntity"} <= kinds
        assert CG + "Claim" not in kinds and CG + "Sentence" not in kinds
        gen = store.raw.query(f"SELECT ?v WHERE {{ GRAPH <{base}/draft> {{ <{base.replace('/graph', '')}/claim/c1> "
                              f"<http://www.w3.org/ns/prov#wasGeneratedBy> ?run . ?run "
                              f"<http://www.w3.org/ns/prov#wasAssociatedWith> ?agent . "
                              f"?agent <https://schema.org/softwareVersion> ?v }} }}")
        assert [str(r["v"].value) for r in gen] == ["0.1.0"]
    finally:
        store.close()

    # The curator reviews part of it: two sentences, one mention, one claim, the publisher.
    r = run("review", *common, "lakeside", "--accept", "s2", "s3", "s3-m1", "c1", "lakeside-ledger")
    assert r.returncode == 0, r.stderr
    assert "entity lakeside-ledger: added to data/entities.yaml and set as the article's publisher" in r.stdout
    reading = (data / "articles" / "lakeside" / "reading.yaml")
    # The curator fills in what no rule can: the stance, toward what the claim is about.
    c1 = next(c for c in yaml.safe_load(reading.read_text(encoding="utf-8"))["claims"] if c["id"] == "c1")
    reading.write_text(reading.read_text(encoding="utf-8").replace(
        '{id: "c1", status: "reviewed",',
        '{id: "c1", status: "reviewed", stances: [{toward: %s, stance: critical}],' % c1["about"][0]), encoding="utf-8")
    r = run("review", *common, "lakeside", "--reject", "c2")
    assert r.returncode == 0 and "claim c2: deleted" in r.stdout
    r = run("build", *common, "--no-reasoner")
    assert r.returncode == 0, r.stderr
    store = EmbeddedStore(store_path, read_only=True)
    try:
        assert set(graphs_of(store, "lakeside")) == {base, base + "/draft"}
        curated_types = {str(r["t"].value) for r in store.raw.query(
            f"SELECT DISTINCT ?t WHERE {{ GRAPH <{base}> {{ ?x a ?t }} }}")}
        assert CG + "MachineProposal" not in curated_types
        sentences = {str(r["x"].value).rsplit("/", 1)[1] for r in store.raw.query(
            f"SELECT ?x WHERE {{ GRAPH <{base}> {{ ?x a <{CG}Sentence> }} }}")}
        assert sentences == {"s2", "s3"}
        claims = {str(r["x"].value).rsplit("/", 1)[1] for r in store.raw.query(
            f"SELECT ?x WHERE {{ GRAPH <{base}> {{ ?x a <{CG}Claim> }} }}")}
        assert claims == {"c1"}
        # no draft item reaches the curated graph: not one subject of the curated graph is a proposal
        curated_subjects = {str(r["x"].value) for r in store.raw.query(
            f"SELECT DISTINCT ?x WHERE {{ GRAPH <{base}> {{ ?x ?p ?o }} }}")}
        assert draft_iris(store, base + "/draft") and not (draft_iris(store, base + "/draft") & curated_subjects)
        # the extractor and its version are recorded on the curated text
        tools = {str(r["c"].value) for r in store.raw.query(
            f"SELECT ?c WHERE {{ GRAPH <{base}> {{ ?t <http://www.w3.org/ns/prov#wasGeneratedBy> ?run . "
            f"?run <http://www.w3.org/2000/01/rdf-schema#comment> ?c }} }}")}
        assert any(t.startswith("extractor: trafilatura ") for t in tools)
    finally:
        store.close()


def test_no_draft_item_reaches_a_curated_graph_in_the_corpus(drafted: Path):
    """Whatever mix of statuses a reading has, the curated articles hold reviewed items only."""
    path = drafted / "articles" / "lakeside" / "reading.yaml"
    text = path.read_text(encoding="utf-8")
    # review every other sentence (and its mentions), leave the rest draft
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if line.startswith("  - id: s") and int(line.split("s")[-1]) % 2 == 0:
            j = n + 1
            while j < len(lines) and lines[j].startswith("    "):
                lines[j] = lines[j].replace('status: "draft"', 'status: "reviewed"')
                j += 1
    text = "\n".join(lines).replace("publisher: null", "publisher: strategic-culture-foundation")
    path.write_text(text, encoding="utf-8")
    corpus, problems = load_corpus(drafted, strict=False)
    assert not [p for p in problems if "lakeside" in p.file], problems
    article = next(a for a in corpus.articles if a.slug == "lakeside")
    draft = next(d for d in corpus.drafts if d.slug == "lakeside")
    assert [s.id for s in article.sentences] == ["s2", "s4", "s6", "s8", "s10"]
    for s in article.sentences:
        assert not draft.is_draft(f"sentence:{s.id}")
        assert all(not draft.is_draft(f"mention:{m.id}") for m in s.mentions)
    assert article.claims == [] and article.events == [] and article.policies == []
    assert draft.claims and all(c.rule for c in draft.claims)


def test_draft_benchmark_prints_its_table():
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "bench" / "draft.py")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| article | sentence units exact | mention precision | mention recall |")
    seed = next(line for line in rows if line.startswith("| seed: us-russia-reconfiguration"))
    assert seed.split(" | ")[1] == "31/31 (100%)"
    assert len([line for line in rows if line.startswith("| test: ")]) == 3
