"""The benchmark `make bench` runs: claimgraph vs `oxigraph serve` vs rdflib-endpoint.

Same corpus in all three, same queries, same load (wrk, N keep-alive
connections), measured in one run on one machine, reported as ratios
(these machines are shared and noisy: absolute numbers move, ratios less).
Answers are compared across servers before anything is timed; a server
that answers differently is not timed on that scenario.

    .venv/bin/python bench/run.py [--duration 10] [--servers oxigraph,claimgraph,rdflib]

Writes bench/out/results.md (and .json) and copies the table to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import load  # noqa: E402
import scenarios as sc  # noqa: E402
import servers as sv  # noqa: E402

ACCEPT = "application/sparql-results+json"
TARGETS = {"point": 1.0, "point-unique": 0.6, "count": 1.0}  # claimgraph / oxigraph, from the issue
RDFLIB_TARGET = 40.0


def check_answers(servers: dict[str, sv.Server], scenario: sc.Scenario, reference: str) -> dict[str, str]:
    """Per server, '' when its answers equal the reference server's, else what differs."""
    verdicts = {name: "" for name in servers}
    for k in (0, 1, 7):
        text = scenario.text(k, f"check-{k}")
        answers = {}
        for name, server in servers.items():
            status, body, _h = server.query(text)
            answers[name] = sc.normalize(body) if status == 200 else f"HTTP {status}: {body[:200]!r}"
        ref = answers[reference]
        if isinstance(ref, str):
            raise SystemExit(f"{reference} failed the {scenario.name} check query: {ref}\n{text}")
        if not ref:
            raise SystemExit(f"the {scenario.name} check query has an empty answer; the corpus is too small:\n{text}")
        for name, got in answers.items():
            if got != ref and not verdicts[name]:
                shown = got if isinstance(got, str) else f"{len(got)} rows vs {len(ref)}"
                verdicts[name] = f"answers differ from {reference} ({shown})"
    return verdicts


