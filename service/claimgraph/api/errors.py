"""The one error shape every route answers with.

    {"ok": false, "error": {"status": 400, "code": "syntax_error",
                            "message": "...", "parameter": "query"}}

No stack trace ever reaches a client; unexpected failures are logged here
and answered 500 with a reference the operator can grep for.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from ..failure import Failure

log = logging.getLogger("claimgraph.http")


class ApiError(Failure):
    """A request the HTTP layer refuses, with any headers the answer needs (Allow, WWW-Authenticate)."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(status, code, message, parameter)
        self.headers = headers or {}

    def http_headers(self) -> dict[str, str]:
        return {**super().http_headers(), **self.headers}


def error_body(status: int, code: str, message: str, parameter: str | None = None, **extra: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"status": status, "code": code, "message": message}
    if parameter:
        err["parameter"] = parameter
    err.update(extra)
    return {"ok": False, "error": err}


def error_response(status: int, code: str, message: str, parameter: str | None = None,
                   headers: dict[str, str] | None = None, head: bool = False, **extra: Any) -> Response:
    if head:
        return Response(status_code=status, headers=headers or {})
    return JSONResponse(error_body(status, code, message, parameter, **extra), status_code=status, headers=headers)


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          422: "invalid_parameter", 429: "too_many_requests", 503: "unavailable"}


def _allowed(request: Request) -> str:
    """Every method some route takes at this path: each method is a route of its own (routing.py),
    so the one route Starlette found names only its own."""
    methods: list[str] = []
    for route in request.app.router.routes:
        if route.matches(request.scope)[0] != Match.NONE:
            methods += [m for m in sorted(getattr(route, "methods", None) or ()) if m not in methods]
    return ", ".join(methods)


async def respond(request: Request, exc: Exception) -> Response:
    """The response the app's exception handlers give for `exc`, for an ASGI app mounted beside
    the routes (api/sparql.py): the same bodies, headers and logging as any route's errors."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            return await handler(request, exc)
    raise exc  # unreachable: install() registers a handler for Exception


def install(app: FastAPI) -> None:
    @app.exception_handler(Failure)
    async def _failure(request: Request, exc: Failure) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.parameter, exc.http_headers() or None,
                              head=request.method == "HEAD")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
        parameter = ".".join(loc) or None
        message = f"{parameter}: {first.get('msg', 'invalid value')}" if parameter else first.get("msg", "invalid request")
        details = [{"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg")} for e in errors]
        return error_response(422, "invalid_parameter", message, parameter, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
            headers = {**(headers or {}), "Allow": _allowed(request)}
        return error_response(exc.status_code, code, message, headers=headers, head=request.method == "HEAD")

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left mid-body: no one to answer, nothing went wrong here. One line, no traceback.
        log.info("client disconnected before sending its whole request: %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        ref = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", ref, request.method, request.url.path)
        return error_response(500, "internal_error", f"internal error (reference {ref}); the operator's log has details")
