"""Queries that differ only in their IRIs share one shape: the gate's verdict and the inline plan.

Notebooks, dashboards and crawlers send one query template with a different
IRI each time (`SELECT ?p ?o WHERE { <X> ?p ?o }` for every X). Tokenizing,
gating and classifying such a query is most of what Python spends on it
(~45 µs of ~80 for a point lookup, ~170 µs for a 6-pattern join), and none
of it depends on which IRIs are in the holes. So the text is cut at its IRI
references (one C-speed regex split); the pieces between them are the
shape's key, and the shape keeps what was decided for the first query of
that shape: the form, token count and nesting depth the gate measured, and
the inline plan (sparql/cheap.py) with each constant pointing at a hole.

Why the verdict carries over (checked, not assumed, when a shape is kept):
the lexer (sparql/lexer.py) reads left to right, and what it makes of a
character depends on the text from there on and on the kinds of the
tokens before (an IRI token's text is never consulted). Looking ahead, a
token other than an IRI never reads into a hole: names, numbers and
operators stop at its `<`, and strings and comments stop at a quote or a
line end, which no hole holds. A shape is kept
only if each regex match in the first query was read as exactly one IRI
token at that place, and every IRI token was such a match. Another query
with the same pieces then lexes identically up to its first hole; there
the lexer is in the same state, so it takes the `<` as an IRI again, and
the IRI pattern stops at the same closing `>` the regex did (neither
admits `>` inside); after the hole the same again. So its tokens are the
first query's with other IRI texts, and every gate limit (tokens, depth,
operators; none reads an IRI's text) gives the same answer. What does
read IRI values is handled apart: SERVICE/LOAD targets (queries naming
SERVICE anywhere outside IRIs are never kept), the byte size and lone
surrogates (checked on every text), escapes (texts with a backslash are
never kept), relative IRIs (the plan refuses any hole without a scheme,
as classify does).

The plan is found once on a probe text, the query with hole k replaced by
`<urn:x-claimgraph-shape:k:>`, so that every constant of the plan says
which hole (and which local name after a PREFIX hole) it came from.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from . import cheap
from .gate import Limits, Verdict, check

# An IRI reference without escapes, quotes or whitespace: what lexer._IRI matches, minus `'`. No
# hole may hold a quote: whether a string before it closes, and where, is decided by the next quote
# on the line, which must therefore be in the text between the holes (a fuzz found this one).
_HOLE = re.compile(r"(<[^<>\"'{}|^`\\\x00-\x20]*>)")
_MARK = "urn:x-claimgraph-shape:"
MAX_TEXT = 4096
MAX_SHAPES = 4096


class _Unknown:
    """The plan was not looked for (the caller classifies the query itself)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

# A constant in a plan template: None (a literal), a fixed IRI (rdf:type from `a`), or
# (hole index, local name): the hole's IRI followed by the local name of a prefixed name.
_Slot = Any


class Shape(NamedTuple):
    form: str
    tokens: int
    depth: int
    plan: tuple[tuple[_Slot, str | None, _Slot, Any], ...] | None  # per pattern; None: not inline