def claimgraph_counters(server: sv.Server) -> dict[str, float]:
    # With several serving processes /metrics adds up what each shared, at most a second ago.
    time.sleep(1.2)
    status, body, _h = sv.http_get(server.port, "/metrics", accept="text/plain")
    out: dict[str, float] = {}
    if status == 200:
        for line in body.decode().splitlines():
            m = re.match(r"^(claimgraph_[a-z_]+(?:\{[^}]*\})?) ([0-9.eE+-]+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
    return out


def _run_once(server: sv.Server, scenario: sc.Scenario, args: argparse.Namespace, seconds: float,
              tag: str) -> tuple[load.Measurement, float]:
    script = args.out / f"{scenario.name}-{server.name.split()[0]}-{tag}.lua"
    run_id = f"r{int(time.time())}{tag}"  # never-repeated queries must not repeat across runs either
    script.write_text(sc.lua_script(scenario, server.path, ACCEPT, run_id))
    cpu = server.cpu_seconds()
    m = load.run_wrk(f"http://127.0.0.1:{server.port}", script, seconds, args.connections, args.threads)
    server.wait_idle()  # work left over from this window must not land in the next server's
    return m, server.cpu_seconds() - cpu


def sequential_estimate(server: sv.Server, scenario: sc.Scenario, n: int = 3) -> tuple[float, float]:
    """For a server too slow to finish a request within a window: n requests one after another.
    Returns (requests per second, mean seconds per request). A server that evaluates one query at a
    time (rdflib-endpoint runs them on its event loop) serves concurrent clients no faster."""
    started = time.perf_counter()
    for k in range(n):
        status, _body, _h = server.query(scenario.text(k, f"seq{k}x{int(time.time())}"))
        if status != 200:
            raise RuntimeError(f"{server.name} answered {status} to a {scenario.name} query")
    mean = (time.perf_counter() - started) / n
    return 1 / mean, mean


def measure_interleaved(servers: dict[str, sv.Server], scenario: sc.Scenario,
                        args: argparse.Namespace) -> dict[str, dict]:
    """Warm each server up, then measure them in turn, `rounds` times, so load from other
    tenants of the machine falls on all of them alike; totals are summed over the rounds."""
    for name, server in servers.items():
        if args.warmup > 0:
            _run_once(server, scenario, args, args.warmup, f"w{abs(hash(name)) % 1000}")
    per = max(1.0, args.duration / args.rounds)
    acc: dict[str, dict] = {name: {"requests": 0, "errors": 0, "seconds": 0.0, "cpu": 0.0, "p50": [], "p99": [],
                                   "hits": 0.0, "queries": 0.0, "copy": 0.0} for name in servers}
    for r in range(args.rounds):
        for name, server in servers.items():
            before = claimgraph_counters(server) if name.startswith("claimgraph") else {}
            m, cpu = _run_once(server, scenario, args, per, f"m{r}x{abs(hash(name)) % 1000}")
            a = acc[name]
            a["requests"] += m.requests
            a["errors"] += m.errors
            a["seconds"] += m.seconds
            a["cpu"] += cpu
            a["p50"].append(m.p50_ms)
            a["p99"].append(m.p99_ms)
            if before:
                after = claimgraph_counters(server)
                a["hits"] += after.get("claimgraph_cache_hits_total", 0) - before.get("claimgraph_cache_hits_total", 0)
                a["queries"] += sum(v - before.get(k, 0) for k, v in after.items()
                                    if k.startswith("claimgraph_queries_total"))
                copy = "claimgraph_worker_copy_answers_total"
                a["copy"] += after.get(copy, 0) - before.get(copy, 0)
    out = {}
    for name, a in acc.items():
        ok = max(0, a["requests"] - a["errors"])
        out[name] = {
            "rps": ok / a["seconds"] if a["seconds"] else 0.0,
            "p50_ms": statistics.median(a["p50"]), "p99_ms": statistics.median(a["p99"]),
            "errors": a["errors"], "requests": a["requests"],
            "cpu_us_per_request": 1e6 * a["cpu"] / a["requests"] if a["requests"] else None,
            "cache_hit_share": a["hits"] / a["queries"] if a["queries"] else None,
            # Queries answered by a worker from its in-memory copy (whole-store scans, mostly).
            "worker_copy_answers": a["copy"] if name.startswith("claimgraph") else None,
            "rss_mb": servers[name].rss_mb(),
        }
        if a["requests"] < 3:
            rps, mean = sequential_estimate(servers[name], scenario)
            out[name].update(rps=rps, p50_ms=mean * 1000, p99_ms=mean * 1000, cpu_us_per_request=None,
                             estimated=f"estimated from 3 sequential requests ({mean:.1f} s each): "
                                       f"{a['requests']} finished within the timed windows")
    return out


def _processes(env: dict[str, str]) -> int:
    """How many serving processes the main claimgraph runs with (CLAIMGRAPH_PROCESSES resolved)."""
    from claimgraph.config import Settings

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Settings().serving_processes
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _health(server: sv.Server | None) -> dict:
    """The main claimgraph's /health: its malloc (CLAIMGRAPH_ALLOCATOR resolved) and in-memory copy."""
    if server is None:
        return {}
    status, body, _h = sv.http_get(server.port, "/health", accept="application/json")
    return json.loads(body) if status == 200 else {}


def render(report: dict) -> str:
    lines = [
        "# claimgraph benchmark",
        "",
        f"{report['when']} · {report['machine']} · corpus {report['quads']} quads "
        f"({report['articles']} synthetic articles + the seed graph) · wrk {report['connections']} keep-alive "
        f"connections, {report['threads']} threads · {report['duration']} s per cell in {report['rounds']} interleaved "
        f"rounds after {report['warmup']} s warm-up · GET <endpoint>?query=… Accept: {ACCEPT}",
        "",
        "req/s counts successful answers only; p50/p99 are medians over the rounds; CPU µs/req is the server's "
        "CPU time (all its processes, claimgraph's query workers included) per request, the measure least moved "
        "by other load on the machine.",
        "",
        "claimgraph runs with its defaults" + (f" plus {report['claimgraph_env']}" if report.get("claimgraph_env") else "")
        + f" ({report.get('processes', '?')} serving processes here, malloc: {report.get('allocator', '?')}, "
        f"Python {report.get('python', '?')}, inline queries on "
        + (f"an in-memory copy of {report['in_memory_quads']:,} quads)" if report.get("in_memory_quads")
           else "the disk store)")
        + " and query logging off; "
        + ("; ".join(f"'claimgraph {v.partition(':')[0]}' with {v.partition(':')[2]}" for v in report.get("variants", []))
           or "no variants") + ".",
        "",
        "| scenario | server | req/s | p50 ms | p99 ms | CPU µs/req | errors | vs oxigraph | vs rdflib-endpoint | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for scen in report["scenarios"]:
        cells = scen["results"]
        ox_rps = cells.get("oxigraph serve", {}).get("rps")
        rd_rps = cells.get("rdflib-endpoint", {}).get("rps")
        for name, r in cells.items():
            if "skipped" in r:
                lines.append(f"| {scen['name']} | {name} | – | – | – | – | – | – | – | {r['skipped']} |")
                continue
            vs_ox = f"{r['rps'] / ox_rps:.2f}×" if ox_rps else "–"
            vs_rd = f"{r['rps'] / rd_rps:.1f}×" if rd_rps else "–"
            notes = []
            if r.get("cache_hit_share") is not None:
                notes.append(f"{100 * r['cache_hit_share']:.0f}% answered from cache")
            if r.get("worker_copy_answers"):
                # /metrics of other serving processes lags up to 1 s: a count, not a share of requests
                notes.append(f"{r['worker_copy_answers']:.0f} worker answers from in-memory copies")
            notes.append(f"RSS {r['rss_mb']:.0f} MB")
            cpu = f"{r['cpu_us_per_request']:,.0f}" if r.get("cpu_us_per_request") else "–"
            if r.get("estimated"):
                notes.append(r["estimated"])
            elif r["requests"] < 50:
                notes.append(f"only {r['requests']} requests completed")
            lines.append(f"| {scen['name']} | {name} | {r['rps']:,.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {cpu} | "
                         f"{r['errors']} | {vs_ox} | {vs_rd} | {'; '.join(notes)} |")
    lines += ["", "Targets (claimgraph ÷ peer, req/s):", ""]
    for scen in report["scenarios"]:
        cells = scen["results"]
        cg = cells.get("claimgraph", {}).get("rps")
        ox_rps = cells.get("oxigraph serve", {}).get("rps")
        rd_rps = cells.get("rdflib-endpoint", {}).get("rps")
        parts = []
        if cg and ox_rps:
            target = TARGETS.get(scen["name"])
            mark = "" if target is None else (f" (target ≥ {target:.1f}×: {'met' if cg / ox_rps >= target else 'NOT met'})")
            parts.append(f"{cg / ox_rps:.2f}× oxigraph{mark}")
        if cg and rd_rps:
            parts.append(f"{cg / rd_rps:.0f}× rdflib-endpoint (target ≥ {RDFLIB_TARGET:.0f}×: "
                         f"{'met' if cg / rd_rps >= RDFLIB_TARGET else 'NOT met'})")
        if parts:
            lines.append(f"- {scen['name']} — {scen['title']}: " + "; ".join(parts))
    lines += ["", "Queries:", ""]
    for scen in report["scenarios"]:
        lines.append(f"- `{scen['name']}`: `{scen['example']}`")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=int(os.environ.get("BENCH_ARTICLES", 100)))
    p.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 10)),
                   help="seconds measured per scenario and server")
    p.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP", 2)))
    p.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)),
                   help="measure the servers in turn this many times per scenario (duration is split)")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--servers", default=os.environ.get("BENCH_SERVERS", "oxigraph,claimgraph,rdflib"))
    p.add_argument("--scenarios", default=os.environ.get("BENCH_SCENARIOS", ""), help="comma list; default all")
    p.add_argument("--seed-store", type=Path, default=HERE.parent / "var" / "store",
                   help="built claimgraph store whose data joins the corpus ('' for none)")
    p.add_argument("--claimgraph-env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment for claimgraph serve (e.g. CLAIMGRAPH_WORKERS=3)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                   help="also run claimgraph with other settings, measured alongside (e.g. "
                        "one-process:CLAIMGRAPH_PROCESSES=1)")
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--no-copy", action="store_true", help="do not copy the table to bench/RESULTS.md")
    args = p.parse_args(argv)
    load.wrk_path()
    args.out.mkdir(parents=True, exist_ok=True)
    base = corpus.DEFAULT_BASE
    seed_store = args.seed_store if str(args.seed_store) and args.seed_store.exists() else None
    if seed_store is None:
        print(f"note: no built store at {args.seed_store}; the corpus is synthetic only", file=sys.stderr)
    data = args.out / "corpus.nq"
    stats = corpus.write_corpus(data, args.articles, base, seed_store)
    print(f"corpus: {stats.quads} quads, {stats.articles} articles, {stats.claims} claims", file=sys.stderr)
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    env = dict(kv.split("=", 1) for kv in args.claimgraph_env)
    running: dict[str, sv.Server] = {}
    try:
        for key in wanted:
            starter = sv.STARTERS[key]
            running_server = starter(data, args.out, env) if key == "claimgraph" else starter(data, args.out)
            running[running_server.name] = running_server
        for spec in args.variant:
            name, _, settings = spec.partition(":")
            extra = dict(kv.split("=", 1) for kv in settings.split(",") if kv)
            running_server = sv.start_claimgraph(data, args.out, {**env, **extra}, variant=name)
            running[running_server.name] = running_server
        for s in running.values():
            s.wait_ready()
        reference = "oxigraph serve" if "oxigraph serve" in running else next(iter(running))
        chosen = sc.scenarios(base, args.articles)
        if args.scenarios:
            names = {n.strip() for n in args.scenarios.split(",")}
            chosen = [s for s in chosen if s.name in names]
        report = {"when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                  "quads": stats.quads, "articles": args.articles, "connections": args.connections,
                  "threads": args.threads, "duration": args.duration, "warmup": args.warmup, "rounds": args.rounds,
                  "claimgraph_env": env, "variants": args.variant, "scenarios": [],
                  "processes": _processes(env), "allocator": _health(running.get("claimgraph")).get("allocator", "?"),
                  # The servers run on the interpreter running this (the project's venv).
                  "python": f"{platform.python_version()} at {os.path.realpath(sys.executable)}"}
        for scenario in chosen:
            verdicts = check_answers(running, scenario, reference)
            timed = {name: server for name, server in running.items() if not verdicts[name]}
            cells: dict[str, dict] = measure_interleaved(timed, scenario, args)
            for name in running:
                if verdicts[name]:
                    cells[name] = {"skipped": verdicts[name]}
                    continue
                r = cells[name]
                print(f"{scenario.name:>13} {name:>16}: {r['rps']:9,.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                      f"p99 {r['p99_ms']:8.2f} ms  errors {r['errors']}", file=sys.stderr)
            report["scenarios"].append({"name": scenario.name, "title": scenario.title,
                                        "example": scenario.text(0, "1"), "results": cells})
        # Asked after the runs: the copy is made in the background on the first inline query.
        report["in_memory_quads"] = _health(running.get("claimgraph")).get("store", {}).get("in_memory_quads", 0)
    finally:
        for s in running.values():
            s.stop()
    table = render(report)
    print(table)
    (args.out / "results.md").write_text(table)
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    if not args.no_copy:
        (HERE / "RESULTS.md").write_text(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
