"""/health and /metrics: what an operator and a load balancer need."""

from __future__ import annotations

import os
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from .. import __version__
from ..store.remote import RemoteError
from .context import AppContext

_PROMETHEUS = "text/plain; version=0.0.4"

STARTED = time.time()


async def health(request: Request) -> JSONResponse:
    ctx: AppContext = request.app.state.ctx
    engine = ctx.engine
    try:
        store_dir = engine.locator.current()
        # in_memory_quads: this process's copy for inline queries (store/mirror.py), 0 while on disk.
        store = {"ok": True, "version": store_dir.name, "in_memory_quads": engine.inline.mirror.quads}
        unreachable = getattr(engine.locator, "last_error", None)  # a remote backend's last poll
        if unreachable:
            store = {"ok": False, "version": store_dir.name, "error": unreachable}
    except (FileNotFoundError, RemoteError) as exc:  # nothing built, or the backend unreachable
        store = {"ok": False, "error": str(exc)}
    pool = engine.pool
    if engine.remote is not None:  # the backend runs the queries: no workers here
        workers: dict[str, object] = {"size": 0, "busy": 0}
        backend = {"kind": "remote", "dialect": engine.remote.config.dialect, "query_url": engine.remote.config.query_url}
    else:
        workers = {"size": pool.size, "busy": pool.busy, **pool.stats}
        backend = {"kind": "embedded"}
    body = {
        "ok": store["ok"],
        "version": __version__,
        "uptime_s": round(time.time() - STARTED, 1),
        "process": os.getpid(),  # which serving process answered (CLAIMGRAPH_PROCESSES > 1)
        "allocator": ctx.serving.get("allocator"),  # CLAIMGRAPH_ALLOCATOR (serve/allocator.py)
        "store": store,
        "backend": backend,
        "workers": workers,
        "updates_enabled": ctx.updates_enabled,
    }
    searching = ctx.extras.get("search_index")
    if searching is not None:  # once a search has run: which index answers it (api/rest/search.py)
        body["search"] = {"index": searching[1].source, "version": os.path.basename(searching[0][0])}
    return JSONResponse(body, status_code=200 if store["ok"] else 503)


def snapshot(ctx: AppContext) -> dict[str, Any]:
    """This process's figures, as sibling serving processes add them to theirs."""
    return {"metrics": ctx.engine.metrics.snapshot(), "gauges": gauges(ctx), "counters": counters(ctx)}


def counters(ctx: AppContext) -> dict[str, float]:
    """Figures that only ever grow in this process: exported as Prometheus counters, and kept
    in the sum after a serving process dies, so a counter never goes backwards."""
    engine = ctx.engine
    return {
        "claimgraph_worker_timeouts_total": engine.pool.stats["timeouts"],
        "claimgraph_worker_crashes_total": engine.pool.stats["crashes"],
        "claimgraph_worker_respawns_total": engine.pool.stats["respawns"],
        "claimgraph_queue_rejections_total": engine.pool.stats["rejected_full"],
        "claimgraph_cache_hits": engine.cache.hits,
        "claimgraph_cache_misses": engine.cache.misses,
    }


def gauges(ctx: AppContext) -> dict[str, float]:
    """Figures of the moment: a dead process's no longer count."""
    engine = ctx.engine
    return {
        "claimgraph_workers": engine.pool.size,
        "claimgraph_workers_busy": engine.pool.busy,
        "claimgraph_memory_copy_quads": engine.inline.mirror.quads,  # summed over serving processes: memory held
    }


def _with_counters(total, figures: list[dict[str, float]]):  # noqa: ANN001, ANN202 - a Metrics
    for fig in figures:
        for name, value in fig.items():
            total.counters[(name, ())] += float(value)
    return total


async def metrics(request: Request) -> PlainTextResponse:
    ctx: AppContext = request.app.state.ctx
    engine = ctx.engine
    mine = gauges(ctx)
    if ctx.peers is None:
        total = _with_counters(engine.metrics.merged([]), [counters(ctx)])
        return PlainTextResponse(total.render(mine), media_type=_PROMETHEUS)
    # Several serving processes (serve/prefork.py): add up what each one last shared, the
    # counters of processes that have died included.
    others = ctx.peers()
    total = engine.metrics.merged([o["metrics"] for o in others])
    _with_counters(total, [counters(ctx)] + [o.get("counters", {}) for o in others])
    summed = dict(mine)
    for other in others:
        for name, value in other.get("gauges", {}).items():
            summed[name] = summed.get(name, 0) + float(value)
    summed["claimgraph_serving_processes"] = 1 + sum(1 for o in others if o.get("alive"))
    return PlainTextResponse(total.render(summed), media_type=_PROMETHEUS)