class ShapeMemo:
    """The gate (and the inline classifier) for user queries, with shapes remembered."""

    def __init__(self, limits: Limits, allowlist: tuple[str, ...], max_patterns: int,
                 entries: int = MAX_SHAPES):
        self.limits, self.allowlist, self.max_patterns = limits, allowlist, max_patterns
        self.entries = entries
        self._shapes: dict[str, Shape] = {}
        self.reused = 0
        # The last answer: a query the protocol lane declines (serve/hitprotocol.py) is checked again
        # at once by the ASGI path; that second look is neither work nor a reuse worth counting.
        self._last: tuple[str, Verdict, Any] | None = None

    def check(self, text: str) -> tuple[Verdict, Any]:
        """gate.check's verdict on `text` (GateError as it raises them) and cheap.classify's plan
        for it: a Plan, None (not inline), or UNKNOWN when the caller must classify it."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1], last[2]
        if len(text) > MAX_TEXT or "\\" in text or "\x00" in text:
            return check(text, self.limits, self.allowlist), UNKNOWN
        found = self._check(text)
        self._last = (text, *found)
        return found

    def _check(self, text: str) -> tuple[Verdict, Any]:
        parts = _HOLE.split(text)
        key = "\x00".join(parts[0::2])  # unambiguous: the text holds no NUL
        shape = self._shapes.get(key)
        if shape is not None:
            try:
                size = len(text.encode("utf-8"))  # lone surrogates raise here
            except UnicodeEncodeError:
                size = -1
            if 0 <= size <= self.limits.max_bytes:
                self.reused += 1
                holes = parts[1::2]
                return Verdict(text, shape.form, [], [], shape.tokens, shape.depth), _instantiate(shape, holes)
            return check(text, self.limits, self.allowlist), UNKNOWN  # the gate words the error
        verdict = check(text, self.limits, self.allowlist)
        plan = cheap.classify(text, self.max_patterns, verdict.lexed)
        if not verdict.services and not verdict.loads and "SERVICE" not in key.upper():
            self._remember(key, parts, verdict)
        return verdict, plan

    def _remember(self, key: str, parts: list[str], verdict: Verdict) -> None:
        holes = parts[1::2]
        at, starts = 0, []
        for k, piece in enumerate(parts):
            if k % 2:
                starts.append(at)
            at += len(piece)
        iris = [(t.pos, t.text) for t in verdict.lexed or () if t.kind == "iri"]
        if iris != list(zip(starts, holes)):
            return  # an IRI-like run inside a string or comment, or a `<` read as less-than
        probe = "".join(piece if k % 2 == 0 else f"<{_MARK}{k // 2}:>" for k, piece in enumerate(parts))
        template = None
        probed = cheap.classify(probe, self.max_patterns)
        if probed is not None:
            template = _template(probed)
            if template is None:
                return
        if len(self._shapes) >= self.entries:
            self._shapes.clear()
        self._shapes[key] = Shape(verdict.form, verdict.tokens, verdict.depth, template)


def _slot(value: str | None) -> tuple[bool, _Slot]:
    if value is None or value == cheap.RDF_TYPE:
        return True, value
    if not value.startswith(_MARK):
        return False, None
    index, _, local = value[len(_MARK):].partition(":")
    return (True, (int(index), local)) if index.isdigit() else (False, None)


def _template(plan: cheap.Plan) -> tuple[tuple[_Slot, str | None, _Slot, Any], ...] | None:
    out = []
    for p in plan.patterns:
        ok_s, subject = _slot(p.subject)
        ok_p, predicate = _slot(p.predicate)
        if p.obj[0] == "const":
            ok_o, obj_slot = _slot(p.obj[1])
            obj: Any = ("const", obj_slot)
        else:
            ok_o, obj = True, p.obj
        if not (ok_s and ok_p and ok_o):
            return None
        out.append((subject, p.subject_var, predicate, obj))
    return tuple(out)


def _fill(slot: _Slot, iris: list[str]) -> str | None:
    if slot is None or isinstance(slot, str):
        return slot
    return iris[slot[0]] + slot[1]


def _instantiate(shape: Shape, holes: list[str]) -> cheap.Plan | None:
    if shape.plan is None:
        return None
    iris = [h[1:-1] for h in holes]
    if not all(":" in iri for iri in iris):
        return None  # a relative IRI: classify refuses those (the parser resolves them, in a worker)
    patterns = []
    for subject, subject_var, predicate, obj in shape.plan:
        if obj[0] == "const":
            obj = ("const", _fill(obj[1], iris))
        patterns.append(cheap.Pattern(_fill(subject, iris), subject_var, _fill(predicate, iris), obj))
    return cheap.Plan(tuple(patterns))
