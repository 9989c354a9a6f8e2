"""SPARQL 1.1 Protocol request parsing: GET, POST form, POST direct.

Returns what was asked for, or raises ApiError naming the parameter at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.requests import Request

from .errors import ApiError

FORM = "application/x-www-form-urlencoded"
QUERY_MT = "application/sparql-query"
UPDATE_MT = "application/sparql-update"
KNOWN_PARAMS = {"query", "update", "default-graph-uri", "named-graph-uri", "using-graph-uri",
                "using-named-graph-uri", "timeout", "format", "output"}


@dataclass
class ProtocolRequest:
    query: str | None = None
    update: str | None = None
    default_graph: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    using_graph: list[str] = field(default_factory=list)
    using_named_graph: list[str] = field(default_factory=list)
    timeout: float | None = None
    format: str | None = None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad_encoding", f"{what} is not valid UTF-8 (byte {exc.start})", parameter=what) from None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body_too_large", f"request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "body_too_large", f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _pairs_from_qs(raw: str, what: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", f"{what} contains percent-escapes that are not UTF-8") from None
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"{what}: {exc}") from None


def _single(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise ApiError(400, "multiple_values", f"exactly one {name} may be given, got {len(values)}", parameter=name)
    return values[0] if values else None


def _fill(req: ProtocolRequest, pairs: list[tuple[str, str]]) -> None:
    req.default_graph += [v for k, v in pairs if k == "default-graph-uri"]
    req.named_graphs += [v for k, v in pairs if k == "named-graph-uri"]
    req.using_graph += [v for k, v in pairs if k == "using-graph-uri"]
    req.using_named_graph += [v for k, v in pairs if k == "using-named-graph-uri"]
    for iri in req.default_graph + req.named_graphs + req.using_graph + req.using_named_graph:
        if not iri or any(c in iri for c in ' <>"{}|\\^`\x00') or ":" not in iri:
            raise ApiError(400, "bad_graph_iri", f"graph IRI {iri[:80]!r} is not an absolute IRI",
                           parameter="default-graph-uri")
    timeout = _single(pairs, "timeout")
    if timeout is not None:
        try:
            value = float(timeout)
        except ValueError:
            raise ApiError(400, "bad_timeout", f"timeout must be a number of seconds, got {timeout[:40]!r}",
                           parameter="timeout") from None
        if not (value > 0) or value != value:
            raise ApiError(400, "bad_timeout", "timeout must be a positive number of seconds", parameter="timeout")
        req.timeout = value
    fmt = _single(pairs, "format") or _single(pairs, "output")
    req.format = fmt


async def parse(request: Request, body_limit: int) -> ProtocolRequest:
    url_pairs = _pairs_from_qs(request.url.query, "the URL query string")
    req = ProtocolRequest()
    if request.method in ("GET", "HEAD"):
        if _single(url_pairs, "update") is not None:
            raise ApiError(400, "update_via_get", "updates must be sent with POST", parameter="update")
        req.query = _single(url_pairs, "query")
        _fill(req, url_pairs)
        return req
    media = _media_type(request)
    body = await read_body(request, body_limit)
    if media == FORM:
        pairs = _pairs_from_qs(_decode(body, "body"), "the form body")
        query, update = _single(pairs, "query"), _single(pairs, "update")
        if query is not None and update is not None:
            raise ApiError(400, "query_and_update", "send either query or update, not both", parameter="update")
        if _single(url_pairs, "query") is not None or _single(url_pairs, "update") is not None:
            raise ApiError(400, "multiple_values", "with a form POST, query/update belong in the body", parameter="query")
        if query is None and update is None:
            raise ApiError(400, "missing_query", "the form has neither query nor update", parameter="query")
        req.query, req.update = query, update
        _fill(req, url_pairs + pairs)
    elif media == QUERY_MT:
        if _single(url_pairs, "query") is not None:
            raise ApiError(400, "multiple_values", "the query is the body; do not also send ?query=", parameter="query")
        req.query = _decode(body, "body")
        _fill(req, url_pairs)
    elif media == UPDATE_MT:
        req.update = _decode(body, "body")
        _fill(req, url_pairs)
    else:
        shown = media or "no Content-Type"
        raise ApiError(415, "unsupported_media_type",
                       f"{shown} is not a SPARQL request; use {FORM}, {QUERY_MT} or {UPDATE_MT}",
                       parameter="Content-Type")
    if req.query is not None and not req.query.strip():
        raise ApiError(400, "missing_query", "the query is empty", parameter="query")
    if req.update is not None and not req.update.strip():
        raise ApiError(400, "missing_query", "the update is empty", parameter="update")
    return req
