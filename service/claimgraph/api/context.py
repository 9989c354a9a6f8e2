"""What every route needs: settings, the SPARQL engine, the writer, IRIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

    @property
    def updates_enabled(self) -> bool:
        return bool(self.settings.update_token)

    def public_url(self, request: Request | None = None) -> str:
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        if request is not None:
            return str(request.base_url).rstrip("/")
        return self.settings.url
