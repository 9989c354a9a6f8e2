"""A plain ASGI middleware that answers a repeated SPARQL request with the bytes it got last time.

Most SPARQL traffic repeats (dashboards, crawlers, the UI's example queries), and FastAPI's
middleware, routing and request objects cost more per request than `oxigraph serve` spends on a
whole answer. This layer sits outermost, so what it keeps is the response exactly as the client
received it, after every middleware inside it (CORS, GZip, the error handlers) had its say; it
needs to know nothing of them.

The key is the whole request: method, query string, body and every header but a few that no
handler reads (User-Agent, Connection, tracing ids), so a request differing in Authorization,
Accept, Accept-Encoding, Host or Origin is never answered with another's bytes. Only successful
query answers are kept (status 200 carrying X-Cache, which only the SPARQL answer path sets);
entries carry the store version and write generation they were made under (`tag`), and one
made under another is never served. CLAIMGRAPH_FAST_PATH=0 leaves it out.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable, Hashable

from ..sparql.cache import AnswerCache

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Request headers that no handler reads and that vary per client or per request;
# keeping them out of the key lets different clients share entries.
_UNKEYED = frozenset({b"user-agent", b"connection", b"keep-alive", b"content-length", b"te", b"traceparent",
                      b"tracestate", b"x-request-id", b"x-forwarded-for", b"x-real-ip"})
# What CPython holds for one keyed header beyond its bytes (two bytes objects and a tuple), measured
# with tracemalloc; without it, a request of many short headers would hold ~12x what is counted.
_HEADER_OVERHEAD = 160


class ResponseCache:
    """ASGI middleware: repeated GET/POST requests to `path` answered from kept responses."""

    def __init__(self, app: ASGIApp, *, tag: Callable[[], Hashable | None], counted: Callable[[float], None],
                 entries: int, max_body: int, path: str = "/sparql"):
        self.app, self.tag, self.counted, self.path = app, tag, counted, path
        self.cache = AnswerCache(entries)
        self.max_body = max_body  # request bodies buffered for keying; longer ones pass through unkept
        self._tag: Hashable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] not in ("GET", "POST"):
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        body = b""
        if scope["method"] == "POST":
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is None or not length.isdigit() or int(length) > self.max_body:
                return await self.app(scope, receive, send)  # chunked or large: the app enforces its limits
            body, receive = await _buffer(receive)
            if body is None:
                return await self.app(scope, receive, send)
        tag = self._current_tag()
        if tag is None:
            return await self.app(scope, receive, send)
        # ASGI servers give request header names in lower case (ASGI HTTP spec): no lower() per header.
        key = (scope["method"], scope["query_string"], body,
               tuple(h for h in scope["headers"] if h[0] not in _UNKEYED))
        hit = self.cache.get(key)
        if hit is not None and hit[0] == tag:
            _tag, status, headers, payload = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            self.counted(time.perf_counter() - started)
            return
        recorder = _Recorder(send, self.cache.max_item)
        await self.app(scope, receive, recorder)
        if recorder.keep:
            payload = b"".join(recorder.parts)
            headers = [(k, b"hit" if k.lower() == b"x-cache" else v) for k, v in recorder.headers]
            size = len(payload) + sum(len(k) + len(v) for k, v in headers) + _key_size(key)
            self.cache.put(key, (tag, recorder.status, headers, payload), size)

    def _current_tag(self) -> Hashable | None:
        tag = self.tag()
        if tag != self._tag:
            self.cache.clear()  # a write or a build: every entry is stale; free them now, not by LRU
            self._tag = tag
        return tag


class _Recorder:
    """Passes a response through while keeping a copy, if it is one worth keeping."""

    __slots__ = ("send", "status", "headers", "parts", "size", "limit", "keep")

    def __init__(self, send: Send, limit: int):
        self.send, self.limit = send, limit
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []
        self.size = 0
        self.keep = False

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
            self.keep = self.status == 200 and any(k.lower() == b"x-cache" for k, _v in self.headers)
        elif kind == "http.response.body" and self.keep:
            body = message.get("body", b"")
            self.size += len(body)
            if self.size > self.limit:
                self.keep, self.parts = False, []
            else:
                self.parts.append(body)
        else:
            self.keep = False  # trailers, or anything this layer does not know how to replay
        await self.send(message)


def _key_size(key: tuple[Any, ...]) -> int:
    """About the bytes a request key holds: its query string, body and keyed headers."""
    headers = key[3]
    return len(key[1]) + len(key[2]) + sum(len(k) + len(v) for k, v in headers) + _HEADER_OVERHEAD * (len(headers) + 1)


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
