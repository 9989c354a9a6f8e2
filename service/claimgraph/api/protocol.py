"""SPARQL 1.1 Protocol request parsing: GET, POST form, POST direct.

Returns what was asked for, or raises ApiError naming the parameter at fault.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request

from ..sparql.formats import GRAPH_FORMATS, SOLUTION_FORMATS
from ..sparql.negotiate import format_from_param
from .errors import ApiError

FORM = "application/x-www-form-urlencoded"
QUERY_MT = "application/sparql-query"
UPDATE_MT = "application/sparql-update"


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
        # surrogateescape keeps undecodable escapes visible, so the error can name the parameter.
        pairs = parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="surrogateescape")
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"{what}: {exc}") from None
    for key, value in pairs:
        for text in (key, value):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                name = key.encode("utf-8", "replace").decode("utf-8")
                raise ApiError(400, "bad_encoding", f"{what}: the value of {name!r} has percent-escapes that are "
                               "not UTF-8", parameter=name) from None
    return pairs


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """The URL's parameters; raw bytes and percent-escapes alike must be UTF-8."""
    raw: bytes = request.scope.get("query_string", b"")
    return _pairs_from_qs(_decode(raw, "the URL query string"), "the URL query string")


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
    for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
        for iri in (v for k, v in pairs if k == name):
            if not iri or any(c in iri for c in ' <>"{}|\\^`\x00') or ":" not in iri:
                raise ApiError(400, "bad_graph_iri", f"{name} {iri[:80]!r} is not an absolute IRI", parameter=name)
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
    if fmt is not None and format_from_param(fmt, graph=True) is None and format_from_param(fmt, graph=False) is None:
        raise ApiError(400, "bad_format", f"format={fmt!r} is not a result format; use one of "
                       + ", ".join(list(SOLUTION_FORMATS) + list(GRAPH_FORMATS)) + " or their media types",
                       parameter="format")
    req.format = fmt


async def parse(request: Request, body_limit: int) -> ProtocolRequest:
    req = ProtocolRequest()
    if request.method in ("GET", "HEAD"):
        # Most requests are `GET /sparql?query=…` and nothing else: decoded without building pairs.
        req.query = lone_query(request.scope.get("query_string", b""))
        if req.query is not None:
            return req
    url_pairs = query_pairs(request)
    if request.method in ("GET", "HEAD"):
        if _single(url_pairs, "update") is not None:
            raise ApiError(400, "update_via_get", "updates must be sent with POST", parameter="update")
        req.query = _single(url_pairs, "query")
        _fill(req, url_pairs)
        return _check_nonempty(req)
    media = _media_type(request)
    # Refuse what we cannot read before reading (up to max_body_bytes of) it.
    if media not in (FORM, QUERY_MT, UPDATE_MT):
        shown = media or "no Content-Type"
        raise ApiError(415, "unsupported_media_type",
                       f"{shown} is not a SPARQL request; use {FORM}, {QUERY_MT} or {UPDATE_MT}",
                       parameter="Content-Type")
    charset = _charset(request)
    if charset not in (None, "utf-8", "utf8"):
        raise ApiError(415, "unsupported_charset", f"charset={charset} is not supported; SPARQL requests are UTF-8",
                       parameter="Content-Type")
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
        if _single(url_pairs, "update") is not None:
            raise ApiError(400, "query_and_update", "send either query or update, not both", parameter="update")
        req.query = _decode(body, "body")
        _fill(req, url_pairs)
    else:  # UPDATE_MT
        if _single(url_pairs, "update") is not None:
            raise ApiError(400, "multiple_values", "the update is the body; do not also send ?update=",
                           parameter="update")
        if _single(url_pairs, "query") is not None:
            raise ApiError(400, "query_and_update", "send either query or update, not both", parameter="query")
        req.update = _decode(body, "body")
        _fill(req, url_pairs)
    return _check_nonempty(req)


def _charset(request: Request) -> str | None:
    for param in request.headers.get("content-type", "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _check_nonempty(req: ProtocolRequest) -> ProtocolRequest:
    if req.query is not None and not req.query.strip():
        raise ApiError(400, "missing_query", "the query is empty", parameter="query")
    if req.update is not None and not req.update.strip():
        raise ApiError(400, "missing_query", "the update is empty", parameter="update")
    return req


def lone_query(raw: bytes) -> str | None:
    """The query of a URL whose only parameter is one non-blank `query` in plain UTF-8, else None.

    Anything else (other parameters, repeats, undecodable escapes, raw non-ASCII bytes) is left
    to the general reading, which knows the error to give."""
    if not raw.startswith(b"query=") or b"&" in raw or not raw.isascii():
        return None
    encoded = raw[6:]
    try:
        # %XX as \xXX for the C escape decoder (existing backslashes doubled first, so no other
        # escape can arise): ~10x faster than unquote_plus, which handles what this refuses
        # (a stray or malformed %) the lenient way, leaving it as written.
        text = codecs.escape_decode(encoded.replace(b"\\", b"\\\\").replace(b"+", b" ")
                                    .replace(b"%", b"\\x"))[0].decode("utf-8")
    except UnicodeDecodeError:
        return None
    except ValueError:
        try:
            text = unquote_plus(encoded.decode("ascii"), errors="strict")
        except (UnicodeDecodeError, ValueError):
            return None
    return text if text.strip() else None
