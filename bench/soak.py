"""Soak: 8 clients for a long while on a mixed workload, against a real `claimgraph serve`.

Lookups, named queries, REST lists, search, Linked Data pages, runaway queries (stopped at the
deadline, their worker killed and respawned), oversized queries and bodies, and writes through
the API when a token is given. It checks, and exits 1 on a failure:

- every status is one the request may get (no unexpected status, never a 5xx but the 503 a
  runaway earns), and every 200 with JSON parses whole (no truncated body);
- worker respawns equal the workers killed (timeouts + crashes), read from /metrics;
- the serving processes' RSS drifts less than 10 % from the end of warm-up to the end
  (judged only on runs of 10 minutes or more: shorter ones print it);

and prints p50/p99 per kind of request. The CI runs a short form (tests/test_soak.py);
the full one is `make soak` (30 minutes).

    .venv/bin/python bench/soak.py --store var/store --minutes 30 [--token T] [--json out.json]

With --token the server runs on a hard-linked copy of the store, so the soak's writes never
reach the store given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SLUG = "us-russia-reconfiguration"
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass
class Kind:
    name: str
    weight: int
    method: str
    path: str
    params: dict = field(default_factory=dict)
    expect: tuple[int, ...] = (200,)
    json: bool = True
    body: bytes | None = None
    headers: dict = field(default_factory=dict)


def workload(token: str | None, max_query_bytes: int) -> list[Kind]:
    kinds = [
        Kind("lookup", 20, "GET", "/api/entities/russia"),
        Kind("claim", 10, "GET", f"/api/claims/{SLUG}/c24"),
        Kind("claims-list", 8, "GET", "/api/claims", {"stance": "critical", "limit": "20"}),
        Kind("named-query", 10, "GET", "/api/queries/claims-about", {"topic": "us-sanctions-policy"}),
        Kind("named-aggregate", 4, "GET", "/api/queries/stance-toward"),
        Kind("search", 8, "GET", "/api/search", {"q": "sanctions"}),
        Kind("sparql", 10, "GET", "/sparql", {"query": "SELECT ?c WHERE { ?c a <https://w3id.org/claimgraph/ontology#Claim> } LIMIT 5"},
             headers={"Accept": "application/sparql-results+json"}),
        Kind("page", 6, "GET", f"/id/article/{SLUG}", headers={"Accept": "text/html"}, json=False),
        Kind("health", 4, "GET", "/health"),
        Kind("runaway", 1, "GET", "/sparql", {"query": CROSS}, expect=(503,),
             headers={"Accept": "application/sparql-results+json"}),
        # In the body: httpx refuses a query string over 64 KB on the client side (InvalidURL), and a
        # URL that long is tests/test_connection_limits.py's (431).
        Kind("oversized-query", 1, "POST", "/sparql", body=("ASK {}" + " " * (max_query_bytes + 10)).encode(),
             headers={"Content-Type": "application/sparql-query"}, expect=(413,)),
        Kind("oversized-body", 1, "POST", "/sparql", body=b"query=" + b"x" * (17 * 1024 * 1024),
             headers={"Content-Type": "application/x-www-form-urlencoded"}, expect=(413,)),
        Kind("bad-query", 2, "GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p"}, expect=(400,)),
    ]
    if token:
        kinds.append(Kind("write", 3, "POST", "/sparql", expect=(204,), json=False,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"}))
    return kinds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """RSS of a process and all its descendants (the serving processes and their workers)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            m = re.search(r"^VmRSS:\s+(\d+)", status, re.M)
            total += int(m.group(1)) if m else 0
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            todo.extend(int(k) for k in kids)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def private_copy(store: Path, into: Path) -> Path:
    """A hard-linked backup of the store, laid out as a build leaves one: writes never touch the original."""
    import pyoxigraph as ox

    live = store.resolve()
    (into / "store.versions").mkdir(parents=True)
    ox.Store.read_only(str(live)).backup(str(into / "store.versions" / live.name))
    (into / "store").symlink_to(Path("store.versions") / live.name)
    return into / "store"


