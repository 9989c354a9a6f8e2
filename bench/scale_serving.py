"""Served latency on a built store of N articles: claimgraph's REST and SPARQL, and the same
SPARQL against `oxigraph serve-read-only` on the same store, in the same minutes.

Every request is different from the ones before it (another claim, entity, article, word or
LIMIT), so neither side's answer cache helps: these are the never-repeated figures. Sequential
requests over one keep-alive connection per server; p50 and p99 of each kind.

    python bench/scale_serving.py STORE [--requests 60]      (also run by bench/scale.py)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proc_tree  # noqa: E402

HERE = Path(__file__).resolve().parent
OXIGRAPH = Path(sys.executable).with_name("oxigraph")
CLAIMGRAPH = Path(sys.executable).with_name("claimgraph")
CG = "https://w3id.org/claimgraph/ontology#"
NIF = "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"
ENTITIES = ["russia", "united-states", "china", "india", "iran", "europe", "nato", "soviet-union"]  # SPARQL joins
WORDS = ["Rusia", "sanctions", "economic", "Moscow", "sanctoins", "rapprochement", "Washington", "Kremlin",
         "cooperation", "China", "partners", "interest", "policy", "investment", "trade", "hurry"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"p50_ms": round(statistics.median(s) * 1000, 2), "p99_ms": round(s[min(len(s) - 1, int(len(s) * 0.99))] * 1000, 2)}


def _time(client: httpx.Client, requests: list[tuple[str, dict]], rows: list[int] | None = None) -> dict[str, float]:
    """p50/p99 of `requests` one at a time; each SPARQL answer's row count appended to `rows`."""
    samples = []
    for path, params in requests:
        t = time.perf_counter()
        r = client.get(path, params=params)
        samples.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise RuntimeError(f"{path} {params} -> {r.status_code}: {r.text[:300]}")
        if rows is not None:
            rows.append(len(r.json()["results"]["bindings"]))
    return _stats(samples)


def _same_rows(kind: str, ours: list[int], theirs: list[int]) -> None:
    """Both servers answered every query with as many rows (a peer answering nothing is no peer)."""
    if ours != theirs or not any(ours):
        raise RuntimeError(f"{kind}: claimgraph and oxigraph answered different row counts: {ours[:5]} vs {theirs[:5]}")


def _named_sparql(requests: list[tuple[str, dict]], base: str) -> list[str]:
    """The SPARQL the named-query requests run (their parameters bound as claimgraph binds them), for
    `oxigraph serve` to answer the same question."""
    from claimgraph.named.loader import load_query
    from claimgraph.namespaces import Minter
    from claimgraph.sparql.bindings import with_bindings

    mint = Minter(base)
    q = load_query(Path(__file__).resolve().parents[1] / "queries" / "claims-about.rq", mint)
    return [with_bindings(q.sparql, q.bindings(params, mint)) for _path, params in requests]


