"""/health and /metrics: what an operator and a load balancer need."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from .. import __version__
from .context import AppContext

STARTED = time.time()


async def health(request: Request) -> JSONResponse:
    ctx: AppContext = request.app.state.ctx
    engine = ctx.engine
    try:
        store_dir = engine.locator.current()
        store = {"ok": True, "version": store_dir.name}
    except FileNotFoundError as exc:
        store = {"ok": False, "error": str(exc)}
    pool = engine.pool
    body = {
        "ok": store["ok"],
        "version": __version__,
        "uptime_s": round(time.time() - STARTED, 1),
        "store": store,
        "workers": {"size": pool.size, "busy": pool.busy, **pool.stats},
        "updates_enabled": ctx.updates_enabled,
    }
    return JSONResponse(body, status_code=200 if store["ok"] else 503)


async def metrics(request: Request) -> PlainTextResponse:
    ctx: AppContext = request.app.state.ctx
    engine = ctx.engine
    gauges = {
        "claimgraph_workers": engine.pool.size,
        "claimgraph_workers_busy": engine.pool.busy,
        "claimgraph_worker_timeouts_total": engine.pool.stats["timeouts"],
        "claimgraph_worker_crashes_total": engine.pool.stats["crashes"],
        "claimgraph_worker_respawns_total": engine.pool.stats["respawns"],
        "claimgraph_queue_rejections_total": engine.pool.stats["rejected_full"],
        "claimgraph_cache_hits": engine.cache.hits,
        "claimgraph_cache_misses": engine.cache.misses,
    }
    return PlainTextResponse(engine.metrics.render(gauges), media_type="text/plain; version=0.0.4")
