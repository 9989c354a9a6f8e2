"""No query can take the service down: hostile SPARQL against a real server.

One `claimgraph serve` with a 2 s deadline, 2 workers capped at 320 MB, a
queue of 1 and a 256 KB result cap (tests/support/safety_server.py) takes every
hostile class in turn; after each test the server process must be alive,
/health must answer 200 and every worker must be back (an autouse fixture
checks). Expected answers are computed from the built store, never typed in.
The network side (SERVICE, LOAD, the workers' sandbox) is
tests/test_sparql_network.py.
"""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from support.hostile_queries import CLOSURE_CROSS, CROSS, MEMORY_HOG
from support.liveserver import LiveServer, start_server
from support.safety_server import (DEADLINE, ENV, JSON, RESULT_CAP, assert_error, health, post,  # noqa: F401
                                   server, still_serving, store_path, wait_for_workers)

ROOT = Path(__file__).resolve().parents[1]


# -- helpers --------------------------------------------------------------------------------------

def assert_retry_after(r: httpx.Response) -> int:
    assert "retry-after" in r.headers, r.headers
    value = int(r.headers["retry-after"])
    assert value >= 1
    return value


def background(server: LiveServer, query: str) -> Future:
    """Send a query from another thread, on its own connection."""
    def send() -> tuple[httpx.Response, float]:
        with server.client(timeout=60) as c:
            started = time.monotonic()
            r = post(c, query)
            return r, time.monotonic() - started
    pool = ThreadPoolExecutor(1)
    fut = pool.submit(send)
    pool.shutdown(wait=False)
    return fut


def wait_until(client: httpx.Client, test, what: str, limit: float = 5.0) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + limit
    while True:
        workers = health(client)["workers"]
        if test(workers):
            return workers
        assert time.monotonic() < deadline, f"never saw {what}: {workers}"
        time.sleep(0.01)


# -- the setup itself ------------------------------------------------------------------------

def test_workers_run_without_network_under_their_memory_cap(client: httpx.Client) -> None:
    workers = health(client)["workers"]
    assert workers["network"] == "isolated", "query workers share the host network on this machine"
    assert workers["memory_mb"] == 320
    # The cap was proven at start-up: the worker opened the store and answered under it.
    assert 0 < workers["idle_vm_mb"] < workers["memory_mb"]


