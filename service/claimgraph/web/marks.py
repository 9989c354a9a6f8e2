"""The article's verbatim text with every claim, hedge and mention marked, as server-rendered HTML.

Spans nest (a claim inside a claim, a mention inside a quote) and may cross. HTML elements can
only nest, so the text is cut at every span boundary and, at each cut, the open elements are
closed down to the deepest one still wanted and the missing ones opened again: a crossing span
becomes several pieces that share its data-claim, and no mark ever hides another. Every piece
carries what the filters need (kind, voice, stance, hedged, related entities) as classes and data
attributes, so a filter changes marks and never the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from markupsafe import Markup, escape

from .data import short_entity


@dataclass
class Span:
    begin: int
    end: int
    order: int                   # tie-break: a claim opens outside the mentions and hedges it holds
    opener: Callable[[bool], Markup]  # the opening tag; True for the first piece
    tag: str
    key: str = field(default="")


def _claim_span(c: dict[str, Any], on: bool) -> Span | None:
    q = c.get("quote") or {}
    if "begin" not in q or "end" not in q:
        return None
    classes = ["claim", f"k-{c.get('kind') or 'unknown'}", f"v-{c['voice']}"]
    if c.get("hedged"):
        classes.append("hedged")
    if not on:
        classes.append("off")
    short = c["short"]
    topics = " ".join(short_entity(t["id"]) for t in c.get("topics") or [] if short_entity(t["id"]))
    attrs = Markup(' class="{}" data-claim="{}" data-kind="{}" data-voice="{}" data-stance="{}" data-hedged="{}" '
                   'data-entities="{}" data-topics="{}"').format(
        " ".join(classes), short, c.get("kind") or "", c["voice"], " ".join(c["stance_words"]),
        "yes" if c.get("hedged") else "no", " ".join(filter(None, (short_entity(i) for i in c["related"]))), topics)
    voice = "reported" if c["voice"] == "reported" else "author's own voice"
    label = f"claim {short}: {c.get('kind') or ''}, {voice}"

    def opener(first: bool) -> Markup:
        if not first:
            return Markup("<mark{}>").format(attrs)
        return Markup('<mark{} id="m-{}"><a class="cid" href="?claim={}#claim-{}" aria-label="{}">{}</a>').format(
            attrs, short, short, short, label, short)
    return Span(q["begin"], q["end"], 0, opener, "mark", key=short)


def _mention_span(m: dict[str, Any], dim: bool) -> Span | None:
    if "begin" not in m or "end" not in m:
        return None
    ent = m.get("entity") or {}
    rid = short_entity(ent.get("id", ""))
    cls = "mention off" if dim else "mention"
    tag = Markup('<span class="{}" data-entity="{}" title="{}"').format(cls, rid, ent.get("label") or rid)
    # The first piece carries the mention's own id, so #mention-<id> is a stable deep link to it.
    anchor = Markup(' id="mention-{}">').format(str(m.get("id", "")).rsplit("/", 1)[-1])
    return Span(m["begin"], m["end"], 2, lambda first: tag + (anchor if first and m.get("id") else Markup(">")), "span")


def _hedge_span(h: dict[str, Any]) -> Span | None:
    if "begin" not in h or "end" not in h:
        return None
    tag = Markup('<span class="hedge" title="hedge: {}">').format(h.get("text") or "")
    return Span(h["begin"], h["end"], 1, lambda _first: tag, "span")


def spans_of(claims: list[dict[str, Any]], mentions: list[dict[str, Any]], on: set[str],
             entity: str | None) -> list[Span]:
    out: list[Span | None] = [_claim_span(c, c["short"] in on) for c in claims]
    seen: set[tuple[int, int]] = set()
    for c in claims:
        for h in c["hedges"]:
            if (h.get("begin"), h.get("end")) not in seen:
                seen.add((h.get("begin"), h.get("end")))
                out.append(_hedge_span(h))
    for m in mentions:
        out.append(_mention_span(m, bool(entity) and short_entity((m.get("entity") or {}).get("id", "")) != entity))
    return [s for s in out if s is not None and s.begin < s.end]


def render(text: str, spans: list[Span]) -> Markup:
    """The text as HTML with the spans as properly nested elements (crossing spans split)."""
    n = len(text)
    spans = [s for s in spans if 0 <= s.begin < s.end <= n]
    cuts = sorted({0, n, *(s.begin for s in spans), *(s.end for s in spans)})
    # Outer (longer) spans open first so they stay outside; equal spans keep claim > hedge > mention.
    ordered = sorted(spans, key=lambda s: (s.begin, -s.end, s.order))
    rank = {id(s): i for i, s in enumerate(ordered)}
    started: set[int] = set()
    stack: list[Span] = []
    out: list[Markup] = []
    for a, b in zip(cuts, cuts[1:]):
        wanted = [s for s in ordered if s.begin <= a and b <= s.end]
        wanted_ids = {id(s) for s in wanted}
        keep = 0
        while keep < len(stack) and id(stack[keep]) in wanted_ids:
            keep += 1
        for s in reversed(stack[keep:]):
            out.append(Markup(f"</{s.tag}>"))
        del stack[keep:]
        on_stack = {id(s) for s in stack}
        for s in sorted((s for s in wanted if id(s) not in on_stack), key=lambda s: rank[id(s)]):
            out.append(s.opener(id(s) not in started))
            started.add(id(s))
            stack.append(s)
        out.append(escape(text[a:b]))
    for s in reversed(stack):
        out.append(Markup(f"</{s.tag}>"))
    return Markup("").join(out)


def matches(c: dict[str, Any], f: dict[str, str]) -> bool:
    """Whether a claim passes the reader's filters (every given filter must hold)."""
    if f.get("entity") and f["entity"] not in {short_entity(i) for i in c["related"]}:
        return False
    if f.get("topic") and f["topic"] not in {short_entity(t["id"]) for t in c.get("topics") or []}:
        return False
    if f.get("kind") and c.get("kind") != f["kind"]:
        return False
    if f.get("stance") and f["stance"] not in c["stance_words"]:
        return False
    if f.get("voice") and c["voice"] != f["voice"]:
        return False
    if f.get("hedged") and ("yes" if c.get("hedged") else "no") != f["hedged"]:
        return False
    return True


__all__ = ["render", "spans_of", "matches", "Span"]
