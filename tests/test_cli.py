"""The `claimgraph` command as a user runs it (subprocesses of .venv/bin/claimgraph)."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from rdflib import Dataset, Graph

from claimgraph import __version__
from claimgraph.store.embedded import EmbeddedStore

from conftest import CLAIMGRAPH, ROOT, clean_env

CLAIMS_QUERY = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
SELECT ?c ?quote WHERE { ?c a cg:Claim ; cg:quote/nif:anchorOf ?quote } ORDER BY ?c"""


def out(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stderr.decode()}"
    return r.stdout.decode("utf-8")


# --- build and validate (run side by side: each spends ~8 s in SHACL) -------------

@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """`build` with the store given only by CLAIMGRAPH_STORE and the reasoner switched
    off by CLAIMGRAPH_REASONER, and `validate` of the real data, in parallel."""
    store = tmp_path_factory.mktemp("cli") / "store"
    build = subprocess.Popen([str(CLAIMGRAPH), "build"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=clean_env(CLAIMGRAPH_STORE=str(store), CLAIMGRAPH_REASONER="none"))
    validate = subprocess.Popen([str(CLAIMGRAPH), "validate", "--no-reasoner", "--data", str(ROOT / "data")], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    results = {}
    for name, proc in (("build", build), ("validate", validate)):
        stdout, stderr = proc.communicate(timeout=180)
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return store, results


def test_build_honours_CLAIMGRAPH_STORE_and_CLAIMGRAPH_REASONER(fresh, reading):
    store, results = fresh
    r = results["build"]
    assert r.returncode == 0, r.stderr.decode()
    err = r.stderr.decode()
    assert store.is_symlink() and store.resolve().parent == store.with_name("store.versions")
    s = EmbeddedStore(store)
    try:
        counts = s.triple_counts()
        total = sum(counts.values())
        assert f"built {total} triples in {len(counts)} graphs" in err
        assert "CLAIMGRAPH_REASONER=none" in err and "disabled by configuration" in err
        assert not any(g.endswith("/graph/inferred") for g in counts)
        n = int(next(iter(s.query("SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/claimgraph/ontology#Claim> }")))["n"].value)
        assert n == len(reading["claims"])
    finally:
        s.close()
    assert not (ROOT / "var" / "store.versions" / store.resolve().name).exists()


def test_validate_accepts_the_curated_data(fresh):
    r = fresh[1]["validate"]
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert r.stdout.decode() == ""
    assert "valid" in r.stderr.decode()


def test_validate_honours_CLAIMGRAPH_DATA(cli, broken_data):
    broken_data.replace("    claimant: author\n", "", within="  - id: c25")
    r = cli("validate", "--no-reasoner", env={"CLAIMGRAPH_DATA": str(broken_data.path)})
    assert r.returncode == 1
    assert r.stdout.decode().strip() == f"{broken_data.shown()}:{broken_data.line_of('  - id: c25')}: claim c25: missing claimant"


# --- export -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sizes(built_store):
    counts = built_store.triple_counts()
    distinct = int(next(iter(built_store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")))["n"].value)
    return counts, distinct


@pytest.mark.parametrize("fmt,rdflib_format", [("trig", "trig"), ("nquads", "nquads"), ("jsonld", "json-ld")])
def test_export_quad_formats_parse_with_every_graph(cli, built_settings, sizes, fmt, rdflib_format):
    counts, _ = sizes
    data = out(cli("export", "--format", fmt, "--store", built_settings.store))
    ds = Dataset()
    ds.parse(data=data, format=rdflib_format)
    got = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    assert got == counts


def test_export_turtle_is_the_union_of_the_graphs(cli, built_settings, sizes):
    _, distinct = sizes
    g = Graph().parse(data=out(cli("export", "--format", "turtle", "--store", built_settings.store)), format="turtle")
    assert len(g) == distinct


def test_export_to_a_file_reads_the_store_from_CLAIMGRAPH_STORE(cli, built_settings, sizes, tmp_path):
    target = tmp_path / "dump.nq"
    r = cli("export", "--format", "nquads", "--output", target, env={"CLAIMGRAPH_STORE": str(built_settings.store)})
    assert r.returncode == 0 and r.stdout == b""
    assert f"wrote {target.stat().st_size} bytes" in r.stderr.decode()
    ds = Dataset()
    ds.parse(target, format="nquads")
    assert sum(len(g) for g in ds.graphs()) == sum(sizes[0].values())


# --- query --------------------------------------------------------------------------

def test_query_json(cli, built_settings, reading):
    res = json.loads(out(cli("query", "--format", "json", "--store", built_settings.store, CLAIMS_QUERY)))
    assert res["head"]["vars"] == ["c", "quote"]
    quotes = [b["quote"]["value"] for b in res["results"]["bindings"]]
    assert sorted(quotes) == sorted(c["quote"] for c in reading["claims"])


def test_query_csv(cli, built_settings, reading):
    rows = list(csv.DictReader(io.StringIO(out(cli("query", "--format", "csv", "--store", built_settings.store, CLAIMS_QUERY)))))
    assert sorted(r["quote"] for r in rows) == sorted(c["quote"] for c in reading["claims"])
    assert all(r["c"].startswith(built_settings.base_iri) for r in rows)


def test_query_table(cli, built_settings, reading):
    lines = out(cli("query", "--store", built_settings.store, CLAIMS_QUERY)).splitlines()
    assert [h.strip() for h in lines[0].split("|")] == ["c", "quote"]
    assert set(lines[1]) <= {"-", "+"}
    assert lines[-1] == f"({len(reading['claims'])} rows)"
    assert len(lines) == len(reading["claims"]) + 3
    assert any("sanctions not only failed to alter Moscow’s stance" in line for line in lines)


def test_query_from_file_and_stdin_with_CLAIMGRAPH_STORE(built_settings, tmp_path, reading):
    rq = tmp_path / "claims.rq"
    rq.write_text(CLAIMS_QUERY, encoding="utf-8")
    env = clean_env(CLAIMGRAPH_STORE=str(built_settings.store))
    from_file = subprocess.run([str(CLAIMGRAPH), "query", "--format", "csv", f"@{rq}"], cwd=ROOT, env=env,
                               capture_output=True, timeout=60)
    from_stdin = subprocess.run([str(CLAIMGRAPH), "query", "--format", "csv", "-"], cwd=ROOT, env=env,
                                input=CLAIMS_QUERY.encode(), capture_output=True, timeout=60)
    assert out(from_file) == out(from_stdin)
    assert len(list(csv.DictReader(io.StringIO(out(from_file))))) == len(reading["claims"])


def test_query_syntax_error_exits_2(cli, built_settings):
    r = cli("query", "--store", built_settings.store, "SELECT ?x WHERE { ?x")
    assert r.returncode == 2
    assert "syntax error" in r.stderr.decode()


def test_ask_query_in_table_format(cli, built_settings):
    assert out(cli("query", "--store", built_settings.store,
                   "ASK { ?s <https://w3id.org/claimgraph/ontology#wikidata> <http://www.wikidata.org/entity/Q159> }")) == "true\n"


# --- stats ----------------------------------------------------------------------------

def test_stats_json(cli, built_settings, built_store, reading, register):
    stats = json.loads(out(cli("stats", "--json", "--store", built_settings.store)))
    assert stats["triples_per_graph"] == built_store.triple_counts()
    assert stats["triples"] == sum(stats["triples_per_graph"].values())
    assert stats["articles"] == 1
    assert stats["sentences"] == len(reading["sentences"])
    assert stats["mentions"] == sum(len(s.get("mentions") or []) for s in reading["sentences"])
    assert stats["claims"] == len(reading["claims"])
    assert stats["entities"] == len(register)
    assert stats["events"] == len(reading["events"])
    assert stats["policies"] == sum(e["type"] == "Policy" for e in register.values())
    assert stats["policy_references"] == len(reading["policies"])
    kinds = {}
    for c in reading["claims"]:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    assert stats["claims_by_kind"] == kinds
    assert stats["claims_by_attribution"] == {
        "own voice": sum(c["attribution"] == "own-voice" for c in reading["claims"]),
        "reported": sum(c["attribution"] == "reported" for c in reading["claims"])}
    types = {}
    for e in register.values():
        types[e["type"]] = types.get(e["type"], 0) + 1
    assert stats["entities_by_type"] == types


def test_stats_text(cli, built_settings, reading):
    text = out(cli("stats", "--store", built_settings.store))
    lines = [line.split("  (")[0] for line in text.splitlines()]
    assert f"claims: {len(reading['claims'])}" in lines
    assert f"policy references: {len(reading['policies'])}" in lines
    assert "triples per graph:" in text


# --- settings and errors ------------------------------------------------------------------

def test_flag_wins_over_environment(cli, built_settings, tmp_path):
    missing = tmp_path / "nowhere"
    r = cli("stats", "--json", "--store", built_settings.store, env={"CLAIMGRAPH_STORE": str(missing)})
    assert json.loads(out(r))["claims"] > 0
    r = cli("stats", "--json", env={"CLAIMGRAPH_STORE": str(missing)})
    assert r.returncode == 2
    assert str(missing) in r.stderr.decode() and "no built store" in r.stderr.decode()


def test_version(cli):
    assert out(cli("--version")).strip() == f"claimgraph {__version__}"

