"""The one base of every error the service answers a client with: status, code, message, parameter.

The gate's refusals (sparql/gate.py), the worker pool's (sparql/pool.py), the engine's
(sparql/engine.py) and the HTTP layer's (api/errors.py) are all Failures, and api/errors.py
answers each with the same JSON body: {"ok": false, "error": {status, code, message, parameter}}.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Failure(Exception):
    status: int
    code: str
    message: str
    parameter: str | None = None  # the request parameter or header at fault, if one is
    retry_after: int | None = None  # seconds, for 503s: sent as Retry-After

    def __str__(self) -> str:
        return self.message

    def http_headers(self) -> dict[str, str]:
        """Response headers this failure calls for."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}
