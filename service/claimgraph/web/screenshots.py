"""`make screenshots`: a PNG of each page kind, taken with Debian's chromium through Playwright.

    python -m claimgraph.web.screenshots <folder> [--url http://127.0.0.1:8000]

Without --url it starts `claimgraph serve` on the built store on a free loopback port and stops
it afterwards. The browser is /usr/bin/chromium (CLAIMGRAPH_CHROMIUM overrides), never one that
Playwright downloads.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CLAIMGRAPH_CHROMIUM", "/usr/bin/chromium")
# Headless, and quiet: no first-run, sync, update or other background traffic from the browser itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SLUG = "us-russia-reconfiguration"

# (file name, path, what to do before the shot)
SHOTS: list[tuple[str, str, str]] = [
    ("home.png", "/", "search"),
    ("reader.png", f"/read/{SLUG}?claim=c2#claim-c2", ""),
    ("reader-filtered.png", f"/read/{SLUG}?entity=russia", ""),
    ("entity.png", "/entity/russia", "graph"),
    ("compare.png", "/compare?entity=russia", ""),
    ("timeline.png", "/timeline", ""),
    ("editor.png", "/editor?named=claims-by-voice", "run"),
    ("docs.png", "/docs", "docs"),
]


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve() -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "claimgraph", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            env={**os.environ, "CLAIMGRAPH_PROCESSES": "1", "CLAIMGRAPH_LOG_LEVEL": "warning"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"claimgraph serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("claimgraph serve did not become healthy")


def _prepare(page: Any, action: str) -> None:
    if action == "search":
        page.fill("#home-q", "russ")
        page.wait_for_selector("#home-q-list li")
    elif action == "graph":
        page.click("#open-graph")
        page.wait_for_selector("#graph[data-ready=true]")
        page.locator("#graph").scroll_into_view_if_needed()
    elif action == "run":
        page.wait_for_selector(".yasqe .CodeMirror")
        page.click(".yasqe_queryButton")
        page.wait_for_selector(".yasr table tbody tr")
    elif action == "docs":
        page.wait_for_selector(".swagger-ui .opblock")


def take(url: str, folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for name, path, action in SHOTS:
            page.goto(url + path)
            _prepare(page, action)
            target = folder / name
            page.screenshot(path=str(target))
            written.append(target)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(url + f"/read/{SLUG}?claim=c4#claim-c4")
        phone.screenshot(path=str(folder / "reader-phone.png"))
        written.append(folder / "reader-phone.png")
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--url", help="a running claimgraph (default: start one on the built store)")
    args = parser.parse_args(argv)
    proc = None
    url = args.url
    if not url:
        proc, url = _serve()
    try:
        for path in take(url.rstrip("/"), args.folder):
            print(f"wrote {path}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
