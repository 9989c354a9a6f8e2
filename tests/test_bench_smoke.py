"""The benchmark's inputs: the synthetic corpus parses and has our shape, and the
benchmark's queries mean something on it. No timing here: bench/run.py measures."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench import corpus, scenarios

BASE = "http://127.0.0.1:8000/id/"
CG = "https://w3id.org/claimgraph/ontology#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"




@pytest.fixture(scope="module")
def tiny() -> tuple[str, ox.Store, object]:
    out = io.StringIO()
    stats = corpus.generate(out, articles=3, base=BASE, seed=11, entities=40)
    text = out.getvalue()
    store = ox.Store()
    store.load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    return text, store, stats


def q(store: ox.Store, sparql: str) -> list[dict[str, str]]:
    result = store.query(sparql, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def test_corpus_parses_into_one_graph_per_article_plus_entities(tiny) -> None:
    text, store, stats = tiny
    assert len(store) == stats.quads == text.count("\n")
    graphs = sorted(g.value for g in store.named_graphs())
    assert graphs == [f"{BASE}graph/article/syn-0000{n}" for n in (1, 2, 3)] + [f"{BASE}graph/entities"]
    assert stats.articles == 3 and stats.entities == 40
    types = q(store, f"SELECT ?a WHERE {{ ?a a <{CG}Article> ; <https://schema.org/publisher> ?p . "
                     f"?p a <{CG}MediaOutlet> }}")
    assert len(types) == 3


def test_every_span_is_the_text_it_claims_to_be(tiny) -> None:
    _text, store, stats = tiny
    rows = q(store, f"""SELECT ?span ?anchor ?b ?e ?full WHERE {{
        ?span <{NIF}anchorOf> ?anchor ; <{NIF}beginIndex> ?b ; <{NIF}endIndex> ?e ;
              <{NIF}referenceContext> ?ctx . ?ctx <{NIF}isString> ?full }}""")
    # sentences + mentions + claim quotes
    assert len(rows) == stats.sentences + stats.mentions + stats.claims > 40
    for r in rows:
        assert r["full"][int(r["b"]):int(r["e"])] == r["anchor"], r["span"]


def test_claims_have_claimant_kind_stance_and_resolvable_subjects(tiny) -> None:
    _text, store, stats = tiny
    claims = q(store, f"""SELECT ?c (COUNT(DISTINCT ?who) AS ?claimants) (SAMPLE(?kind) AS ?k)
        (SAMPLE(?stance) AS ?s) (COUNT(DISTINCT ?about) AS ?abouts) WHERE {{
        ?c a <{CG}Claim> ; <{CG}claimant> ?who ; <{CG}claimKind> ?kind ; <{CG}stance> ?stance ;
           <{CG}about> ?about . ?about <http://www.w3.org/2000/01/rdf-schema#label> ?label }} GROUP BY ?c""")
    assert len(claims) == stats.claims > 0
    for c in claims:
        assert c["claimants"] == "1"
        assert c["k"] in corpus.KINDS
        assert c["s"].startswith(CG) and c["abouts"] in ("1", "2")
    mentions = q(store, f"SELECT ?m ?e WHERE {{ ?m a <{CG}Mention> ; <http://www.w3.org/2005/11/its/rdf#taIdentRef> ?e "
                        f"FILTER NOT EXISTS {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}")
    assert mentions == []  # every mention resolves to a registered, labelled entity


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    a, b, c = io.StringIO(), io.StringIO(), io.StringIO()
    corpus.generate(a, 2, BASE, seed=5, entities=30)
    corpus.generate(b, 2, BASE, seed=5, entities=30)
    corpus.generate(c, 2, BASE, seed=6, entities=30)
    assert a.getvalue() == b.getvalue()
    assert a.getvalue() != c.getvalue()


def test_benchmark_queries_have_answers_on_the_corpus(tiny) -> None:
    _text, store, _stats = tiny
    chosen = scenarios.scenarios(BASE, 3)
    assert {s.name for s in chosen} >= {"point", "point-unique", "join", "count"}
    for s in chosen:
        answers = [q(store, s.text(k, f"n{k}")) for k in (0, 1)]
        assert all(answers), s.name
        if s.unique:
            assert s.text(0, "a") != s.text(0, "b")  # the nonce is part of the query text
    count = [s for s in chosen if s.name == "count"][0]
    assert int(q(store, count.text())[0]["n"]) == len(store)


def test_wrk_script_varies_unique_queries_and_fixes_repeated_ones() -> None:
    chosen = {s.name: s for s in scenarios.scenarios(BASE, 3)}
    fixed = scenarios.lua_script(chosen["point"], "/sparql", "application/sparql-results+json", "r1")
    assert "wrk.path" in fixed and "function request" not in fixed and "function done" in fixed
    varied = scenarios.lua_script(chosen["point-unique"], "/sparql", "application/sparql-results+json", "r1")
    assert "function request" in varied and "counter = counter + 1" in varied and "[==[r1-]==]" in varied
    assert " " not in varied.split("subjects = {", 1)[1].split("}", 1)[0].replace("\n", "")  # pre-encoded


def test_normalize_folds_harmless_differences_only() -> None:
    rdflib_style = (b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"typed-literal",'
                    b'"datatype":"http://www.w3.org/2001/XMLSchema#string","value":"a"}}]}}')
    oxigraph_style = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"a"}}]}}'
    other = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"b"}}]}}'
    assert scenarios.normalize(rdflib_style) == scenarios.normalize(oxigraph_style)
    assert scenarios.normalize(other) != scenarios.normalize(oxigraph_style)


def test_seed_export_from_a_built_store_joins_the_corpus(built_settings, built_report, tmp_path: Path) -> None:
    path = tmp_path / "corpus.nq"
    stats = corpus.write_corpus(path, 2, BASE, seed_store=built_settings.store)
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    graphs = {g.value for g in store.named_graphs()}
    assert f"{BASE}graph/ontology" in graphs and f"{BASE}graph/article/syn-00002" in graphs
    assert len(store) == stats.quads


def test_bulk_load_bench_loads_the_cached_parts_both_ways(built_settings, built_report) -> None:
    # bench/bulk_load.py: the build's loading stage against `oxigraph load`, on the quads it reads.
    import json
    import subprocess
    import sys

    from claimgraph.stream.cache import cache_root

    bench = Path(__file__).resolve().parents[1] / "bench" / "bulk_load.py"
    out = subprocess.run([sys.executable, str(bench), str(cache_root(built_settings.store)), "--articles", "1"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    row = json.loads(out.splitlines()[0])
    parts = cache_root(built_settings.store) / "parts"
    one = sorted(p for p in parts.iterdir() if not p.name.startswith("."))[0]
    expected = sum(1 for f in ("asserted.nq", "inferred.nq") for line in (one / f).read_bytes().splitlines() if line)
    assert row["articles"] == 1 and row["quads"] == expected > 0
    assert row["claimgraph_s"] > 0 and row["oxigraph_load_s"] > 0 and row["ratio"] > 0
