"""The same front end on three backends: what a remote SPARQL server buys and costs, per query.

    python bench/remote.py --store PATH/store [--repeat 5]

Loads the live version of a built store into a fresh `oxigraph serve` and a fresh Debian
Virtuoso (as `claimgraph build` loads one: store/remote_load.py), starts a claimgraph front end
on each and one on the embedded store, and times never-repeated requests (a nonce comment
defeats every cache) through each front end and, as the peer measured in the same run, straight
to each server. Prints medians and each one's ratio to the embedded front end. Timing only: no
assertion (tests/test_remote_backends.py holds the answers equal).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "service"), str(ROOT / "tests")]

from claimgraph.config import Settings  # noqa: E402
from claimgraph.namespaces import Minter  # noqa: E402
from claimgraph.store.remote import RemoteConfig, RemoteStore  # noqa: E402
from claimgraph.store.remote_load import load_version  # noqa: E402
from claimgraph.store.swap import current_version_dir  # noqa: E402
from support.backends import start_backend  # noqa: E402
from support.liveserver import start_server, writable_copy  # noqa: E402

CG = "PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
QUERIES = {
    "point lookup": "SELECT ?p ?o WHERE { <{base}entity/russia> ?p ?o }",
    "claims by stance (GROUP BY over the corpus)": CG + "SELECT ?stance (COUNT(?c) AS ?n) WHERE { ?c a cg:Claim ; cg:stance ?stance } GROUP BY ?stance ORDER BY ?stance",
    "claims × mentions of their sentence (join COUNT)": CG + "SELECT (COUNT(*) AS ?n) WHERE { ?c cg:inSentence ?s . ?s cg:mentions ?e }",
    "distinct claimants per article (nested aggregate)": CG + "SELECT (MAX(?k) AS ?most) WHERE { SELECT ?a (COUNT(DISTINCT ?who) AS ?k) WHERE { ?a cg:hasClaim ?c . ?c cg:claimant ?who } GROUP BY ?a }",
}
JSON = {"Accept": "application/sparql-results+json"}


def timed(client: httpx.Client, url: str, text: str, data: dict[str, str] | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    r = client.post(url, data={"query": text, **(data or {})}, headers=JSON)
    return time.perf_counter() - started, r.status_code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="a built store (its symlink), e.g. var/store")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    base = Settings().base_iri
    mint = Minter(base)
    tmp = Path(tempfile.mkdtemp(prefix="claimgraph-bench-remote-"))
    copy = writable_copy(args.store, tmp / "copy")
    version = current_version_dir(copy)
    backends, fronts = {}, {}
    env = {"CLAIMGRAPH_QUERY_TIMEOUT": str(args.timeout), "CLAIMGRAPH_WORKER_MEMORY_MB": "8192",
           "CLAIMGRAPH_LOG_LEVEL": "warning"}
    try:
        for kind in ("oxigraph", "virtuoso"):
            (tmp / kind).mkdir()
            b = backends[kind] = start_backend(kind, tmp / kind)
            e = b.env
            remote = RemoteStore(RemoteConfig(query_url=e["CLAIMGRAPH_REMOTE_QUERY_URL"],
                                              update_url=e["CLAIMGRAPH_REMOTE_UPDATE_URL"],
                                              store_url=e["CLAIMGRAPH_REMOTE_STORE_URL"],
                                              dialect=e["CLAIMGRAPH_REMOTE_DIALECT"], auth=e.get("CLAIMGRAPH_REMOTE_AUTH", "none"),
                                              user=e.get("CLAIMGRAPH_REMOTE_USER", ""),
                                              password=e.get("CLAIMGRAPH_REMOTE_PASSWORD", ""), read_timeout=600))
            started = time.perf_counter()
            report = load_version(version, tmp / kind / "store", remote, base, mint.dataset,
                                  mint.graph("dataset"), full=True)
            print(f"loaded {report.triples_sent:,} triples in {len(report.sent)} graphs into {kind} "
                  f"in {time.perf_counter() - started:.1f} s", flush=True)
            remote.close()
        fronts["embedded"] = start_server(copy, tmp, env=env)
        for kind, b in backends.items():
            fronts[kind] = start_server(copy, tmp, env={**env, **b.env})
        rows = []
        with httpx.Client(timeout=args.timeout + 30) as c:
            for name, template in QUERIES.items():
                text = template.replace("{base}", base)
                cells = {}
                for label, url, extra in [("claimgraph embedded", fronts["embedded"].url + "/sparql", None),
                                          ("claimgraph on oxigraph", fronts["oxigraph"].url + "/sparql", None),
                                          ("claimgraph on virtuoso", fronts["virtuoso"].url + "/sparql", None),
                                          ("oxigraph serve direct", backends["oxigraph"].query_url, {"union-default-graph": ""})]:
                    times, statuses = [], set()
                    for i in range(args.repeat):
                        t, status = timed(c, url, f"{text} # {label} {i} {time.time_ns()}", extra)
                        times.append(t)
                        statuses.add(status)
                    cells[label] = (statistics.median(times), statuses)
                rows.append((name, cells))
        ref = "claimgraph embedded"
        labels = list(rows[0][1])
        print(f"\n{copy.resolve().name}: never-repeated requests, median of {args.repeat}, seconds (÷ {ref})\n")
        print("| query | " + " | ".join(labels) + " |")
        print("|---|" + "---:|" * len(labels))
        for name, cells in rows:
            r = cells[ref][0]
            out = []
            for label in labels:
                t, statuses = cells[label]
                flag = "" if statuses == {200} else f" (HTTP {','.join(map(str, sorted(statuses)))})"
                out.append(f"{t:.3f} ({t / r:.2f}×){flag}")
            print(f"| {name} | " + " | ".join(out) + " |")
    finally:
        for f in fronts.values():
            f.stop()
        for b in backends.values():
            b.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
