"""HTML pages from jinja2 templates (web/templates): simple, readable, every IRI a link.

Autoescaping is on for every template, so text from the graph (quotes, labels,
literals) can never become markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from ..api.rest.views import Addresses, compact, local_name
from ..namespaces import PREFIXES

TEMPLATES = Path(__file__).resolve().parent / "templates"

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """Split text at every span boundary: [(piece, css classes)], so nested marks (a hedge inside
    a quote) both show."""
    cuts = {0, len(text)}
    for b, e, _c in spans:
        cuts.update((max(0, min(b, len(text))), max(0, min(e, len(text)))))
    points = sorted(cuts)
    out = []
    for a, b in zip(points, points[1:]):
        classes = " ".join(dict.fromkeys(c for sb, se, c in spans if sb <= a and b <= se))
        out.append((text[a:b], classes))
    return out


def highlight(text: str, spans: list[tuple[int, int, str]]) -> Markup:
    parts = []
    for piece, classes in segments(text, spans):
        parts.append(Markup('<mark class="{}">{}</mark>').format(classes, piece) if classes else escape(piece))
    return Markup("").join(parts)


class Pages:
    """Renders pages for one deployment: knows how to turn an IRI into a link on this server."""

    def __init__(self, addr: Addresses):
        self.addr = addr
        self.env = _env.overlay()
        self.env.globals.update(link=self.link, compact=compact, local_name=local_name, highlight=highlight,
                                prefixes=PREFIXES, home=addr.local(addr.mint.dataset))

    def link(self, iri: str) -> str:
        """Where a browser should go for an IRI: our own page for ours, the IRI itself otherwise."""
        return self.addr.local(iri) or iri

    def render(self, template: str, status: int = 200, headers: dict[str, str] | None = None,
               **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers=headers)


__all__ = ["Pages", "highlight", "segments"]