def _sparql_kinds(store: Path, n: int, base: str) -> dict[str, list[str]]:
    """Never-repeated SPARQL of three kinds, on subjects that exist in this store."""
    import pyoxigraph as ox

    s = ox.Store.read_only(str(store.resolve()))
    claims = [r["c"].value for r in s.query(f"SELECT ?c WHERE {{ GRAPH ?g {{ ?c a <{CG}Claim> }} }} LIMIT {n}")]
    return {
        "point lookup": [f"SELECT ?p ?o WHERE {{ <{c}> ?p ?o }}" for c in claims],
        "join": [f"SELECT ?c ?q WHERE {{ ?c a <{CG}Claim> ; <{CG}about> <{base}entity/{ENTITIES[i % len(ENTITIES)]}> ; "
                 f"<{CG}quote>/<{NIF}anchorOf> ?q }} LIMIT {10 + i}" for i in range(n)],
        "?s ?p ?o LIMIT": [f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {10 + i}" for i in range(n)],
    }


def _rest_kinds(slugs: list[str], ids: list[str], names: list[str], n: int) -> dict[str, list[tuple[str, dict]]]:
    stances = [None, "critical", "favourable", "neutral", "mixed"]
    words = list(dict.fromkeys(WORDS + names))
    return {
        "entity page": [(f"/api/entities/{ids[i % len(ids)]}", {}) for i in range(n)],
        "claims page": [("/api/claims", {"article": slugs[i % len(slugs)], "limit": str(20 + i % 60)})
                        for i in range(n)],
        "search": [("/api/search", {"q": words[i % len(words)], "limit": str(10 + i // len(words))})
                   for i in range(n)],
        "named query": [("/api/queries/claims-about", {"topic": ids[i % len(ids)],
                                                       **({"stance": stances[(i // len(ids)) % 5]}
                                                          if stances[(i // len(ids)) % 5] else {})})
                        for i in range(n)],
    }


def measure(store: Path, requests: int = 60, base: str = "http://127.0.0.1:8000/id/") -> dict:
    sparql = _sparql_kinds(store, requests, base)
    cg_port, ox_port = _port(), _port()
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store), "CLAIMGRAPH_PORT": str(cg_port),
           "CLAIMGRAPH_UPDATE_TOKEN": "", "CLAIMGRAPH_BASE_IRI": base}
    cg = subprocess.Popen([str(CLAIMGRAPH), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    oxs = subprocess.Popen([str(OXIGRAPH), "serve-read-only", "--location", str(store.resolve()),
                            "--bind", f"127.0.0.1:{ox_port}",
                            # Queries see the union of the named graphs, as claimgraph's do (without it
                            # oxigraph's default graph is empty and every answer had no rows).
                            "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    out: dict = {"requests": requests}
    try:
        _wait(f"http://127.0.0.1:{cg_port}/health", cg)
        _wait(f"http://127.0.0.1:{ox_port}/query?query=ASK%7B%7D", oxs)
        with httpx.Client(base_url=f"http://127.0.0.1:{cg_port}", timeout=120) as c, \
                httpx.Client(base_url=f"http://127.0.0.1:{ox_port}", timeout=120) as o:
            slugs = [r["slug"] for r in c.get("/api/articles", params={"limit": 500}).json()["rows"]]
            entities = c.get("/api/entities", params={"limit": 500}).json()["rows"]
            ids = [e["registerId"] for e in entities]
            names = [e["label"] for e in entities if e.get("label")]
            c.get("/api/search", params={"q": "warm up"})  # opens the index once, as any first search does
            # A server that has been up a while has measured its store's fan-out (what lets it
            # answer queries proven bounded in-process, sparql/bounded.py): let it, as the first
            # queries after a start do, before timing anything.
            for i in range(20):
                c.get("/sparql", params={"query": f"ASK {{ ?s ?p {i} }}"},
                      headers={"Accept": "application/sparql-results+json"})
            time.sleep(2)
            for kind, texts in sparql.items():
                accept = {"Accept": "application/sparql-results+json"}
                c.headers.update(accept)
                o.headers.update(accept)
                ours, theirs = [], []
                out[kind] = {"claimgraph": _time(c, [("/sparql", {"query": q}) for q in texts], ours),
                             "oxigraph": _time(o, [("/query", {"query": q}) for q in texts], theirs)}
                _same_rows(kind, ours, theirs)
            c.headers["Accept"] = "application/json"
            for kind, reqs in _rest_kinds(slugs, ids, names, requests).items():
                out[kind] = {"claimgraph": _time(c, reqs)}
            # The named query's own SPARQL on oxigraph: what the question costs the engine itself.
            named = _rest_kinds(slugs, ids, names, requests)["named query"]
            out["named query"]["oxigraph"] = _time(o, [("/query", {"query": q}) for q in _named_sparql(named, base)])
        out["rss"] = {"claimgraph": proc_tree.tree_rss(cg.pid), "oxigraph": proc_tree.tree_rss(oxs.pid)}
    finally:
        for p in (cg, oxs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    return out


def table(rows: list[dict]) -> str:
    """One row per size and kind: claimgraph p50/p99, oxigraph's where it answers the same SPARQL."""
    lines = ["| articles | request | claimgraph p50 | p99 | `oxigraph serve` p50 | p99 | oxigraph p50 / claimgraph p50 |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        s = row["serving"]
        for kind, v in s.items():
            if kind == "rss" or not isinstance(v, dict) or "claimgraph" not in v:
                continue
            c, o = v["claimgraph"], v.get("oxigraph")
            ratio = f"{o['p50_ms'] / c['p50_ms']:.2f}×" if o else "–"
            lines.append(f"| {row['articles']:,} | {kind} | {c['p50_ms']:.1f} ms | {c['p99_ms']:.1f} ms | "
                         + (f"{o['p50_ms']:.1f} ms | {o['p99_ms']:.1f} ms | " if o else "– | – | ") + f"{ratio} |")
        gb = 1024 ** 3
        lines.append(f"| {row['articles']:,} | memory after the run (RSS) | {s['rss']['claimgraph'] / gb:.2f} GB | | "
                     f"{s['rss']['oxigraph'] / gb:.2f} GB | | |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--requests", type=int, default=60)
    args = ap.parse_args()
    result = measure(args.store, args.requests)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
