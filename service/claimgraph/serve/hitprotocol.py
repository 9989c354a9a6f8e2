"""uvicorn's httptools protocol, answering what is at hand as soon as a request's headers are parsed.

A repeated `GET /sparql?query=…` found in the fast path's cache
(serve/fastpath.py) costs ~40 µs through uvicorn: a scope, a
RequestResponseCycle, an asyncio task and two ASGI messages around bytes
that are already known. Here the parser callback writes those bytes at once
(status line, uvicorn's own Date/Server headers, the cached headers and
body), exactly what the ASGI path would have written. A miss the engine can
answer without waiting (FastPath.respond -> engine.query_now: its own cache,
or an inline query proven small) is answered the same way.

Only the plainest case is taken: HTTP/1.1 keep-alive GET on the exact path,
no body, no Expect, no upgrade, nothing in flight or queued on the
connection, the transport not paused. Everything else, and every miss the
engine cannot answer at once, goes to uvicorn unchanged.

A repeat skips the parser too. Load generators, dashboards and the UI send
byte-identical requests, and the callbacks httptools makes for one (message
begin, URL, each header, headers complete) cost about half of a hit. When a
read brought exactly one whole request and it was answered here, its bytes
are remembered with its cache key (FastPath.remember); the same bytes
arriving again, on a connection idle between messages, parse the same way,
so they are answered from the cache entry under that key if it is current,
without feeding the parser. Anything else (a stale or evicted entry, other
bytes, a read holding half a request or two) goes through the parser.
"""

from __future__ import annotations

from typing import Any

from .fastpath import FastPath


_defaults: tuple[Any, bytes] = (None, b"")


def _default_lines(headers: list[tuple[bytes, bytes]]) -> bytes:
    """uvicorn's Date/Server header lines; it replaces the list once a second, so join once per list."""
    global _defaults
    if _defaults[0] is not headers:
        _defaults = (headers, b"".join(b"%s: %s\r\n" % (k, v) for k, v in headers))
    return _defaults[1]


def protocol_for(fast: FastPath) -> Any:
    """A protocol class for uvicorn.Config(http=...), or "httptools" if this uvicorn is not the one we know."""
    try:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
    except ImportError:  # pragma: no cover - another uvicorn layout: the stock protocol
        return "httptools"
    if not all(hasattr(HttpToolsProtocol, name) for name in ("on_headers_complete", "on_message_complete",
                                                               "on_response_complete")):
        return "httptools"  # pragma: no cover
    prefix = fast.path.encode("ascii") + b"?"
    longest = fast.longest_remembered
    bodyish = (b"content-length", b"transfer-encoding", b"expect", b"upgrade")

    class HitProtocol(HttpToolsProtocol):  # type: ignore[misc, valid-type]
        _answered = False
        _open = False  # the parser is inside a message (it has seen its first bytes, not its end)
        _begun = 0  # messages begun during the current read
        _remember: tuple[bytes, list[tuple[bytes, bytes]]] | None = None

        def data_received(self, data: bytes) -> None:
            if self._open:
                return super().data_received(data)
            if self._replay(data):
                return
            self._begun, self._remember = 0, None
            super().data_received(data)
            if self._remember is not None and self._begun == 1 and not self._open:
                fast.remember(data, *self._remember)  # one whole request, answered here: its bytes parse alike

        def _replay(self, data: bytes) -> bool:
            cycle = self.cycle
            if (cycle is not None and not cycle.response_complete) or self.pipeline or self.flow.write_paused \
                    or self.transport.is_closing():
                return False
            found = fast.replay(data) if len(data) <= longest else None  # longer ones are never remembered
            if found is None:
                return False
            self._unset_keepalive_if_required()
            status, wire, payload = found
            defaults = _default_lines(self.server_state.default_headers)
            self.transport.write(b"".join((STATUS_LINE[status], defaults, wire, b"\r\n", payload)))
            self.on_response_complete()
            return True

        def on_message_begin(self) -> None:
            self._open = True
            self._begun += 1
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            if self._answer_now():
                return
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._open = False
            if self._answered:
                self._answered = False  # the request was answered in on_headers_complete
                return
            super().on_message_complete()

        def _answer_now(self) -> bool:
            url = self.url
            if not url.startswith(prefix) or b"#" in url:
                return False
            parser = self.parser
            if parser.get_method() != b"GET" or parser.get_http_version() != "1.1" \
                    or not parser.should_keep_alive() or parser.should_upgrade():
                return False
            cycle = self.cycle
            if (cycle is not None and not cycle.response_complete) or self.pipeline or self.flow.write_paused \
                    or self.transport.is_closing():
                return False
            headers = self.headers
            for name, _value in headers:
                if name in bodyish:
                    return False
            found = fast.respond(url[len(prefix):], headers)
            if found is None:
                return False
            status, wire, payload, cached = found
            defaults = _default_lines(self.server_state.default_headers)
            self.transport.write(b"".join((STATUS_LINE[status], defaults, wire, b"\r\n", payload)))
            self._answered = True
            if cached:  # nothing to replay otherwise
                self._remember = (url[len(prefix):], headers)
            self.on_response_complete()  # what uvicorn does after a response: counts, keep-alive timer
            return True

    return HitProtocol
