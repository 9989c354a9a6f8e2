"""Running the app under uvicorn (the CLI `serve` command)."""

from __future__ import annotations

import gc
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..store.swap import clean_partials, current_version_dir

if TYPE_CHECKING:
    from ..api.context import AppContext


def serve(settings: Settings) -> int:
    from . import prefork

    # A front end on a remote backend needs no store of its own (the state lives in the server): it
    # may run on a machine the build never ran on.
    if current_version_dir(settings.store) is None and not settings.remote:
        print(f"no built store at {settings.store}: run `claimgraph build` first", file=sys.stderr)
        return 2
    if not settings.remote:
        clean_partials(settings.store)  # what a build killed half-way left (never a version)
    refused = prefork.refusal(settings)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    from .allocator import in_use

    count = settings.serving_processes
    notes = ([f"{count} processes"] if count > 1 else []) + [f"malloc: {in_use()}"]
    print(f"claimgraph serving {settings.store} on http://{settings.host}:{settings.port}/ ({', '.join(notes)})",
          file=sys.stderr)
    if count > 1:
        return prefork.run(settings, serve_one)
    return serve_one(settings, None)


def serve_one(settings: Settings, sock: socket.socket | None) -> int:
    """One serving process: the app behind the response cache, under uvicorn (on `sock` if given)."""
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from ..api.app import create_app
    from .connguard import ConnLimits, guarded
    from .response_cache import ResponseCache

    app = create_app(settings)
    ctx = app.state.ctx
    _attach(ctx, settings)
    asgi: Any = app
    if settings.fast_path:
        engine = ctx.engine
        # A form-encoded query at most triples in size: longer bodies are not buffered for keying.
        asgi = ResponseCache(app, tag=engine.answer_tag, counted=engine.response_hit,
                             entries=settings.cache_entries,
                             max_body=min(settings.max_body_bytes, 3 * settings.max_query_bytes + 4096))
    # Header caps, head timeout and a connection cap (serve/connguard.py) over uvicorn's httptools
    # protocol: the one lower layer subclassed, so uvicorn's version range is pinned in pyproject.toml.
    http: Any = HttpToolsProtocol
    if settings.conn_guard:
        http = guarded(http, ConnLimits(settings.max_header_bytes, settings.max_headers, settings.header_timeout,
                                        settings.max_connections))
    _raise_fd_limit()
    # Several processes are forked by serve/prefork.py, not uvicorn's `--workers N`: that needs an
    # import string, and was measured to lose TCP_NODELAY on keep-alive connections.
    # uvloop + httptools: the fastest event loop and HTTP parser uvicorn offers.
    config = uvicorn.Config(asgi, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                            access_log=False, loop="uvloop", http=http,
                            # Forwarded headers are read by AppContext.public_url, and only from the
                            # proxies CLAIMGRAPH_TRUST_FORWARDED names; uvicorn would trust loopback.
                            proxy_headers=False)
    server = uvicorn.Server(config)
    _quiet_collector()
    server.run(sockets=[sock] if sock is not None else None)
    return 0


def _attach(ctx: AppContext, settings: Settings) -> None:
    """Give the app what only the server knows: its malloc, and, as one of several processes,
    the sharing of /metrics figures with its siblings (serve/shared_metrics.py)."""
    from ..api import ops
    from . import shared_metrics
    from .allocator import in_use

    ctx.serving["allocator"] = in_use()
    if settings.metrics_dir:
        directory = Path(settings.metrics_dir)
        ctx.peers = lambda: shared_metrics.read_others(directory)
        ctx.background.append(lambda: shared_metrics.share_forever(directory, lambda: ops.snapshot(ctx)))


def _raise_fd_limit() -> None:
    """Let the process open as many connections as the system allows it (the soft limit is often 1,024)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _quiet_collector() -> None:
    """Keep the cyclic collector off the request path of a serving process.

    The app's long-lived objects (~80k: modules, routes, the ontology's terms) are frozen out of
    its sight, and a young-generation pass runs every 10,000 net allocations instead of 700: a
    request leaves almost no cyclic garbage, and at the default the passes cost ~3 µs a request
    (measured in-process on never-repeated point lookups; 0.9 µs after)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
