"""The servers under test, each loaded with the same N-Quads and started on loopback.

- oxigraph: `oxigraph load` then `oxigraph serve --union-default-graph`
  (queries see the union of named graphs, as claimgraph's do);
- rdflib-endpoint: its own CLI, which loads the file into an rdflib
  Dataset(default_union=True) and serves it with FastAPI + uvicorn;
- claimgraph: `claimgraph serve` on a store directory bulk-loaded with the
  same quads, laid out as a build leaves it (a `store` symlink to a version).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str, accept: str = "application/sparql-results+json",
             timeout: float = 120.0) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


@dataclass
class Server:
    name: str
    port: int
    path: str  # the SPARQL query endpoint
    proc: subprocess.Popen | None = None
    log: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def query(self, text: str) -> tuple[int, bytes, dict[str, str]]:
        return http_get(self.port, f"{self.path}?query={quote(text, safe='')}")

    def wait_ready(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                status, _body, _h = self.query("ASK { ?s ?p ?o }")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def rss_mb(self) -> float:
        """Resident memory of the server and its children (claimgraph's query workers count too)."""
        if self.proc is None:
            return 0.0
        total = 0
        for pid in _tree(self.proc.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its children (user + system)."""
        if self.proc is None:
            return 0.0
        total = 0
        for pid in _tree(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
                if pid == self.proc.pid:
                    # cutime, cstime: children already reaped (claimgraph's killed and replaced workers)
                    total += int(fields[13]) + int(fields[14])
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, limit: float = 180.0) -> float:
        """Wait until the server stops using CPU (requests wrk abandoned may still be running:
        rdflib-endpoint finishes every queued query), so it does not slow the next measurement."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            before = self.cpu_seconds()
            time.sleep(0.3)
            if self.cpu_seconds() - before < 0.03:
                break
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        # Children hang off the thread that started them (claimgraph spawns workers from a pool thread).
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})}, start_new_session=True)


def start_oxigraph(corpus: Path, work: Path) -> Server:
    oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    if not oxigraph:
        raise SystemExit("oxigraph is not installed: .venv/bin/pip install -e '.[bench]'")
    location = work / "oxigraph"
    shutil.rmtree(location, ignore_errors=True)
    subprocess.run([oxigraph, "load", "--location", str(location), "--file", str(corpus)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    log = work / "oxigraph.log"
    proc = _spawn([oxigraph, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                   "--union-default-graph"], log)
    return Server("oxigraph serve", port, "/query", proc, log)


def start_rdflib(corpus: Path, work: Path) -> Server:
    exe = shutil.which("rdflib-endpoint", path=str(BIN)) or shutil.which("rdflib-endpoint")
    if not exe:
        raise SystemExit("rdflib-endpoint is not installed: .venv/bin/pip install -e '.[bench]'")
    port = free_port()
    log = work / "rdflib-endpoint.log"
    proc = _spawn([exe, "serve", str(corpus), "--host", "127.0.0.1", "--port", str(port)], log)
    return Server("rdflib-endpoint", port, "/", proc, log)


def build_claimgraph_store(corpus: Path, work: Path) -> Path:
    """A store laid out as `claimgraph build` leaves it, holding exactly the corpus quads."""
    import pyoxigraph as ox

    root = work / "claimgraph"
    shutil.rmtree(root, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    version = root / "store.versions" / "bench"
    version.mkdir(parents=True)
    store = ox.Store(str(version))
    store.bulk_load(path=str(corpus), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    os.symlink(os.path.relpath(version, root), root / "store")
    return root / "store"


def start_claimgraph(corpus: Path, work: Path, env: dict[str, str] | None = None, variant: str = "") -> Server:
    """`claimgraph serve` on the corpus; a named variant (its own store copy) runs with other settings."""
    store = build_claimgraph_store(corpus, work / (f"variant-{variant}" if variant else ""))
    port = free_port()
    log = work / (f"claimgraph-{variant}.log" if variant else "claimgraph.log")
    # Per-query logging off, as oxigraph serve logs no queries either.
    settings = {"CLAIMGRAPH_LOG_LEVEL": "warning", **(env or {})}
    proc = _spawn([sys.executable, "-m", "claimgraph", "serve", "--store", str(store), "--host", "127.0.0.1",
                   "--port", str(port)], log, settings)
    return Server(f"claimgraph {variant}".strip(), port, "/sparql", proc, log, extra=settings)


STARTERS = {"oxigraph": start_oxigraph, "rdflib": start_rdflib, "claimgraph": start_claimgraph}
