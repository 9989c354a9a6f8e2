"""What every route needs: settings, the SPARQL engine, the writer, IRIs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from starlette.requests import Request

from ..config import Settings
from ..namespaces import Minter
from ..sparql.engine import SparqlEngine


@dataclass
class AppContext:
    settings: Settings
    engine: SparqlEngine
    mint: Minter
    writes: Any = None  # api.writes.Writes
    extras: dict[str, Any] = field(default_factory=dict)
    # Set by whatever serves the app (serve/): facts for /health (the allocator), the figures of
    # sibling serving processes for /metrics, and tasks to run while the app runs. The app only
    # reads these; it never imports the serving machinery.
    serving: dict[str, Any] = field(default_factory=dict)
    # The HTML renderer (web/pages.py Pages, given an api.rest.views.Addresses), set where the app
    # is assembled (api/routes.py): Linked Data and /queries pages render HTML without api/
    # importing web/.
    html: Callable[[Any], Any] | None = None
    peers: Callable[[], list[dict[str, Any]]] | None = None
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def updates_enabled(self) -> bool:
        return bool(self.settings.update_token)

    def public_url(self, request: Request | None = None) -> str:
        """Where clients reach this server: links a browser or client follows are built on it.

        Minted IRIs never change with it. Configured `CLAIMGRAPH_PUBLIC_URL` wins; then what a
        trusted proxy forwarded; then the request's own scheme and Host; then host and port."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        if request is None:
            return self.settings.url
        if self._trusted_proxy(request):
            h = request.headers
            proto = _first(h.get("x-forwarded-proto")) or request.url.scheme
            host = _first(h.get("x-forwarded-host")) or h.get("host") or request.url.netloc
            prefix = (_first(h.get("x-forwarded-prefix")) or "").rstrip("/")
            if proto in ("http", "https") and _HOST.fullmatch(host) and _PREFIX.fullmatch(prefix):
                return f"{proto}://{host}{prefix}"
        if not _HOST.fullmatch(request.headers.get("host", "")):
            return self.settings.url    # no Host, or one no link should carry
        return str(request.base_url).rstrip("/")

    def _trusted_proxy(self, request: Request) -> bool:
        trusted = self.settings.trust_forwarded.strip()
        if not trusted:
            return False
        if trusted == "*":
            return True
        peer = request.client.host if request.client else ""
        return peer in {t.strip() for t in trusted.split(",")}


# A forwarded host or prefix goes into links as they are: refuse anything that could break out of
# an attribute or a URL (a proxy sends plain host[:port] and a path).
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_PREFIX = re.compile(r"(/[A-Za-z0-9._~\-]+)*")


def _first(value: str | None) -> str:
    """The first hop of a comma-separated forwarded header (the one nearest the client)."""
    return value.split(",")[0].strip() if value else ""
