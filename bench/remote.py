"""The same front end on three backends: what a remote SPARQL server buys and costs, per request.

    python bench/remote.py --articles 1000 [--requests 20]     (builds a synthetic corpus first)
    python bench/remote.py --store PATH/store [--requests 20]  (a store already built)

Loads the live version of the built store into a fresh `oxigraph serve` and a fresh Debian
Virtuoso (as `claimgraph build` loads one: store/remote_load.py, timed), then starts claimgraph
front ends on the embedded store, on Oxigraph, and on Virtuoso twice: with the dataset listed
(the default, every graph of ours named per query) and exclusive (CLAIMGRAPH_REMOTE_DATASET=
exclusive: every graph but the server's own). It times the scale benchmark's never-repeated
requests (bench/scale_serving.py: point lookups, joins, `?s ?p ?o LIMIT`, entity and claims pages,
search, the named query) and three aggregates over the whole corpus, through each front end and,
as the peers measured in the same run, straight to each server (Oxigraph asked for its union
default graph; Virtuoso asked nothing, so its answers include its own system graphs). Prints
p50 per request kind with its ratio to the embedded front end, and how many requests failed.
Timing only: tests/test_remote_backends.py holds the answers equal.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "service"), str(ROOT / "tests"), str(ROOT / "bench")]

from claimgraph.config import Settings  # noqa: E402
from claimgraph.namespaces import Minter  # noqa: E402
from claimgraph.store.remote import RemoteConfig, RemoteStore  # noqa: E402
from claimgraph.store.remote_load import load_version  # noqa: E402
from claimgraph.store.swap import current_version_dir  # noqa: E402
import scale_serving  # noqa: E402
from support.backends import start_backend  # noqa: E402
from support.liveserver import start_server, writable_copy  # noqa: E402
from support.scale_corpus import make_corpus  # noqa: E402

CG = "PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
AGGREGATES = {
    "claims by stance (GROUP BY)": CG + "SELECT ?stance (COUNT(?c) AS ?n) WHERE { ?c a cg:Claim ; cg:stance ?stance } "
                                        "GROUP BY ?stance ORDER BY ?stance",
    "claims × sentence mentions (join COUNT)": CG + "SELECT (COUNT(*) AS ?n) WHERE { ?c cg:inSentence ?s . ?s cg:mentions ?e }",
    "claimants per article (nested aggregate)": CG + "SELECT (MAX(?k) AS ?most) WHERE { SELECT ?a (COUNT(DISTINCT ?who) AS ?k) "
                                                     "WHERE { ?a cg:hasClaim ?c . ?c cg:claimant ?who } GROUP BY ?a }",
}
JSON = {"Accept": "application/sparql-results+json"}


def timed(client: httpx.Client, method: str, url: str, **kw) -> tuple[float, int]:
    started = time.perf_counter()
    r = client.request(method, url, **kw)
    return time.perf_counter() - started, r.status_code


def build_corpus(n: int, work: Path) -> Path:
    data = make_corpus(work / "data", n)
    store = work / "store"
    env = {"CLAIMGRAPH_DATA": str(data), "CLAIMGRAPH_STORE": str(store), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "claimgraph", "build"], env=env, cwd=ROOT, check=True)
    print(f"built {n:,} synthetic articles in {time.perf_counter() - started:.0f} s", flush=True)
    return store


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, help="a built store (its symlink), e.g. var/store")
    ap.add_argument("--articles", type=int, help="build a synthetic corpus of this many articles first")
    ap.add_argument("--requests", type=int, default=20, help="never-repeated requests of each kind")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    if (args.store is None) == (args.articles is None):
        ap.error("give --store or --articles")
    base = Settings().base_iri
    mint = Minter(base)
    tmp = Path(tempfile.mkdtemp(prefix="claimgraph-bench-remote-"))
    source = args.store or build_corpus(args.articles, tmp / "built")
    copy = writable_copy(source, tmp / "copy")
    version = current_version_dir(copy)
    backends, fronts = {}, {}
    env = {"CLAIMGRAPH_QUERY_TIMEOUT": str(args.timeout), "CLAIMGRAPH_WORKER_MEMORY_MB": "8192",
           "CLAIMGRAPH_LOG_LEVEL": "warning"}
    loads = []
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
                                              password=e.get("CLAIMGRAPH_REMOTE_PASSWORD", ""), read_timeout=900))
            started = time.perf_counter()
            report = load_version(version, tmp / kind / "store", remote, base, mint.dataset,
                                  mint.graph("dataset"), full=True)
            loads.append(f"{kind}: {report.triples_sent:,} triples in {len(report.sent):,} graphs loaded in "
                         f"{time.perf_counter() - started:.1f} s")
            print(loads[-1], flush=True)
            remote.close()
        fronts["embedded"] = start_server(copy, tmp, env=env)
        fronts["on oxigraph"] = start_server(copy, tmp, env={**env, **backends["oxigraph"].env})
        fronts["on virtuoso, listed"] = start_server(copy, tmp, env={**env, **backends["virtuoso"].env})
        fronts["on virtuoso, exclusive"] = start_server(copy, tmp, env={**env, **backends["virtuoso"].env,
                                                                        "CLAIMGRAPH_REMOTE_DATASET": "exclusive"})
        directs = {"oxigraph serve direct": (backends["oxigraph"].query_url, {"union-default-graph": ""}),
                   "virtuoso direct": (backends["virtuoso"].query_url, {})}
        with httpx.Client(timeout=args.timeout + 30) as c:
            first = fronts["embedded"].url
            slugs = [r["slug"] for r in c.get(first + "/api/articles", params={"limit": 500}).json()["rows"]]
            entities = c.get(first + "/api/entities", params={"limit": 500}).json()["rows"]
            ids = [e["registerId"] for e in entities]
            names = [e["label"] for e in entities if e.get("label")]
            for f in fronts.values():
                c.get(f.url + "/api/search", params={"q": "warm up"})
            kinds: dict[str, list[tuple[str, str, dict]]] = {}
            for kind, texts in scale_serving._sparql_kinds(copy, args.requests, base).items():
                kinds[kind] = [("POST", "/sparql", {"query": q}) for q in texts]
            for kind, texts in AGGREGATES.items():
                kinds[kind] = [("POST", "/sparql", {"query": f"{texts} # {i} {time.time_ns()}"}) for i in range(3)]
            for kind, reqs in scale_serving._rest_kinds(slugs, ids, names, args.requests).items():
                kinds[kind] = [("GET", path, params) for path, params in reqs]
            rows = []
            for kind, reqs in kinds.items():
                cells = {}
                for label, f in fronts.items():
                    times, failed = [], 0
                    for method, path, params in reqs:
                        kw = {"data": params, "headers": JSON} if method == "POST" else {"params": params}
                        t, status = timed(c, method, f.url + path, **kw)
                        times.append(t)
                        failed += status != 200
                    cells[label] = (statistics.median(times), failed, len(reqs))
                if reqs[0][1] == "/sparql":
                    for label, (url, extra) in directs.items():
                        times, failed = [], 0
                        for _m, _p, params in reqs:
                            t, status = timed(c, "POST", url, data={**params, **extra}, headers=JSON)
                            times.append(t)
                            failed += status != 200
                        cells[label] = (statistics.median(times), failed, len(reqs))
                rows.append((kind, cells))
                print(kind, {k: f"{v[0] * 1000:.1f} ms" + (f" ({v[1]} failed)" if v[1] else "") for k, v in cells.items()},
                      flush=True)
        ref = "embedded"
        labels = [*fronts, *directs]
        print(f"\n{copy.resolve().name}: never-repeated requests, p50 (÷ the embedded front end); "
              f"'n failed' counts answers other than 200\n")
        print("\n".join(loads) + "\n")
        print("| request | " + " | ".join(labels) + " |")
        print("|---|" + "---:|" * len(labels))
        for name, cells in rows:
            r = cells[ref][0]
            out = []
            for label in labels:
                if label not in cells:
                    out.append("–")
                    continue
                t, failed, n = cells[label]
                flag = f" ({failed}/{n} failed)" if failed else ""
                out.append(f"{t * 1000:.1f} ms ({t / r:.2f}×){flag}")
            print(f"| {name} | " + " | ".join(out) + " |")
    finally:
        for f in fronts.values():
            f.stop()
        for b in backends.values():
            b.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
