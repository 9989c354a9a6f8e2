"""A raw ASGI layer in front of the FastAPI app that answers repeated SPARQL requests at once.

FastAPI's middleware stack, routing and request objects cost about 200 µs
per request on these machines, more than an `oxigraph serve` answer. Most
SPARQL traffic repeats (dashboards, crawlers, the UI's example queries), so
this layer keeps the finished HTTP response of every successful query
answer, keyed by the exact request: method, query string, body and every
header that could change the answer (only headers no handler reads, such as
User-Agent, are left out of the key). A request seen before, against the
same store version and write generation, is answered from here without
re-parsing, re-gating or re-negotiating: the identical request already
passed all of that and produced these bytes.

Everything else (misses, other paths, HEAD, updates, errors, large or
chunked bodies) goes to the app unchanged, and a miss's response is
recorded on its way out when it is a query answer (status 200 with the
X-Cache header that only the SPARQL answer path sets). Writes bump the
engine's generation and builds change the store directory; both are part
of each entry's tag, so nothing stale is served.

A miss that no middleware would touch (no Origin header for CORS, no gzip
in Accept-Encoding) calls the /sparql handler from the routes table
directly, with the app's own exception handlers, so the answer and every
error are byte-for-byte what the full stack gives, minus about 190 µs.
Any middleware this module does not know turns the whole layer off (with a
warning): a cached answer must never skip, say, a rate limiter.
"""

from __future__ import annotations

import codecs
import json
import logging
import time
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, unquote_plus

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request

from ..sparql.cache import AnswerCache
from ..api.context import AppContext

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("claimgraph.query")
_log_http = logging.getLogger("claimgraph.http")
# Middleware whose effect this layer accounts for: CORS acts only on requests with an
# Origin header and GZip only when the client accepts gzip, and such misses take the full stack.
_KNOWN_MIDDLEWARE = (CORSMiddleware, GZipMiddleware)

# Request headers that no handler reads and that vary per client or per request;
# keeping them out of the key lets different clients share entries.
_UNKEYED = frozenset({b"user-agent", b"connection", b"keep-alive", b"content-length", b"te", b"traceparent",
                      b"tracestate", b"x-request-id", b"x-forwarded-for", b"x-real-ip"})
_HIT = b"hit"
# What a hit adds to /metrics: a cache hit, a fast-path hit, an answered query.
_HIT_COUNTERS = (("claimgraph_cache_hits_total", ()), ("claimgraph_fast_path_hits_total", ()),
                 ("claimgraph_queries_total", (("outcome", "ok"),)))
_COMPUTED = (("claimgraph_fast_path_computed_total", ()),)  # a miss answered without ASGI
_REPLAYED = (*_HIT_COUNTERS, ("claimgraph_fast_path_replays_total", ()))  # a hit found by its raw bytes
_MAX_REMEMBERED = 16 * 1024  # bytes of a request remembered for replay; longer ones are parsed each time
_REMEMBERED_BYTES = 8 * 1024 * 1024  # all remembered requests, per serving process
_MAX_REMEMBERED_HEADERS = 64  # more headers than this: parsed each time
# What CPython holds for one keyed header beyond its bytes (two bytes objects and a tuple), measured
# with tracemalloc; without it, a request of many short headers would hold ~12x what is counted.
_HEADER_OVERHEAD = 160


class _Recorder:
    """Passes a response through while keeping a copy, if it is one worth keeping."""

    __slots__ = ("send", "status", "headers", "parts", "size", "limit", "cacheable")

    def __init__(self, send: Send, limit: int):
        self.send, self.limit = send, limit
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []
        self.size = 0
        self.cacheable = False

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
            self.cacheable = self.status == 200 and any(k.lower() == b"x-cache" for k, _v in self.headers)
        elif kind == "http.response.body" and self.cacheable:
            body = message.get("body", b"")
            self.size += len(body)
            if self.size > self.limit:
                self.cacheable, self.parts = False, []
            else:
                self.parts.append(body)
        await self.send(message)

    def entry(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        headers = [(k.lower(), v) for k, v in self.headers]
        return headers, self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)


