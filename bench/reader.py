"""How fast the annotated reader of the seed article loads, against the article's Linked Data page
(the triple table it replaces as the way to read an article), measured in the same run.

    .venv/bin/python bench/reader.py [--runs 30] [--store var/store]

Starts one `claimgraph serve` process on the built store (make build) twice: as deployed (the
pages' data is kept per store version, so this is any view after the first) and with the answer
cache off (CLAIMGRAPH_CACHE_ENTRIES=0: every view reads the store, as the first view after a build
or write does). On each it measures, alternating the two pages so drift hits both alike:
  server: wall time of a GET (uncached: a unique query string defeats the answer cache) over HTTP;
  browser: Debian's chromium (Playwright, headless), navigation start to the load event, from
           performance.getEntriesByType("navigation"), the page's scripts and styles included.
Prints medians, p90s, the ratio reader/peer, and the reader's HTML size (raw and gzip).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from liveserver import start_server  # noqa: E402

SLUG = "us-russia-reconfiguration"
PAGES = {"reader": f"/read/{SLUG}", "peer: Linked Data page": f"/id/article/{SLUG}"}


def p90(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.9 * len(xs))) - 1)]


def server_times(url: str, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in PAGES}
    with httpx.Client(base_url=url, timeout=30, headers={"Accept": "text/html"}) as c:
        for name, path in PAGES.items():  # warm-up: imports, first queries, search index
            c.get(path, params={"warm": "1"})
        for i in range(runs):
            for name, path in PAGES.items():
                t = time.perf_counter()
                r = c.get(path, params={"run": str(i)})
                out[name].append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200 and r.headers.get("x-cache") != "hit", (path, r.status_code)
    return out


def browser_times(url: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    from claimgraph.web.screenshots import launch

    out: dict[str, list[float]] = {k: [] for k in PAGES}
    with sync_playwright() as p:
        browser = launch(p)
        for i in range(runs + 1):
            for name, path in PAGES.items():
                context = browser.new_context()  # a cold page each time: no cached scripts or styles
                page = context.new_page()
                page.goto(f"{url}{path}?b={i}", wait_until="load")
                ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
                context.close()
                if i:  # the first round warms the server
                    out[name].append(ms)
        browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "store")
    args = ap.parse_args()
    if not args.store.exists():
        subprocess.run([sys.executable, "-m", "claimgraph", "build"], check=True, cwd=ROOT)
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"claimgraph-bench-reader-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    lines = [f"# The reader of {SLUG}: {args.runs} runs each, one serving process, pages alternating", "",
             "| server | measure | page | median ms | p90 ms |", "|---|---|---|---:|---:|"]
    ratios = []
    html = b""
    for config, env in (("as deployed (repeat view)", {}), ("cache off (first view)", {"CLAIMGRAPH_CACHE_ENTRIES": "0"})):
        srv = start_server(args.store, tmp, env=env)
        try:
            html = httpx.get(srv.url + PAGES["reader"], timeout=30).content
            server = server_times(srv.url, args.runs)
            browser = browser_times(srv.url, args.runs)
        finally:
            srv.stop()
        for label, data in (("HTTP GET", server), ("browser: navigation to load event, cold tab", browser)):
            for name, xs in data.items():
                lines.append(f"| {config} | {label} | {name} | {statistics.median(xs):.1f} | {p90(xs):.1f} |")
            names = list(data)
            ratio = statistics.median(data[names[0]]) / statistics.median(data[names[1]])
            ratios.append(f"{config}, {label}: reader / Linked Data page = {ratio:.2f}x (medians)")
    lines += [""] + ratios
    lines.append(f"\nreader HTML: {len(html)} bytes ({len(gzip.compress(html))} gzipped)")
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "reader.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
