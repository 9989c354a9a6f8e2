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

ROOT = Path(__file__).resolve().parents[2]


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
        stop_process(self.proc)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def start_server(store: Path, tmp: Path, env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
    """Start `claimgraph serve` on a free loopback port and wait until /health answers."""
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    # One process unless a test asks for more (test_prefork): suites that count cache hits or
    # metrics over fresh connections must not depend on which process took each one.
    full_env = {**os.environ, "CLAIMGRAPH_STORE": str(store), "CLAIMGRAPH_LOG_LEVEL": "warning",
                "CLAIMGRAPH_PROCESSES": "1", **(env or {})}
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


def writable_copy(src: Path, dest: Path) -> Path:
    """A private store for tests that write: a hard-linked backup of the built one behind its own symlink."""
    import pyoxigraph as ox

    live = Path(src).resolve()
    versions = dest / "store.versions"
    versions.mkdir(parents=True)
    ox.Store.read_only(str(live)).backup(str(versions / live.name))
    (dest / "store").symlink_to(Path("store.versions") / live.name)
    return dest / "store"


def assert_error(r: httpx.Response, status: int, parameter: str | None = None, code: str | None = None) -> dict:
    """The uniform error shape, with the status, parameter and code expected, and no trace."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["ok"] is False
    err = body["error"]
    assert err["status"] == status and err["message"]
    if parameter is not None:
        assert err.get("parameter") == parameter, err
    if code is not None:
        assert err["code"] == code, err
    assert "Traceback" not in r.text
    return err


class Listener:
    """A loopback TCP listener that only counts who connects: the witness that nothing dialled out."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