class FastPath:
    """ASGI app: repeated /sparql requests from a response cache, the rest to `app`."""

    def __init__(self, app: Any, path: str = "/sparql"):
        self.app: ASGIApp = app
        self.ctx: AppContext = app.state.ctx
        self.engine = self.ctx.engine
        settings = self.ctx.settings
        self.path = path
        self.cache = AnswerCache(settings.cache_entries)
        # Bodies buffered for keying: a form-encoded query at most triples in size.
        self.max_body = min(settings.max_body_bytes, 3 * settings.max_query_bytes + 4096)
        self._tag: tuple[Any, int] | None = None
        # Raw request bytes -> (cache key, query string, bytes held), for serve/hitprotocol.py's
        # replays; a FIFO bounded in entries and in bytes (each entry holds the request about twice).
        self._parsed: dict[bytes, tuple[tuple[Any, ...], bytes, int]] = {}
        self._parsed_bytes = 0
        self.parsed_entries = min(settings.cache_entries, 4096)
        self.longest_remembered = _MAX_REMEMBERED
        self.endpoint = _direct_endpoint(app, path)
        unknown = [m.cls.__name__ for m in getattr(app, "user_middleware", ())
                   if not (isinstance(m.cls, type) and issubclass(m.cls, _KNOWN_MIDDLEWARE))]
        self.enabled = not unknown
        # Answers that skip the middleware must still carry the Vary it adds, or a shared cache could
        # hand one to the wrong client: Starlette's CORS adds Origin to every response, Origin header
        # or not, and GZip adds Accept-Encoding to every body of at least its minimum size.
        stack = getattr(app, "user_middleware", ())
        self.vary_origin = any(m.cls is CORSMiddleware for m in stack)
        gzip = next((m for m in stack if m.cls is GZipMiddleware), None)
        self.gzip_min: int | None = gzip.kwargs.get("minimum_size", 500) if gzip is not None else None
        if unknown:
            _log_http.warning("fast path off: middleware %s must see every request", ", ".join(unknown))

    def __getattr__(self, name: str) -> Any:
        # Let callers that expect the FastAPI app (state, routes, ...) still find it.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or not self.enabled:
            return await self.app(scope, receive, send)
        method = scope["method"]
        if method != "GET" and method != "POST":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        body = b""
        if method == "POST":
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is None or not length.isdigit() or int(length) > self.max_body:
                return await self.app(scope, receive, send)  # chunked or large: the app enforces its limits
            body, receive = await _buffer(receive)
            if body is None:
                return await self.app(scope, receive, send)
        tag = self.current_tag()
        if tag is None:
            return await self.app(scope, receive, send)
        key = _request_key(method, scope["query_string"], body, scope["headers"])
        headers = key[3]
        hit = self._current(key, tag)
        if hit is not None:
            _tag, status, out_headers, payload, _wire = hit
            await send({"type": "http.response.start", "status": status, "headers": out_headers})
            await send({"type": "http.response.body", "body": payload})
            self.count_hit(started, scope["query_string"], body)
            return
        untouched = _untouched_by_middleware(headers)
        text = _lone_query(scope["query_string"]) if method == "GET" and untouched else None
        if text is not None:
            return await self._lean(scope, receive, send, text, headers, key, tag)
        recorder = _Recorder(send, self.cache.max_item)
        if self.endpoint is not None and untouched:
            await self._direct(scope, receive, recorder)
        else:
            await self.app(scope, receive, recorder)
        if recorder.cacheable:
            self._keep(key, tag, recorder.status, *recorder.entry())

    def _keep(self, key: tuple[Any, ...], tag: tuple[Any, int], status: int, headers: list[tuple[bytes, bytes]],
              payload: bytes) -> bool:
        """Cache a response; False if the cache would not take it (too large, or caching off)."""
        headers = [(k, _HIT if k == b"x-cache" else v) for k, v in headers]
        # The header lines as they go on the wire, for serve/hitprotocol.py to answer without ASGI.
        wire = b"".join(b"%s: %s\r\n" % (k, v) for k, v in headers)
        size = len(payload) + len(wire) + 256 + _key_size(key)
        return self.cache.put(key, (tag, status, headers, payload, wire), size)

    def _current(self, key: tuple[Any, ...], tag: tuple[Any, int], count_miss: bool = True) -> tuple[Any, ...] | None:
        """The cached entry for `key` if it was made under `tag`."""
        hit = self.cache.get(key, count_miss)
        return hit if hit is not None and hit[0] == tag else None

    def current_tag(self) -> tuple[Any, int] | None:
        """What every cached entry must match: the store version and the write generation."""
        engine = self.engine
        try:
            tag = (engine.locator.current(), engine.generation)
        except FileNotFoundError:
            return None
        if tag != self._tag:
            # A write or a build: every entry is stale now; free them rather than wait for LRU.
            self.cache.clear()
            self._parsed, self._parsed_bytes = {}, 0
            self._tag = tag
        return tag

    async def _direct(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The /sparql handler without the middleware and routing around it, errors handled alike."""
        app = self.app
        # What Starlette's app and router put in the scope before a handler runs.
        scope["app"] = app
        scope.setdefault("router", getattr(app, "router", None))
        scope.setdefault("path_params", {})
        scope.setdefault("endpoint", self.endpoint)
        send = self._varying(send)
        try:
            response = await self.endpoint(Request(scope, receive, send))  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - handed to the app's own handlers
            return await self._handled(scope, receive, send, exc)
        await response(scope, receive, send)

    async def _handled(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        """The response the app's exception handlers give for `exc` (raised again if none takes it)."""
        handler = _handler_for(self.app, exc)
        if handler is None:
            raise exc
        scope["app"] = self.app
        response = await handler(Request(scope, receive, send), exc)
        await response(scope, receive, send)

    def _varying(self, send: Send) -> Send:
        return _with_vary(send, self._vary) if self.vary_origin or self.gzip_min is not None else send

    async def _lean(self, scope: Scope, receive: Receive, send: Send, text: str,
                    headers: tuple[tuple[bytes, bytes], ...], key: tuple[Any, ...], tag: tuple[Any, int]) -> None:
        """`GET /sparql?query=…` and nothing else: the engine straight from the raw request.

        What the /sparql handler would do for such a request (protocol.parse has nothing else to
        check), without building Starlette's Request and Response around it (~60 µs); errors go
        to the app's own handlers, so their bodies are the ones the full stack gives."""
        try:
            answer = await self.engine.query(text, accept=_accept(headers))
        except Exception as exc:  # noqa: BLE001 - handed to the app's own handlers, as _direct does
            return await self._handled(scope, receive, self._varying(send), exc)
        out = self._answer_headers(answer)
        await send({"type": "http.response.start", "status": answer.status, "headers": out})
        await send({"type": "http.response.body", "body": answer.body})
        if answer.status == 200:
            self._keep(key, tag, answer.status, out, answer.body)

    def respond(self, query_string: bytes,
                headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, bytes, bool] | None:
        """For serve/hitprotocol.py: the response to `GET /sparql?<query_string>` if it is at hand, as
        (status, header lines, body, whether it is in the cache): a cached one (counted as a
        fast-path hit), or the engine's if it has it without waiting (engine.query_now), which is
        kept for the next identical request when it is a small enough success.

        Only requests _lean would take, with the response _lean would send. None: the request goes
        through ASGI as before (and is counted there)."""
        if not self.enabled:
            return None
        tag = self.current_tag()
        if tag is None:
            return None
        started = time.perf_counter()
        key = _request_key("GET", query_string, b"", headers)
        keyed = key[3]
        hit = self._current(key, tag, count_miss=False)  # a miss is counted below, or by __call__
        if hit is not None:
            self.count_hit(started, query_string, b"")
            return hit[1], hit[4], hit[3], True
        if not _untouched_by_middleware(keyed):
            return None
        text = _lone_query(query_string)
        if text is None:
            return None
        answer = self.engine.query_now(text, _accept(keyed), _COMPUTED)
        if answer is None:
            return None
        self.cache.miss()
        out = self._answer_headers(answer)
        kept = answer.status == 200 and self._keep(key, tag, answer.status, out, answer.body)
        return answer.status, b"".join(b"%s: %s\r\n" % (k, v) for k, v in out), answer.body, kept

    def remember(self, raw: bytes, query_string: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """Note that the request `raw` (its whole bytes) parsed as `GET /sparql?<query_string>` with
        `headers`, so that replay() can find its cache entry without parsing it again.

        First in, first out: a hot request pushed out by many new ones is remembered again the next
        time the parser answers it."""
        if len(raw) > _MAX_REMEMBERED or len(headers) > _MAX_REMEMBERED_HEADERS or self.parsed_entries <= 0:
            return
        key = _request_key("GET", query_string, b"", headers)
        size = 2 * len(raw) + _key_size(key)
        parsed = self._parsed
        old = parsed.pop(raw, None)
        if old is not None:
            self._parsed_bytes -= old[2]
        while parsed and (len(parsed) >= self.parsed_entries or self._parsed_bytes + size > _REMEMBERED_BYTES):
            oldest = next(iter(parsed))
            self._parsed_bytes -= parsed.pop(oldest)[2]
        parsed[raw] = (key, query_string, size)
        self._parsed_bytes += size

    def replay(self, raw: bytes) -> tuple[int, bytes, bytes] | None:
        """respond()'s cached answer for a request whose exact bytes were remembered, else None."""
        parsed = self._parsed.get(raw)
        if parsed is None:
            return None
        tag = self.current_tag()
        if tag is None:
            return None
        started = time.perf_counter()
        key, query_string, _size = parsed
        hit = self._current(key, tag, count_miss=False)
        if hit is None:
            return None  # evicted or stale: the parser's path decides, and counts the miss
        self.count_hit(started, query_string, b"", _REPLAYED)
        return hit[1], hit[4], hit[3]

    def _answer_headers(self, answer: Any) -> list[tuple[bytes, bytes]]:
        """The headers, in the order, that sparql_endpoint's Response would send with `answer`."""
        out = [(b"x-cache", b"hit" if answer.cached else b"miss"), (b"vary", self._vary(b"Accept", len(answer.body)))]
        out += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        out += [(b"content-length", str(len(answer.body)).encode()), (b"content-type", answer.media_type.encode())]
        return out

    def _vary(self, vary: bytes, length: int) -> bytes:
        """`vary` as the skipped CORS and GZip middleware would leave it, for a body of `length` bytes."""
        if self.vary_origin:
            vary += b", Origin"
        if self.gzip_min is not None and length >= self.gzip_min:
            vary += b", Accept-Encoding"
        return vary

    def count_hit(self, started: float, query_string: bytes, body: bytes,
                  counters: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = _HIT_COUNTERS) -> None:
        """The engine's own accounting of a cache hit, so /metrics stays true."""
        engine = self.engine
        engine.cache.hits += 1
        elapsed = time.perf_counter() - started
        engine.metrics.record(counters, "claimgraph_query_duration_seconds", elapsed)
        # DEBUG, not INFO like the engine's line: a hit replays an answer whose query was logged when
        # it was computed, hits are counted in /metrics, and at INFO the log line alone cost 65 µs
        # per hit (measured: 110 vs 43 µs CPU per request, 9.5 k vs 24 k req/s).
        if log.isEnabledFor(logging.DEBUG):
            log.debug(json.dumps({"event": "query", "ms": round(elapsed * 1000, 2), "outcome": "fast-path",
                                  "size": len(body), "query": _query_text(query_string, body)[:200]}))


def _with_vary(send: Send, vary: Callable[[bytes, int], bytes]) -> Send:
    """`send`, with the response's Vary header completed by `vary(header, content length)`."""
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            length = next((int(v) for k, v in headers if k.lower() == b"content-length" and v.isdigit()), 0)
            at = next((i for i, (k, _v) in enumerate(headers) if k.lower() == b"vary"), None)
            if at is None:
                headers.append((b"vary", vary(b"", length).lstrip(b", ")))
            else:
                headers[at] = (headers[at][0], vary(headers[at][1], length))
            message = {**message, "headers": headers}
        await send(message)

    return sending


def _lone_query(raw: bytes) -> str | None:
    """The query of a URL whose only parameter is one non-blank `query` in plain UTF-8, else None.

    Anything else (other parameters, repeats, undecodable escapes, raw non-ASCII bytes) is left
    to protocol.parse, which knows the error to give."""
    if not raw.startswith(b"query=") or b"&" in raw or not raw.isascii():
        return None
    encoded = raw[6:]
    try:
        # %XX as \xXX for the C escape decoder (existing backslashes doubled first, so no other
        # escape can arise): 10x faster than unquote_plus, which handles what this refuses
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


def _request_key(method: str, query_string: bytes, body: bytes,
                 headers: list[tuple[bytes, bytes]]) -> tuple[Any, ...]:
    """A request's cache key; its last item is the request's keyed headers (all but _UNKEYED)."""
    return (method, query_string, body, tuple(h for h in headers if h[0] not in _UNKEYED))


def _key_size(key: tuple[Any, ...]) -> int:
    """About the bytes a request key holds: its query string, body and keyed headers."""
    headers = key[3]
    return len(key[1]) + len(key[2]) + sum(len(k) + len(v) for k, v in headers) + _HEADER_OVERHEAD * (len(headers) + 1)


def _accept(headers: tuple[tuple[bytes, bytes], ...]) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k == b"accept"), None)


