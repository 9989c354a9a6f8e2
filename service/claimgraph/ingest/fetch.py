"""Fetching one page, only when asked: a timeout, a size cap, and no private addresses.

Every address a connection is made to (the first and every redirect) is checked at the moment
of connecting, so a name that resolves to a public address once and to 127.0.0.1 the next time
(DNS rebinding) is refused too.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_S = 15.0
MAX_REDIRECTS = 5
USER_AGENT = "claimgraph-add/0.1 (+https://w3id.org/claimgraph)"


class FetchRefused(Exception):
    """The page was not fetched (or not kept); the message says why, in words."""


@dataclass
class Fetched:
    url: str            # the URL the page finally came from (after redirects)
    requested: str      # the URL asked for
    body: bytes
    content_type: str
    redirects: list[str]


def address_problem(ip: str) -> str | None:
    """Why an address must not be fetched from, or None if it is a public one."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    for what, test in (("a loopback", addr.is_loopback), ("a private", addr.is_private),
                       ("a link-local", addr.is_link_local), ("a multicast", addr.is_multicast),
                       ("a reserved", addr.is_reserved), ("an unspecified", addr.is_unspecified)):
        if test:
            return f"{ip} is {what} address"
    return None


def _guarded_connect(allow_private: bool, hop: str):  # noqa: ANN202 - socket.create_connection's shape
    def connect(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):  # noqa: ANN001, ANN202
        host, port = address
        last: Exception | None = None
        for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            why = address_problem(sockaddr[0])
            if why and not allow_private:
                raise FetchRefused(f"refused to fetch {hop}: {host} resolves to {why}")
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError(f"cannot resolve {host}")
    return connect


def _connection(url: str, timeout: float, allow_private: bool, hop: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=timeout)
    conn._create_connection = _guarded_connect(allow_private, hop)  # type: ignore[attr-defined]
    return conn


def fetch(url: str, *, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES,
          allow_private_start: bool = False) -> Fetched:
    """GET one page. `allow_private_start` lets the URL the user typed be on a private network
    (an intranet, a test server); a redirect to a private or loopback address is refused always."""
    deadline = time.monotonic() + timeout
    current, redirects = url, []
    for hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused(f"refused to fetch {current!r}: only http(s) URLs with a host are fetched")
        what = "the URL" if hop == 0 else f"the redirect to {current}"
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused(f"gave up on {url}: no answer within {timeout:g} s")
        conn = _connection(current, left, allow_private_start and hop == 0, what)
        try:
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            conn.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain;q=0.9"})
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                if not location:
                    raise FetchRefused(f"{current} answered {resp.status} without a Location")
                current = urljoin(current, location)
                redirects.append(current)
                continue
            if resp.status != 200:
                raise FetchRefused(f"{current} answered HTTP {resp.status} {resp.reason}")
            declared = resp.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(f"{current} is {int(declared)} bytes, over the cap of {max_bytes} bytes")
            body = bytearray()
            while chunk := resp.read(65536):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchRefused(f"{current} sent more than the cap of {max_bytes} bytes; nothing kept")
                if time.monotonic() > deadline:
                    raise FetchRefused(f"gave up on {url}: not finished within {timeout:g} s")
            return Fetched(current, url, bytes(body), resp.getheader("Content-Type") or "", redirects)
        except (socket.timeout, TimeoutError):
            raise FetchRefused(f"gave up on {url}: no answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchRefused(f"could not fetch {current}: {exc}") from None
        finally:
            conn.close()
    raise FetchRefused(f"refused to follow more than {MAX_REDIRECTS} redirects from {url}")
