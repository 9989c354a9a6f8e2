"""The timeline of events across articles, each drawn at its stated precision.

A decade is a bar across the decade, a year across the year, a day a tick; a time the text gives
relative to publication ("recently", "over the past decade") is drawn dashed and says so; an event
with no known start or end fades out toward the open side. Rows come from the same keyset query
and row shape as /api/events.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from ..api.context import AppContext
from ..api.rest import records
from ..api.rest.common import addresses
from ..api.rest.queries import EVENTS_PAGE
from ..api.rest.views import load_views
from .data import cached, every

NO_FILTER = {"article": None, "refers_to": None, "from": None, "to": None}


def _year(value: Any, end: bool) -> float | None:
    """A point on the axis in years: 2009 -> 2009.0 (or 2010.0 as an end), 2025-04-15 -> 2025.29…"""
    if value in (None, ""):
        return None
    parts = str(value).split("-")
    try:
        y = int(parts[0])
        if len(parts) == 1:
            return y + (1.0 if end else 0.0)
        m = int(parts[1])
        if len(parts) == 2:
            return y + (m if end else m - 1) / 12
        d = date(y, m, int(parts[2]))
        return y + (d.timetuple().tm_yday - (0 if end else 1)) / 366
    except (ValueError, IndexError):
        return None


async def _rows(ctx: AppContext) -> list[dict[str, Any]]:
    iris = await every(ctx, EVENTS_PAGE, dict(NO_FILTER), dict(NO_FILTER))
    addr = addresses(ctx)
    return [records.event_row(v, addr) for v in await asyncio.to_thread(load_views, ctx.engine, iris)]


async def timeline(ctx: AppContext) -> dict[str, Any]:
    rows = await cached(ctx, ("timeline",), lambda: _rows(ctx))
    points = [p for r in rows for p in (_year(r.get("earliest"), False), _year(r.get("latest"), True)) if p]
    if not points:
        return {"events": [], "ticks": []}
    lo = int(min(points)) // 10 * 10
    hi = (int(max(points)) // 10 + 1) * 10
    span = hi - lo
    events = []
    for r in rows:
        a, b = _year(r.get("earliest"), False), _year(r.get("latest"), True)
        start, end = (a if a is not None else lo), (b if b is not None else hi)
        events.append({**r, "left": 100 * (start - lo) / span, "width": max(0.6, 100 * (end - start) / span),
                       "open_start": a is None, "open_end": b is None,
                       "article": ((r.get("invokedBy") or {}).get("id") or "").rsplit("/", 1)[-1]})
    ticks = [{"year": y, "left": 100 * (y - lo) / span} for y in range(lo, hi + 1, 10)]
    return {"events": events, "ticks": ticks}
