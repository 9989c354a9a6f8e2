"""Run the W3C SPARQL 1.1 suites through claimgraph's HTTP service and `oxigraph serve`, same run.

    cd tests && ../.venv/bin/python -m support.w3c.run        (make w3c)

Prints pass counts per suite for the engine in-process (pyoxigraph: the reference), claimgraph
over HTTP and oxigraph serve over HTTP, then every test claimgraph fails with the reason.
Exit status 1 if claimgraph fails a protocol or Graph Store test, or a query/update test the
engine passes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

from . import manifest, protocol
from .engine import EngineDriver
from .evaluation import Driver, Outcome, run
from .servers import start_claimgraph, start_oxigraph

SUITES = {
    "protocol": "SPARQL 1.1 Protocol (protocol/manifest.ttl)",
    "graph-store": "Graph Store Protocol (graph-store-protocol/manifest-{indirect,direct}.ttl)",
    "graph-store-prose": "Graph Store Protocol, the 18 prose tests (http-rdf-update/manifest.ttl)",
    "query": "query evaluation (QueryEvaluationTest, CSVResultFormatTest)",
    "query-syntax": "query syntax (syntax-query, syntax-fed, negative tests in the query dirs)",
    "update": "update evaluation (UpdateEvaluationTest)",
    "update-syntax": "update syntax (syntax-update-1, syntax-update-2, negative tests in update dirs)",
}


def suite_of(case: manifest.Case) -> str:
    if case.kind == "ProtocolTest":
        return "protocol"
    if case.kind == "GraphStoreProtocolTest":
        return "graph-store-prose" if case.suite == "http-rdf-update" else "graph-store"
    if case.kind in ("QueryEvaluationTest", "CSVResultFormatTest"):
        return "query"
    if case.kind == "UpdateEvaluationTest":
        return "update"
    return "update-syntax" if "Update" in case.kind or case.suite in manifest.UPDATE_DIRS else "query-syntax"


def all_cases() -> list[manifest.Case]:
    cases = protocol.cases(manifest.load) + protocol.prose_cases(manifest.load)
    for d in manifest.QUERY_DIRS + manifest.UPDATE_DIRS:
        cases += manifest.load(d)
    return cases


def run_all(driver, cases: list[manifest.Case]) -> dict[str, Outcome]:  # noqa: ANN001 - Driver or EngineDriver
    out: dict[str, Outcome | None] = {}
    prose_state: dict[str, str] | None = None
    for case in cases:
        if suite_of(case) == "graph-store-prose":
            if not isinstance(driver, Driver):
                out[case.id] = None
                continue
            if prose_state is None:  # the 18 run in order on one store: empty it once, first
                driver.reset()
                prose_state = {}
            out[case.id] = protocol.run_prose(driver, case, prose_state)
        elif suite_of(case) in ("protocol", "graph-store"):
            out[case.id] = protocol.run_exchange(driver, case) if isinstance(driver, Driver) else None
        else:
            out[case.id] = run(driver, case)
    return out


def table(cases: list[manifest.Case], results: dict[str, dict[str, Outcome]]) -> str:
    names = list(results)
    lines = ["| suite | tests | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for suite in SUITES:
        ids = [c.id for c in cases if suite_of(c) == suite]
        if not ids:
            continue
        cells = []
        for n in names:
            got = [results[n][i] for i in ids]
            cells.append("n/a" if any(o is None for o in got) else str(sum(o.passed for o in got)))
        lines.append(f"| {suite} | {len(ids)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def regressions(cases: list[manifest.Case], results: dict[str, dict[str, Outcome]]) -> list[Outcome]:
    """claimgraph's failures that count: any protocol/GSP test, and tests the engine passes."""
    cg, engine = results["claimgraph"], results.get("engine", {})
    bad = []
    for c in cases:
        o = cg[c.id]
        if o.passed:
            continue
        ref = engine.get(c.id)
        if suite_of(c) in ("protocol", "graph-store", "graph-store-prose") or ref is None or ref.passed:
            bad.append(o)
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=sorted(SUITES), action="append", help="run only these suites")
    ap.add_argument("--no-oxigraph", action="store_true", help="skip oxigraph serve")
    args = ap.parse_args(argv)
    cases = [c for c in all_cases() if not args.only or suite_of(c) in args.only]
    from support.liveserver import free_port

    results: dict[str, dict[str, Outcome]] = {"engine": run_all(EngineDriver(), cases)}
    with tempfile.TemporaryDirectory() as tmp:
        starters = [("claimgraph", start_claimgraph)]
        if not args.no_oxigraph:
            starters.append(("oxigraph serve", start_oxigraph))
        for name, start in starters:
            server = start(Path(tmp), free_port())
            try:
                with httpx.Client(timeout=30) as client:
                    results[name] = run_all(Driver(server, client), cases)
            finally:
                server.stop()
    print(table(cases, results))
    for name in results:
        if name == "engine":
            continue
        failed = [o for o in results[name].values() if o is not None and not o.passed]
        print(f"\n{name}: {len(failed)} failed")
        for o in failed:
            print(f"  {o.case.id} ({o.case.kind}): {o.detail[:200]}")
    bad = regressions(cases, results)
    print(f"\nclaimgraph regressions (protocol/GSP failures, or tests the engine passes): {len(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for support.liveserver when run as a program
    sys.exit(main())