def metric(text: str, name: str) -> float:
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def run(store: Path, seconds: float, clients: int, token: str | None, seed: int) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store), "CLAIMGRAPH_LOG_LEVEL": "warning",
           "CLAIMGRAPH_QUERY_TIMEOUT": "2", "CLAIMGRAPH_PROCESSES": "1"}
    if token:
        env["CLAIMGRAPH_UPDATE_TOKEN"] = token
    log = Path(tempfile.mkstemp(prefix="soak-", suffix=".log")[1])
    proc = subprocess.Popen([sys.executable, "-m", "claimgraph", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--store", str(store)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        from claimgraph.config import Settings

        max_bytes = Settings().max_query_bytes
        kinds = workload(token, max_bytes)
        weights = [k.weight for k in kinds]
        lat: dict[str, list[float]] = {k.name: [] for k in kinds}
        problems: list[str] = []
        statuses: dict[str, dict[int, int]] = {k.name: {} for k in kinds}
        lock = threading.Lock()
        stop = time.time() + seconds
        writes = [0]

        def client(n: int) -> None:
            rng = random.Random(seed + n)
            with httpx.Client(base_url=url, timeout=30) as c:
                while time.time() < stop:
                    k = rng.choices(kinds, weights)[0]
                    content = k.body
                    if k.name == "write":
                        with lock:
                            writes[0] += 1
                            i = writes[0]
                        content = (f"INSERT DATA {{ GRAPH <http://example.org/soak> {{ <http://example.org/s{i}> "
                                   f"<http://example.org/p> {i} }} }}").encode()
                    t = time.perf_counter()
                    try:
                        r = c.request(k.method, k.path, params=k.params or None, content=content, headers=k.headers)
                    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
                        with lock:
                            problems.append(f"{k.name}: {type(exc).__name__}: {exc}")
                        continue
                    dt = time.perf_counter() - t
                    with lock:
                        lat[k.name].append(dt)
                        statuses[k.name][r.status_code] = statuses[k.name].get(r.status_code, 0) + 1
                        if r.status_code not in k.expect:
                            problems.append(f"{k.name}: unexpected {r.status_code}: {r.text[:200]}")
                        elif r.status_code == 200 and k.json:
                            try:
                                r.json()
                            except ValueError:
                                problems.append(f"{k.name}: a 200 whose JSON does not parse (truncated?)")
                        if "Traceback" in r.text:
                            problems.append(f"{k.name}: a stack trace in the body")

        rss: list[tuple[float, int]] = []
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        t0 = time.time()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            rss.append((time.time() - t0, rss_kb(proc.pid)))
            time.sleep(min(5.0, max(0.5, seconds / 40)))
        for t in threads:
            t.join()
        text = httpx.get(f"{url}/metrics", timeout=10).text
        killed = metric(text, "claimgraph_worker_timeouts_total") + metric(text, "claimgraph_worker_crashes_total")
        time.sleep(3)  # respawns run in the background after a kill
        respawns = metric(httpx.get(f"{url}/metrics", timeout=10).text, "claimgraph_worker_respawns_total")
        if respawns != killed:
            problems.append(f"worker respawns {respawns:g} != workers killed {killed:g}")
        if proc.poll() is not None:
            problems.append("the server died")
        warm = [kb for at, kb in rss if at >= seconds * 0.2] or [kb for _, kb in rss]
        drift = (warm[-1] - warm[0]) / warm[0] * 100 if warm and warm[0] else 0.0
        judged = seconds >= 600
        if judged and abs(drift) >= 10:
            problems.append(f"RSS drifted {drift:+.1f}% after warm-up")
        if token:
            stored = httpx.get(f"{url}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/soak> { ?s ?p ?o } }"},
                               headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
            n = int(stored["results"]["bindings"][0]["n"]["value"])
            acked = statuses.get("write", {}).get(204, 0)
            if n != acked:
                problems.append(f"{acked} writes acknowledged, {n} stored")

        def pct(xs: list[float], q: float) -> float | None:
            return round(statistics.quantiles(xs, n=100)[q - 1] * 1000, 2) if len(xs) >= 2 else None

        return {
            "seconds": seconds, "clients": clients, "requests": sum(len(v) for v in lat.values()),
            "by_kind": {k: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99), "statuses": statuses[k]}
                        for k, v in lat.items()},
            "workers_killed": killed, "worker_respawns": respawns,
            "rss_mb": {"after_warmup": round(warm[0] / 1024, 1) if warm else None,
                       "end": round(warm[-1] / 1024, 1) if warm else None,
                       "drift_percent": round(drift, 1), "judged": judged},
            "problems": problems[:50], "problem_count": len(problems),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--store", default=str(ROOT / "var" / "store"))
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--seconds", type=float, help="overrides --minutes")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--token", help="enable writes with this update token")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--json", help="also write the report here")
    args = ap.parse_args()
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    store = Path(args.store)
    with tempfile.TemporaryDirectory(prefix="soak-store-") as tmp:
        if args.token:  # writes go to a private copy, never to the store given
            store = private_copy(store, Path(tmp))
        report = run(store, seconds, args.clients, args.token, args.seed)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return 1 if report["problem_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
