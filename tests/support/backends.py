"""Real SPARQL servers on loopback for the remote-backend tests: `oxigraph serve` and Debian's Virtuoso.

Each is started on free ports in a temporary directory and stopped by the caller. Nothing here
mocks a server: the tests talk to the real programs (.ci/run installs virtuoso-opensource; the
oxigraph CLI comes from PyPI with the test extras).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .liveserver import free_port, stop_process

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


@dataclass
class Backend:
    kind: str
    env: dict[str, str]  # the CLAIMGRAPH_REMOTE_* settings that reach it
    proc: subprocess.Popen
    start: list[str] = field(default_factory=list)  # the command, to start it again
    cwd: Path | None = None
    log: Path | None = None
    label: str = ""  # what the tests call it, when one kind runs in two configurations

    def __post_init__(self) -> None:
        self.label = self.label or self.kind

    @property
    def stages(self) -> bool:
        """Whether a load stages graphs out of readers' sight (store/remote.py RemoteStore.stages)."""
        return self.kind == "virtuoso" and self.env.get("CLAIMGRAPH_REMOTE_DATASET", "listed") == "listed"

    @property
    def query_url(self) -> str:
        return self.env["CLAIMGRAPH_REMOTE_QUERY_URL"]

    def stop(self) -> None:
        stop_process(self.proc)

    def restart(self) -> None:
        self.proc = subprocess.Popen(self.start, cwd=self.cwd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_for(self.query_url, self.proc, self.log)


def wait_for(query_url: str, proc: subprocess.Popen, log: Path, limit: float = 60) -> None:
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.post(query_url, data={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{proc.args[0]} did not answer at {query_url}:\n{log.read_text(errors='replace')[-3000:]}")


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).is_file():
        raise RuntimeError("the oxigraph CLI is missing: pip install the test extras (oxigraph>=0.5.13)")
    return found


def start_oxigraph(tmp: Path) -> Backend:
    port = free_port()
    log = tmp / "oxigraph.log"
    cmd = [oxigraph_binary(), "serve", "--location", str(tmp / "oxigraph-db"), "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    env = {"CLAIMGRAPH_BACKEND": "remote", "CLAIMGRAPH_REMOTE_DIALECT": "oxigraph",
           "CLAIMGRAPH_REMOTE_QUERY_URL": f"{base}/query", "CLAIMGRAPH_REMOTE_UPDATE_URL": f"{base}/update",
           "CLAIMGRAPH_REMOTE_STORE_URL": f"{base}/store"}
    wait_for(env["CLAIMGRAPH_REMOTE_QUERY_URL"], proc, log)
    return Backend("oxigraph", env, proc, cmd, None, log)


def start_virtuoso(tmp: Path) -> Backend:
    """Debian's virtuoso-t in the foreground, its database and ports private to this test run."""
    binary = shutil.which("virtuoso-t")
    if binary is None or not VIRTUOSO_INI.is_file():
        raise RuntimeError("Debian's virtuoso-opensource is not installed (apt-get install virtuoso-opensource); "
                           ".ci/run installs it")
    home = tmp / "virtuoso"
    home.mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text()
    ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{home}/")
    lines = []
    section = ""
    for line in ini.splitlines():
        if line.startswith("["):
            section = line.strip()
        if line.replace(" ", "").startswith("ServerPort="):
            line = f"ServerPort = 127.0.0.1:{sql_port if section == '[Parameters]' else http_port}"
        lines.append(line)
    (home / "virtuoso.ini").write_text("\n".join(lines) + "\n")
    log = tmp / "virtuoso.log"
    cmd = [binary, "+foreground", "+configfile", str(home / "virtuoso.ini")]
    proc = subprocess.Popen(cmd, cwd=home, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    # A fresh database's administrator is dba/dba; updates and Graph Store writes need HTTP Digest
    # on Virtuoso's -auth paths (an unauthenticated update answers 500).
    env = {"CLAIMGRAPH_BACKEND": "remote", "CLAIMGRAPH_REMOTE_DIALECT": "virtuoso",
           "CLAIMGRAPH_REMOTE_QUERY_URL": f"{base}/sparql", "CLAIMGRAPH_REMOTE_UPDATE_URL": f"{base}/sparql-auth",
           "CLAIMGRAPH_REMOTE_STORE_URL": f"{base}/sparql-graph-crud-auth", "CLAIMGRAPH_REMOTE_AUTH": "digest",
           "CLAIMGRAPH_REMOTE_USER": "dba", "CLAIMGRAPH_REMOTE_PASSWORD": "dba"}
    wait_for(env["CLAIMGRAPH_REMOTE_QUERY_URL"], proc, log, limit=120)
    return Backend("virtuoso", env, proc, cmd, home, log)


def start_virtuoso_exclusive(tmp: Path) -> Backend:
    """Virtuoso asked for "every graph but its own" (CLAIMGRAPH_REMOTE_DATASET=exclusive)."""
    b = start_virtuoso(tmp)
    b.env["CLAIMGRAPH_REMOTE_DATASET"] = "exclusive"
    b.label = "virtuoso-exclusive"
    return b


def start_backend(kind: str, tmp: Path) -> Backend:
    return {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso,
            "virtuoso-exclusive": start_virtuoso_exclusive}[kind](tmp)
