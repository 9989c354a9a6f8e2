"""A real claimgraph server in a subprocess, for end-to-end tests over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen
    log: Path

    def client(self, **kw) -> httpx.Client:  # noqa: ANN003
        return httpx.Client(base_url=self.url, timeout=kw.pop("timeout", 30), **kw)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_server(store: Path, tmp: Path, env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
    """Start `claimgraph serve` on a free loopback port and wait until /health answers."""
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    full_env = {**os.environ, "CLAIMGRAPH_STORE": str(store), "CLAIMGRAPH_LOG_LEVEL": "warning", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimgraph", "serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(store)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=full_env, cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LiveServer(url, proc, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not become healthy:\n{log.read_text(errors='replace')}")
