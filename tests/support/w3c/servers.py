"""The two servers the W3C suites are run against, each on an empty store of its own.

claimgraph: `claimgraph serve` (tests/support/liveserver.py) with updates enabled, one serving process.
oxigraph: the `oxigraph serve` binary of the `oxigraph` PyPI package (the test extra).
Both are told apart only by their paths: claimgraph answers queries and updates on /sparql,
oxigraph on /query and /update; both have the Graph Store on /store.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.liveserver import stop_process

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "w3c-suite-token"


@dataclass
class Server:
    name: str
    url: str
    query_path: str
    update_path: str
    store_path: str
    proc: subprocess.Popen
    headers: dict[str, str]

    def syntax_error(self, status: int, body: str) -> bool:
        """Whether an answer refuses the request as malformed SPARQL (not for what it would do)."""
        if status != 400:
            return False
        if self.name != "claimgraph":
            return True  # oxigraph serve: 400 for a parse error, 500 for an evaluation error
        return any(f'"code":"{code}"' in body for code in ("syntax_error", "malformed_query"))

    def stop(self) -> None:
        stop_process(self.proc)


def empty_store(tmp: Path) -> Path:
    """An empty store in claimgraph's layout: a `store` link to one version directory."""
    import pyoxigraph as ox

    versions = tmp / "store.versions"
    versions.mkdir(parents=True)
    ox.Store(str(versions / "v0")).flush()
    (tmp / "store").symlink_to(Path("store.versions") / "v0")
    return tmp / "store"


def _wait(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")


def start_claimgraph(tmp: Path, port: int) -> Server:
    from support.liveserver import start_server

    store = empty_store(tmp / "claimgraph")
    live = start_server(store, tmp, env={"CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_PROCESSES": "1"}, port=port)
    return Server("claimgraph", live.url, "/sparql", "/sparql", "/store", live.proc,
                  {"Authorization": f"Bearer {TOKEN}"})


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if not found:
        raise RuntimeError("no `oxigraph` binary: install the test extra (pip install -e '.[test]')")
    return found


def start_oxigraph(tmp: Path, port: int) -> Server:
    location = tmp / "oxigraph"
    location.mkdir(parents=True)
    log = tmp / f"oxigraph-{port}.log"
    proc = subprocess.Popen([oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait(proc, url, log)
    return Server("oxigraph serve", url, "/query", "/update", "/store", proc, {})