def test_a_cap_too_small_to_open_the_store_stops_the_start_not_a_query(store_path: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as info:
        start_server(store_path, tmp_path, env={**ENV, "CLAIMGRAPH_WORKER_MEMORY_MB": "48",
                                                "CLAIMGRAPH_UPDATE_TOKEN": ""})  # the module's server holds the writer
    assert "CLAIMGRAPH_WORKER_MEMORY_MB=48" in str(info.value)


# -- shapes the gate refuses ------------------------------------------------------------------

@pytest.mark.parametrize("name, text, status", [
    ("{} 5000 deep", "SELECT * WHERE " + "{" * 5000 + "}" * 5000, 400),
    ("OPTIONAL 3000 deep", "SELECT * WHERE {" + "OPTIONAL{" * 3000 + "}" * 3001, 400),
    ("10000-long UNION chain", "SELECT * WHERE {" + "{}UNION" * 9999 + "{}}", 413),
    ("10000-long && chain", "SELECT * WHERE { ?s ?p ?a FILTER(?a" + "&&?a" * 10000 + ") }", 400),
    ("1000-step property path", "SELECT * WHERE { ?s " + "/".join(["<urn:p>"] * 1000) + " ?o }", 400),
    ("a 1 MB literal", 'SELECT * WHERE { ?s ?p "' + "x" * 1_000_000 + '" }', 413),
])
def test_hostile_shapes_are_4xx_before_any_parser(client: httpx.Client, name: str, text: str, status: int) -> None:
    started = time.monotonic()
    r = client.post("/sparql", content=text.encode(), headers={"Content-Type": "application/sparql-query", **JSON})
    assert_error(r, status, "query_too_large" if status == 413 else "query_too_complex", parameter="query")
    assert time.monotonic() - started < DEADLINE  # refused up front, not evaluated until the deadline


def test_a_body_over_the_byte_cap_is_413(client: httpx.Client) -> None:
    huge = b'SELECT * WHERE { ?s ?p "' + b"x" * (17 * 1024 * 1024) + b'" }'
    r = client.post("/sparql", content=huge, headers={"Content-Type": "application/sparql-query"})
    assert_error(r, 413, "body_too_large")


@pytest.mark.parametrize("how", ["escape in a string", "escape in an IRI", "escape past U+10FFFF",
                                 "raw bytes in the body", "raw bytes in a form", "percent-escaped bytes in GET"])
def test_lone_surrogates_are_400_naming_the_parameter(client: httpx.Client, how: str) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    if how == "escape in a string":
        r = post(client, 'SELECT * WHERE { ?s ?p "\\uD800" }')
    elif how == "escape in an IRI":
        r = post(client, "SELECT * WHERE { <http://e.example/\\uDFFF> ?p ?o }")
    elif how == "escape past U+10FFFF":
        r = post(client, 'SELECT * WHERE { ?s ?p "\\U00110000" }')
    elif how == "raw bytes in the body":
        r = client.post("/sparql", content=b'SELECT * WHERE { ?s ?p "\xed\xa0\x80" }',
                        headers={"Content-Type": "application/sparql-query"})
    elif how == "raw bytes in a form":
        r = client.post("/sparql", content=b'query=SELECT+*+WHERE+{+?s+?p+"\xed\xa0\x80"+}', headers=form)
    else:
        r = client.get("/sparql?query=SELECT%20*%20WHERE%20%7B%20?s%20?p%20%22%ED%A0%80%22%20%7D")
    err = assert_error(r, 400)
    assert any(why in err["message"] for why in ("surrogate", "UTF-8", "out of range")), err
    if how.startswith("escape"):
        assert err["parameter"] == "query"


# -- runaways: stopped at the deadline --------------------------------------------------------

@pytest.mark.parametrize("text", [CROSS, CLOSURE_CROSS], ids=["cross product", "closure over a cross product"])
def test_runaways_are_stopped_at_the_deadline_with_503_and_retry_after(client: httpx.Client, text: str) -> None:
    before = health(client)["workers"]["timeouts"]
    started = time.monotonic()
    r = post(client, text)
    elapsed = time.monotonic() - started
    err = assert_error(r, 503, "timeout")
    assert assert_retry_after(r) >= int(DEADLINE)
    assert f"{DEADLINE:g} s" in err["message"]
    assert DEADLINE - 0.1 <= elapsed < DEADLINE + 2.5, elapsed
    assert health(client)["workers"]["timeouts"] == before + 1
    print(f"\n  runaway answered 503 after {elapsed * 1000:.0f} ms (deadline {DEADLINE * 1000:.0f} ms)")


def test_the_timeout_parameter_only_lowers_the_deadline(client: httpx.Client) -> None:
    started = time.monotonic()
    r = post(client, CROSS + " # lowered", timeout="0.5")
    lowered = time.monotonic() - started
    assert_error(r, 503, "timeout")
    assert 0.4 <= lowered < 1.5, lowered
    wait_for_workers(client)
    started = time.monotonic()
    r = post(client, CROSS + " # raised", timeout="600")
    raised = time.monotonic() - started
    assert_error(r, 503, "timeout")
    assert DEADLINE - 0.1 <= raised < DEADLINE + 2.5, raised  # the server's deadline still wins
    assert_error(post(client, "ASK {}", timeout="soon"), 400, parameter="timeout")


def test_a_memory_hungry_query_gets_a_clean_503_and_a_fresh_worker(client: httpx.Client, built_store) -> None:
    before = health(client)["workers"]
    started = time.monotonic()
    r = post(client, MEMORY_HOG)
    elapsed = time.monotonic() - started
    err = assert_error(r, 503)
    assert err["code"] in ("worker_crashed", "memory_limit"), err  # the cap stopped it, not the deadline
    assert_retry_after(r)
    assert elapsed < DEADLINE, elapsed
    after = wait_for_workers(client)
    if err["code"] == "worker_crashed":  # the Rust allocator aborts: the worker died and was replaced
        assert after["crashes"] == before["crashes"] + 1
        assert after["respawns"] >= before["respawns"] + 1
    # The respawned workers answer, and answer right.
    expected = len(list(built_store.raw.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")))
    for i in range(3):
        ok = post(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} # after crash {i}")
        assert ok.status_code == 200, ok.text
        assert int(ok.json()["results"]["bindings"][0]["n"]["value"]) == expected
    print(f"\n  memory hog answered 503 {err['code']} after {elapsed * 1000:.0f} ms")


# -- capacity: queue and result size -----------------------------------------------------------

def test_a_full_queue_is_503_at_once(server: LiveServer, client: httpx.Client) -> None:
    before = health(client)["workers"]["rejected_full"]
    hogs = [background(server, f"{CROSS} # hog {i}") for i in range(2)]
    wait_until(client, lambda w: w["busy"] == 2, "both workers busy")
    waiting = background(server, f"{CROSS} # waits")
    wait_until(client, lambda w: w["queued"] == 1, "one query queued")
    started = time.monotonic()
    r = post(client, f"{CROSS} # one too many")
    elapsed = time.monotonic() - started
    assert_error(r, 503, "queue_full")
    assert_retry_after(r)
    assert elapsed < DEADLINE - 0.5, elapsed  # told at once (after its try on the fast lane), not at the deadline
    assert health(client)["workers"]["rejected_full"] == before + 1
    for fut in [*hogs, waiting]:
        resp, took = fut.result(timeout=30)
        assert_error(resp, 503, "timeout")
        assert took < DEADLINE + 2.5
    print(f"\n  queue full answered 503 after {elapsed * 1000:.0f} ms")


@pytest.mark.parametrize("text, accept", [
    ("SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json"),
    ("SELECT * WHERE { ?s ?p ?o }", "text/csv"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "text/turtle"),
    ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", "application/sparql-results+xml"),
])
def test_a_result_over_the_cap_is_413_never_half_a_body(client: httpx.Client, text: str, accept: str) -> None:
    r = client.post("/sparql", data={"query": text}, headers={"Accept": accept})
    err = assert_error(r, 413, "result_too_large")
    assert str(RESULT_CAP) in err["message"]


def test_a_result_under_the_cap_arrives_whole(client: httpx.Client, built_store) -> None:
    text = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    expected = len(list(built_store.raw.query(text, use_default_graph_as_union=True)))
    r = post(client, text)
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) < RESULT_CAP
    assert len(json.loads(r.content)["results"]["bindings"]) == expected > 0


# -- latency while two runaways run --------------------------------------------------------------

def test_lookups_and_health_answer_in_milliseconds_while_two_runaways_run(
        server: LiveServer, client: httpx.Client, built_store) -> None:
    subject = next(q.subject for q in built_store.raw.quads_for_pattern(None, None, None, None)
                   if isinstance(q.subject, ox.NamedNode))
    lookup = f"SELECT ?p ?o WHERE {{ <{subject.value}> ?p ?o }}"
    expected = len(list(built_store.raw.query(lookup, use_default_graph_as_union=True)))
    hogs = [background(server, f"{CLOSURE_CROSS} # hog {i}") for i in range(2)]
    started = time.monotonic()
    wait_until(client, lambda w: w["busy"] == 2, "both workers busy")
    health_ms, lookup_ms = [], []
    for i in range(20):
        t = time.perf_counter()
        r = client.get("/health")
        health_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200
    for i in range(10):
        t = time.perf_counter()
        r = post(client, f"{lookup} # lookup {i} {time.time_ns()}")  # never a cache hit
        lookup_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text[:300]
        assert len(r.json()["results"]["bindings"]) == expected > 0
    measured_for = time.monotonic() - started
    assert health(client)["workers"]["busy"] == 2, "the runaways ended before the measurement did"
    assert measured_for < DEADLINE
    for fut in hogs:
        resp, _took = fut.result(timeout=30)
        assert_error(resp, 503, "timeout")
    print(f"\n  while 2 runaways ran: /health p50 {statistics.median(health_ms):.1f} ms, "
          f"max {max(health_ms):.1f} ms; point lookup p50 {statistics.median(lookup_ms):.1f} ms, "
          f"max {max(lookup_ms):.1f} ms")
    assert statistics.median(health_ms) < 50 and max(health_ms) < 500
    assert statistics.median(lookup_ms) < 150 and max(lookup_ms) < 1000


def test_syntax_errors_and_limited_scans_are_answered_while_runaways_hold_every_worker(
        server: LiveServer, client: httpx.Client, built_store) -> None:
    """A query that does not parse gets its 400 at once, and a one-pattern scan under a LIMIT its
    rows, without waiting for a worker: the 30-minute soak saw both as 503s after the deadline."""
    claim = "https://w3id.org/claimgraph/ontology#Claim"
    scan = f"SELECT ?c WHERE {{ ?c a <{claim}> }} LIMIT 5"
    expected = {r["c"].value for r in built_store.raw.query(f"SELECT ?c {{ ?c a <{claim}> }}",
                                                              use_default_graph_as_union=True)}
    hogs = [background(server, f"{CLOSURE_CROSS} # hog {i} {time.time_ns()}") for i in range(2)]
    wait_until(client, lambda w: w["busy"] == 2, "both workers busy")
    lane_before = health(client)["workers"].get("fast_lane_jobs", 0)
    bad = ["SELECT * WHERE {{ ?s ?p # {n}", "SELECT ?s WHERE {{ ?s ?p ?o FILTER(?o = ) }} GROUP BY ?s # {n}",
           "ASK {{ ?s ?p # {n}", "PREFIX x: <http://e.example/>\nASK {{ ?s x:p ?o . ?o ?q }} # {n}"]
    started = time.monotonic()
    for n in range(3):
        for template in bad:
            err = assert_error(post(client, template.format(n=f"{n} {time.time_ns()}")), 400, "syntax_error",
                               parameter="query")
            assert "line" in err["message"] and "column" in err["message"], err
        r = post(client, f"{scan} # {n} {time.time_ns()}")
        assert r.status_code == 200, r.text[:300]
        rows = {b["c"]["value"] for b in r.json()["results"]["bindings"]}
        assert len(rows) == min(5, len(expected)) and rows <= expected
    took = time.monotonic() - started
    workers = health(client)["workers"]
    assert workers["busy"] == 2, "the runaways ended before the measurement did"
    assert workers.get("fast_lane_jobs", 0) == lane_before, "a query that needed no worker went to the lane"
    assert took < DEADLINE
    for fut in hogs:
        assert_error(fut.result(timeout=30)[0], 503, "timeout")


def test_an_ask_syntax_error_names_the_users_column_not_the_probes(client: httpx.Client) -> None:
    for text in ("ASK { ?s ?p", "ASK { ?s ?p ?o FILTER(?o = ) }"):
        direct = None
        try:
            ox.Store().query(text)
        except SyntaxError as exc:
            direct = str(exc)
        assert direct is not None
        line_col = direct.split(":")[0:2]  # "error at 1", "12"
        err = assert_error(post(client, text), 400, "syntax_error")
        assert f"line {line_col[0].split()[-1]}, column {line_col[1]}" in err["message"], (direct, err)


# -- no false positives -----------------------------------------------------------------------------

def test_the_named_competency_queries_answer_200_with_the_engines_rows(client: httpx.Client, built_store) -> None:
    named = sorted((ROOT / "queries").glob("*.rq"))
    assert named
    for path in named:
        text = path.read_text(encoding="utf-8")
        expected = len(list(built_store.raw.query(text, use_default_graph_as_union=True)))
        r = post(client, text)
        assert r.status_code == 200, f"{path.name}: {r.text[:300]}"
        assert len(r.json()["results"]["bindings"]) == expected, path.name


