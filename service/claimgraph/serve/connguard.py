"""Limits on what one HTTP connection may hold: header size and count, time to send a head, connections.

uvicorn's httptools protocol has none of these: a 64 MB header took 8.6 s to parse (its URL and
header fragments are concatenated as they arrive) and stalled the process; a connection that
sends nothing, or trickles a head a byte at a time, was never closed, so ten thousand of them
exhausted the process's file descriptors. This layer, mixed over whichever protocol class the
server runs (uvicorn's httptools one), answers before the parser is fed more:

- a head (request line and headers) over CLAIMGRAPH_MAX_HEADER_BYTES, or with more than
  CLAIMGRAPH_MAX_HEADERS header lines: 431, and the connection is closed;
- an HTTP/1.1 request without exactly one Host header: 400 (RFC 9112 §3.2);
- a head not complete CLAIMGRAPH_HEADER_TIMEOUT seconds after the connection opened or its
  previous response ended: 408 if some of it came, else the connection is just closed;
- past CLAIMGRAPH_MAX_CONNECTIONS open connections, a new one closes the oldest idle one (no
  request in progress), so /health still gets through; with none idle, the new one gets 503.

Every refusal is one line in the log, never a traceback, and carries the service's JSON error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("claimgraph.connections")


@dataclass(frozen=True)
class ConnLimits:
    max_header_bytes: int = 64 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    max_connections: int = 4096


_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large",
            503: b"Service Unavailable"}
_CODES = {400: "bad_request", 408: "request_timeout", 431: "headers_too_large", 503: "unavailable"}


def _error(status: int, message: str) -> bytes:
    body = json.dumps({"ok": False, "error": {"status": status, "code": _CODES[status], "message": message}}).encode()
    return b"".join((b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]), b"content-type: application/json\r\n",
                     b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body))


def guarded(base: Any, limits: ConnLimits) -> Any:
    """`base` (a uvicorn httptools protocol class) with the limits above."""

    class Guarded(base):  # type: ignore[misc, valid-type]
        _in_head = True  # from the connection's start or a message's end to the end of the next head
        _head_bytes = 0  # bytes of the current head fed to the parser so far
        _header_count = 0
        _header_size = 0
        _refused = False
        _head_timer: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()
            if len(self.connections) > limits.max_connections and not self._make_room():
                self._refuse(503, "too many open connections; try again shortly")

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._in_head and self._head_bytes > limits.max_header_bytes:
                self._refuse(431, f"request line and headers exceed {limits.max_header_bytes} bytes "
                                  "(CLAIMGRAPH_MAX_HEADER_BYTES)")
                return
            if self._in_head:
                self._head_bytes += len(data)
            super().data_received(data)

        def on_message_begin(self) -> None:
            self._header_count = self._header_size = 0
            super().on_message_begin()

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            self._header_size += len(name) + len(value)
            if self._header_count <= limits.max_headers and self._header_size <= limits.max_header_bytes:
                super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._disarm()
            if self._refused:
                return
            if self._header_count > limits.max_headers:
                self._refuse(431, f"more than {limits.max_headers} header lines (CLAIMGRAPH_MAX_HEADERS)")
                return
            if self._header_size > limits.max_header_bytes or len(self.url) > limits.max_header_bytes:
                self._refuse(431, f"request line and headers exceed {limits.max_header_bytes} bytes "
                                  "(CLAIMGRAPH_MAX_HEADER_BYTES)")
                return
            if self.parser.get_http_version() == "1.1":
                hosts = sum(1 for name, _ in self.headers if name == b"host")
                if hosts != 1:
                    self._refuse(400, "an HTTP/1.1 request needs exactly one Host header"
                                      + (f"; it has {hosts}" if hosts else ""))
                    return
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            # The next head starts after this message's last byte, not after its response: an early
            # answer (a 413 while the body still streams in) must not count the body as a head.
            self._in_head, self._head_bytes = True, 0
            if not self._refused:
                super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._in_head and not self.transport.is_closing():
                self._arm()

        # -- helpers -------------------------------------------------------------------------

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(limits.header_timeout, self._head_timeout)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timeout(self) -> None:
            self._head_timer = None
            if not self._in_head or self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                return  # an answer is still being computed: a long query is not a slow client
            if self._head_bytes:
                self._refuse(408, f"the request's headers did not arrive within {limits.header_timeout:g} s "
                                  "(CLAIMGRAPH_HEADER_TIMEOUT)")
            else:
                self.transport.close()  # an idle connection: nothing to answer

        def _idle(self) -> bool:
            return self._in_head and not self._head_bytes and (self.cycle is None or self.cycle.response_complete)

        def _make_room(self) -> bool:
            for other in list(self.connections):
                if other is not self and getattr(other, "_idle", None) and other._idle():
                    other.transport.close()
                    return True
            return False

        def _refuse(self, status: int, message: str) -> None:
            self._refused = True
            self._disarm()
            log.warning("refused a request from %s: %d %s", self.client, status, message)
            if not self.transport.is_closing():
                self.transport.write(_error(status, message))
                self.transport.close()

    Guarded.__name__ = f"Guarded{base.__name__}"
    return Guarded