def _untouched_by_middleware(headers: tuple[tuple[bytes, bytes], ...]) -> bool:
    for name, value in headers:
        if name == b"origin" or (name == b"accept-encoding" and b"gzip" in value.lower()):
            return False
    return True


def _direct_endpoint(app: Any, path: str) -> Callable[[Request], Awaitable[Any]] | None:
    """The routes table's handler for `path` if it takes just the Request (so it can be called
    directly) and answers both GET and POST there (one route per method: routing.py)."""
    import inspect

    routes = [r for r in getattr(app, "routes", ()) if getattr(r, "path", None) == path]
    endpoints = {getattr(r, "endpoint", None) for r in routes}
    methods = {m for r in routes for m in (getattr(r, "methods", None) or ())}
    if len(endpoints) != 1 or not {"GET", "POST"} <= methods:
        return None
    endpoint = endpoints.pop()
    if endpoint is None or not inspect.iscoroutinefunction(endpoint):
        return None
    params = list(inspect.signature(endpoint).parameters.values())
    if len(params) == 1 and params[0].annotation in (Request, "Request"):
        return endpoint
    return None


def _handler_for(app: Any, exc: Exception) -> Callable[..., Awaitable[Any]] | None:
    handlers = getattr(app, "exception_handlers", {})
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read a whole (small) request body, and a receive() that replays it to the app."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # The client left before sending its body: let the app see exactly that.
            pending: list[Message] = [{"type": "http.request", "body": b"".join(parts), "more_body": True}, message]
            return None, _replay(pending, receive)
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            body = b"".join(parts)
            return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replayed() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replayed


def _query_text(query_string: bytes, body: bytes) -> str:
    try:
        pairs = parse_qsl(query_string.decode("latin-1")) + parse_qsl(body.decode("utf-8", "replace"))
    except ValueError:
        return ""
    return next((v for k, v in pairs if k == "query"), body.decode("utf-8", "replace"))


def wrap(app: Any) -> FastPath:
    """The app as served: the fast path in front of FastAPI."""
    return FastPath(app)
