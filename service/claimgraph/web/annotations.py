"""An article's marks as W3C Web Annotations (JSON-LD): one annotation per claim and per mention.

Each targets the article's text node (the IRI the graph gives it) with a TextPositionSelector and
a TextQuoteSelector. Our texts never change, so the offsets never orphan; the quote selector lets a
tool that holds another copy of the text re-anchor anyway.
"""

from __future__ import annotations

from typing import Any

from ..api.context import AppContext

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def _target(source: str, span: dict[str, Any]) -> dict[str, Any]:
    return {"source": source, "selector": [
        {"type": "TextPositionSelector", "start": span["begin"], "end": span["end"]},
        {"type": "TextQuoteSelector", "exact": span.get("text", "")},
    ]}


def web_annotations(ctx: AppContext, slug: str, page: dict[str, Any], base_url: str) -> dict[str, Any]:
    content = (page["article"].get("content") or {}).get("id") or ctx.mint.context(slug)
    me = f"{base_url}/read/{slug}/annotations.jsonld"
    items: list[dict[str, Any]] = []
    for c in page["claims"]:
        q = c.get("quote") or {}
        if "begin" not in q:
            continue
        bodies: list[dict[str, Any]] = [{"type": "SpecificResource", "source": c["id"], "purpose": "identifying"},
                                        {"type": "TextualBody", "value": f"claim kind: {c.get('kind')}",
                                         "purpose": "classifying"},
                                        {"type": "TextualBody", "value": f"voice: {c['voice']}", "purpose": "classifying"}]
        if c.get("stance"):
            bodies.append({"type": "TextualBody", "value": f"stance: {c['stance']}", "purpose": "classifying"})
        if c.get("claimant"):
            bodies.append({"type": "SpecificResource", "source": c["claimant"]["id"], "purpose": "tagging"})
        items.append({"id": f"{me}#claim-{c['short']}", "type": "Annotation", "motivation": "classifying",
                      "body": bodies, "target": _target(content, q)})
    for m in page["mentions"]:
        if "begin" not in m or not m.get("entity"):
            continue
        items.append({"id": f"{me}#mention-{m['id'].rsplit('/', 1)[-1]}", "type": "Annotation",
                      "motivation": "identifying",
                      "body": {"type": "SpecificResource", "source": m["entity"]["id"], "purpose": "identifying"},
                      "target": _target(content, m)})
    return {"@context": ANNO_CONTEXT, "id": me, "type": "AnnotationCollection",
            "label": f"Claims and mentions in {page['article'].get('headline') or slug}", "total": len(items),
            "first": {"id": f"{me}#page-1", "type": "AnnotationPage", "items": items}}
