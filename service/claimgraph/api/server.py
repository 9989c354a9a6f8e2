"""Running the app under uvicorn (the CLI `serve` command)."""

from __future__ import annotations

import sys

from ..config import Settings
from ..store.swap import current_version_dir


def serve(settings: Settings) -> int:
    import uvicorn

    from .app import create_app
    from .fastpath import wrap

    if current_version_dir(settings.store) is None:
        print(f"no built store at {settings.store}: run `claimgraph build` first", file=sys.stderr)
        return 2
    app = create_app(settings)
    # The response cache for repeated /sparql requests sits in front of FastAPI's stack.
    asgi = wrap(app) if settings.fast_path else app
    print(f"claimgraph serving {settings.store} on http://{settings.host}:{settings.port}/", file=sys.stderr)
    # One process: the query workers are our own child processes, and
    # `--workers N` would also lose TCP_NODELAY on keep-alive connections.
    # uvloop + httptools: the fastest event loop and HTTP parser uvicorn offers.
    uvicorn.run(asgi, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                access_log=False, loop="uvloop", http="httptools")
    return 0
