"""One route per HTTP method, so that each operation in /openapi.json has its own operationId.

FastAPI names an operation after its route, so a route that takes GET and HEAD (or GET and POST)
gives both the same operationId and warns at start-up; clients generated from the document then
lose one of them. The first method keeps the plain name (what url_for and the tests use)."""

from __future__ import annotations

from typing import Any, Callable


def add_route(target: Any, path: str, handler: Callable[..., Any], methods: list[str], name: str,
              **options: Any) -> None:
    """`target.add_api_route` once per method, each with the operationId `<name>_<method>`."""
    for i, method in enumerate(methods):
        target.add_api_route(path, handler, methods=[method], name=name if i == 0 else f"{name}_{method.lower()}",
                             operation_id=f"{name}_{method.lower()}", **options)
