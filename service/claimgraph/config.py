"""Settings, read once from CLAIMGRAPH_* environment variables and CLI flags.

One frozen dataclass so that every stage sees the same values and tests can
build their own without touching the process environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _project_root() -> Path:
    # service/claimgraph/config.py -> project root; overridable for installed copies.
    env = os.environ.get("CLAIMGRAPH_ROOT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CLAIMGRAPH_{name}", default)


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"CLAIMGRAPH_{name}: expected a number, got {raw!r}")


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"CLAIMGRAPH_{name}: expected an integer, got {raw!r}")


WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
# Past a few processes the shared store and the per-process worker pools cost more than they give.
MAX_AUTO_PROCESSES = 4


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=_project_root)
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA", str(_project_root() / "data"))))
    ontology_dir: Path = field(default_factory=lambda: Path(_env("ONTOLOGY", str(_project_root() / "ontology"))))
    queries_dir: Path = field(default_factory=lambda: Path(_env("QUERIES", str(_project_root() / "queries"))))
    store: Path = field(default_factory=lambda: Path(_env("STORE", str(_project_root() / "var" / "store"))))
    # Minted IRIs live under this base, so a deployment can publish under its own domain.
    base_iri: str = field(default_factory=lambda: _env("BASE_IRI", "http://127.0.0.1:8000/id/"))
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: _env_int("PORT", 8000))
    # Public URL of the service (for the service description); defaults from host/port.
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", ""))
    # Proxies whose X-Forwarded-Proto/-Host/-Prefix say where clients reached us (comma-separated
    # addresses, or "*"). Empty: such headers are ignored, since any client could send them.
    trust_forwarded: str = field(default_factory=lambda: _env("TRUST_FORWARDED", ""))
    reasoner: str = field(default_factory=lambda: _env("REASONER", "hermit"))
    query_timeout: float = field(default_factory=lambda: _env_float("QUERY_TIMEOUT", 10.0))
    workers: int = field(default_factory=lambda: _env_int("WORKERS", 2))
    worker_memory_mb: int = field(default_factory=lambda: _env_int("WORKER_MEMORY_MB", 2048))
    max_query_bytes: int = field(default_factory=lambda: _env_int("MAX_QUERY_BYTES", 65536))
    max_body_bytes: int = field(default_factory=lambda: _env_int("MAX_BODY_BYTES", 16 * 1024 * 1024))
    max_result_bytes: int = field(default_factory=lambda: _env_int("MAX_RESULT_BYTES", 64 * 1024 * 1024))
    queue_size: int = field(default_factory=lambda: _env_int("QUEUE_SIZE", 32))
    update_token: str = field(default_factory=lambda: _env("UPDATE_TOKEN", ""))
    # Endpoints SERVICE may reach (comma-separated; an entry ending in "/" allows everything under it).
    # Wikidata's query service by default, so federated queries can join our entities to their
    # items; set CLAIMGRAPH_SERVICE_ALLOWLIST="" to refuse every SERVICE.
    service_allowlist: str = field(default_factory=lambda: _env("SERVICE_ALLOWLIST", WIKIDATA_SPARQL))
    # Sources LOAD (and SERVICE inside an update) may reach. Updates run in the server
    # process, outside the network-less workers, so this list is separate and empty by default.
    load_allowlist: str = field(default_factory=lambda: _env("LOAD_ALLOWLIST", ""))
    cors_origins: str = field(default_factory=lambda: _env("CORS_ORIGINS", "*"))
    cache_entries: int = field(default_factory=lambda: _env_int("CACHE_ENTRIES", 2048))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "info"))
    # One extra query worker that takes a query only when every other worker is busy, for at
    # most this many milliseconds (then the query waits for a regular worker): point lookups
    # stay fast while long queries run. 0 disables it (sparql/engine.py).
    fast_lane_ms: int = field(default_factory=lambda: _env_int("FAST_LANE_MS", 300))
    # Serve repeated /sparql requests from a response cache in front of the app
    # (serve/response_cache.py); CLAIMGRAPH_FAST_PATH=0 sends every request through the app.
    fast_path: bool = field(default_factory=lambda: _env("FAST_PATH", "1").lower() not in ("0", "false", "no", "off"))
    # Answer user queries proven bounded (sparql/bounded.py: triple-pattern trees from constant
    # subjects, bounded by counted quads) in the server process, skipping the worker round trip;
    # CLAIMGRAPH_INLINE=0 sends every user query to the workers.
    inline: bool = field(default_factory=lambda: _env("INLINE", "1").lower() not in ("0", "false", "no", "off"))
    # Stores of at most this many quads are copied into memory in each serving process, and the
    # queries answered there (proven bounded, above) read the copy: half the time of the disk store.
    # Regular query workers copy them too, within a share of their cap (sparql/worker.py), for their
    # scans. ~470 bytes a quad held per copy; 0: always read the disk store (store/mirror.py).
    memory_quads: int = field(default_factory=lambda: _env_int("MEMORY_QUADS", 250_000))
    # Per connection (serve/connguard.py): head size and header lines (431 beyond), seconds to send a
    # head (408, or an idle connection closed), and open connections per serving process (beyond it a
    # new connection closes the oldest idle one, or gets 503 when none is idle).
    max_header_bytes: int = field(default_factory=lambda: _env_int("MAX_HEADER_BYTES", 64 * 1024))
    max_headers: int = field(default_factory=lambda: _env_int("MAX_HEADERS", 100))
    header_timeout: float = field(default_factory=lambda: _env_float("HEADER_TIMEOUT", 10.0))
    max_connections: int = field(default_factory=lambda: _env_int("MAX_CONNECTIONS", 4096))
    # The four limits above, on (the default) or off: CLAIMGRAPH_CONN_GUARD=0 runs uvicorn's protocol as shipped.
    conn_guard: bool = field(default_factory=lambda: _env("CONN_GUARD", "1").lower() not in ("0", "false", "no", "off"))

    # How the server talks to its query workers: "loop" (pipes read by the event loop,
    # sparql/looppool.py) or "thread" (a thread per query, sparql/pool.py).
    pool_io: str = field(default_factory=lambda: _env("POOL_IO", "loop"))

    # Serving processes forked on one socket (serve/prefork.py): more cores for read traffic. Read-only:
    # refused together with CLAIMGRAPH_UPDATE_TOKEN (updates need one writer process). 0 or "auto"
    # (the default): one per core, at most MAX_AUTO_PROCESSES, or 1 when updates are enabled.
    processes: int = field(default_factory=lambda: 0 if _env("PROCESSES", "auto").lower() == "auto"
                           else _env_int("PROCESSES", 0))
    # The serving processes' malloc (serve/allocator.py): auto (mimalloc, else jemalloc, else the
    # system's), mimalloc, jemalloc or system. Query workers always keep the system allocator.
    allocator: str = field(default_factory=lambda: _env("ALLOCATOR", "auto").lower())
    # Where the graph lives (store/remote.py): "embedded" (pyoxigraph on disk at CLAIMGRAPH_STORE, the
    # default) or "remote" (a SPARQL 1.1 server: Query at REMOTE_QUERY_URL, Update at REMOTE_UPDATE_URL,
    # Graph Store at REMOTE_STORE_URL; REMOTE_DIALECT oxigraph | virtuoso | qlever | generic; REMOTE_AUTH none | basic |
    # digest | bearer with REMOTE_USER / REMOTE_PASSWORD or REMOTE_TOKEN). Front ends poll the backend's
    # state version every REMOTE_POLL_S seconds to see each other's writes.
    backend: str = field(default_factory=lambda: _env("BACKEND", "embedded").lower())
    remote_query_url: str = field(default_factory=lambda: _env("REMOTE_QUERY_URL", ""))
    remote_update_url: str = field(default_factory=lambda: _env("REMOTE_UPDATE_URL", ""))
    remote_store_url: str = field(default_factory=lambda: _env("REMOTE_STORE_URL", ""))
    remote_dialect: str = field(default_factory=lambda: _env("REMOTE_DIALECT", "generic").lower())
    # How a query names the dataset on Virtuoso (store/remote.py _dataset): "listed" (every graph of ours
    # by name: right on a shared server, slow past a few hundred articles) or "exclusive" (every graph
    # but the server's own: for a server that holds this corpus and nothing else).
    remote_dataset: str = field(default_factory=lambda: _env("REMOTE_DATASET", "listed").lower())
    remote_auth: str = field(default_factory=lambda: _env("REMOTE_AUTH", "none").lower())
    remote_user: str = field(default_factory=lambda: _env("REMOTE_USER", ""))
    remote_password: str = field(default_factory=lambda: _env("REMOTE_PASSWORD", ""), repr=False)
    remote_token: str = field(default_factory=lambda: _env("REMOTE_TOKEN", ""), repr=False)
    remote_connect_timeout: float = field(default_factory=lambda: _env_float("REMOTE_CONNECT_TIMEOUT", 5.0))
    remote_poll_s: float = field(default_factory=lambda: _env_float("REMOTE_POLL_S", 1.0))
    # Set by serve/prefork.py for its children: where each process leaves its counters for /metrics.
    metrics_dir: str = ""

    def with_overrides(self, **kw: Any) -> "Settings":
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in kw.items() if k in known and v is not None})

    @property
    def serving_processes(self) -> int:
        if self.processes > 0:
            return self.processes
        return 1 if self.update_token else max(1, min(os.cpu_count() or 1, MAX_AUTO_PROCESSES))

    @property
    def remote(self) -> bool:
        return self.backend == "remote"

    @property
    def url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def allowed_services(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.service_allowlist.split(",") if s.strip())

    @property
    def allowed_loads(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.load_allowlist.split(",") if s.strip())

