"""The REST answer shapes: one envelope, opaque cursors, JSON / JSON-LD / CSV.

    list:  {"ok": true, "rows": [...], "count": n, "limit": n, "truncated": false,
            "next": "<cursor>" | null, "next_url": "/api/...&cursor=..." | null}
    item:  {"ok": true, "item": {...}}
    error: {"ok": false, "error": {"status", "code", "message", "parameter"}}  (api/errors.py)

A cursor is opaque to clients: base64url of the last sort key (or offset) and
a fingerprint of the filters it was issued for, so a cursor replayed with
other filters is refused instead of silently paging a different list.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from typing import Any, Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...sparql.negotiate import choose
from ..errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500  # page sizes above this are capped, never refused
PAGING = frozenset({"limit", "cursor", "format"})
FORMATS = {"json": "application/json", "jsonld": "application/ld+json", "csv": "text/csv"}
CONTEXT_PATH = "/context.jsonld"


def check_known(request: Request, allowed: Iterable[str]) -> None:
    """A misspelt filter must not silently return everything: unknown parameters are a 400."""
    known = set(allowed) | PAGING
    for name in request.query_params.keys():
        if name not in known:
            raise ApiError(400, "unknown_parameter",
                           f"unknown parameter {_show(name)}; this endpoint takes {', '.join(sorted(known))}",
                           parameter=name[:60])


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, limit))


def choose_format(request: Request, fmt: str | None, tabular: bool, linked: bool = True) -> str:
    """json, jsonld or csv, from format= or the Accept header; JSON when the client does not care."""
    offers = ["json"] + (["jsonld"] if linked else []) + (["csv"] if tabular else [])
    if fmt:
        if fmt not in offers:
            raise ApiError(400, "bad_format", f"format={_show(fmt)} is not offered here; use one of {', '.join(offers)}",
                           parameter="format")
        return fmt
    pairs = [(FORMATS[o], o) for o in offers] + [("application/*", "json"), ("text/json", "json")]
    chosen = choose(request.headers.get("accept"), pairs)
    if chosen is None:
        raise ApiError(406, "not_acceptable", "this endpoint answers " + ", ".join(FORMATS[o] for o in offers)
                       + " (or pass format=)", parameter="Accept")
    return chosen


def fingerprint(filters: dict[str, Any]) -> str:
    canon = json.dumps({k: str(v) for k, v in sorted(filters.items()) if v is not None}, ensure_ascii=False)
    return hashlib.sha256(canon.encode()).hexdigest()[:12]


def encode_cursor(position: Any, filters: dict[str, Any]) -> str:
    raw = json.dumps({"p": position, "f": fingerprint(filters)}, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, filters: dict[str, Any]) -> Any:
    """The position a cursor stands for (None for the first page)."""
    if not cursor:
        return None
    try:
        if len(cursor) > 4096:
            raise ValueError("too long")
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        position, fp = data["p"], data["f"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued; pass back the `next` value "
                       "of the previous page unchanged", parameter="cursor") from None
    if fp != fingerprint(filters):
        raise ApiError(400, "bad_cursor", "cursor was issued for different filters; start again without cursor",
                       parameter="cursor")
    return position


def context_url(request: Request) -> str:
    ctx = request.app.state.ctx
    return ctx.public_url(request) + CONTEXT_PATH


def _next_url(request: Request, cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    from urllib.parse import urlencode

    return f"{request.url.path}?{urlencode(params)}"


def list_response(request: Request, rows: list[dict[str, Any]], fmt: str, limit: int, next_cursor: str | None,
                  truncated: bool = False, columns: list[str] | None = None, **extra: Any) -> Response:
    next_url = _next_url(request, next_cursor) if next_cursor else None
    headers = {"Vary": "Accept"}
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    if fmt == "csv":
        return Response(to_csv(rows, columns), media_type="text/csv; charset=utf-8", headers=headers)
    body: dict[str, Any] = {"ok": True}
    if fmt == "jsonld":
        body["@context"] = context_url(request)
    body.update(extra)
    body.update({"count": len(rows), "limit": limit, "truncated": truncated, "next": next_cursor,
                 "next_url": next_url})
    body["@graph" if fmt == "jsonld" else "rows"] = rows
    media = FORMATS[fmt]
    if fmt == "json":
        headers["Link"] = ", ".join(filter(None, [headers.get("Link"), _context_link(request)]))
    return JSONResponse(body, media_type=media, headers=headers)


def item_response(request: Request, item: dict[str, Any], fmt: str) -> Response:
    headers = {"Vary": "Accept"}
    if fmt == "jsonld":
        return JSONResponse({"@context": context_url(request), **item}, media_type=FORMATS["jsonld"], headers=headers)
    headers["Link"] = _context_link(request)
    return JSONResponse({"ok": True, "item": item}, media_type=FORMATS["json"], headers=headers)


def _context_link(request: Request) -> str:
    # JSON-LD 1.1 §6.1: plain JSON becomes JSON-LD through a context Link header.
    return f'<{context_url(request)}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("label") or value.get("text") or value.get("id") or "")
    if isinstance(value, list):
        return " | ".join(_cell(v) for v in value)
    return str(value)


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    """Rows as CSV: nested objects by their label (and an `<key>.id` column), lists joined with ` | `."""
    cols: list[str] = list(columns or [])
    flat_rows = []
    for row in rows:
        flat: dict[str, str] = {}
        for k, v in row.items():
            flat[k] = _cell(v)
            if isinstance(v, dict) and "id" in v and (v.get("label") or v.get("text")):
                flat[f"{k}.id"] = str(v["id"])
        for k in flat:
            if k not in cols:
                cols.append(k)
        flat_rows.append(flat)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(cols)
    for flat in flat_rows:
        writer.writerow([flat.get(c, "") for c in cols])
    return out.getvalue().encode("utf-8")


def _show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")
