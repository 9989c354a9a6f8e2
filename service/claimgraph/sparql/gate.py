"""The query gate: cheap, syntactic limits checked before any parser sees a query.

pyoxigraph cannot cancel a query, overflows its stack (and kills the
process) on a few thousand nested groups, spends minutes planning very long
property paths, and follows SERVICE/LOAD to any host. Everything that can
be decided from the tokens alone is decided here and answered 400/403/413.

The text that runs is the text received. It is read twice when it holds
\\u escapes: once as pyoxigraph reads it (escapes only inside strings and
IRIs) and once with the escapes applied first, as SPARQL 1.1 §19.2 says and
other engines do; both readings must pass. SERVICE/LOAD targets are found
the way the parser finds them, including its quirks: keywords need no space
after them (`SERVICE:x {}` and `SERVICE SILENT:x` both call `:x`), and
prefixes and BASE apply from where they are declared.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ..failure import Failure
from .lexer import (LexError, Token, TooManyTokens, decode_iri, decode_local, has_codepoint_escapes, tokenize,
                    unescape_codepoints)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 65536
    max_tokens: int = 20000
    max_depth: int = 48
    max_optional: int = 128
    max_union: int = 256
    max_logical: int = 512
    max_path_ops: int = 128
    max_path_closures: int = 16
    max_triple_blocks: int = 512


@dataclass
class GateError(Failure):
    """A query or update the gate refuses before anything runs it."""

    pos: int | None = None  # offset in the checked text of what the message is about


@dataclass
class Verdict:
    text: str  # the query to run, exactly as received
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE | UPDATE
    services: list[str] = field(default_factory=list)  # allow-listed SERVICE targets it calls
    loads: list[str] = field(default_factory=list)
    tokens: int = 0
    depth: int = 0
    form_at: int = -1  # where the form's keyword starts in `text` (sparql/parse_probe.py needs the ASK)
    # The tokens of the text as received, for later readers (sparql/bounded.py) not to lex it again.
    lexed: list[Token] | None = field(default=None, repr=False, compare=False)


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# After these, `pname {` names a graph, it is not a glued `SERVICE:x {`.
_GRAPH_NAMERS = ("GRAPH", "FROM", "NAMED", "WITH", "USING", "INTO")


def resolve(iri: str, base: str | None) -> str:
    if base is None or _SCHEME.match(iri):
        return iri
    return urljoin(base, iri)


def allowed(target: str, allowlist: tuple[str, ...]) -> bool:
    return any(target == a or (a.endswith("/") and target.startswith(a)) for a in allowlist)


# -- limits ---------------------------------------------------------------------

def _measure(tokens: list[Token], limits: Limits, note: str) -> int:
    if len(tokens) > limits.max_tokens:
        raise GateError(400, "query_too_complex",
                        f"query has {len(tokens)} tokens{note}; the limit is {limits.max_tokens}")
    depth = max_depth = 0
    counts = {"OPTIONAL": 0, "UNION": 0, "logical": 0, "path": 0, "closure": 0, "blocks": 0}
    prev: Token | None = None
    for t in tokens:
        if t.kind == "op" and t.text in "{([":
            depth += 1
            counts["blocks"] += t.text == "{"
            if depth > max_depth:
                max_depth = depth
                if depth > limits.max_depth:
                    raise GateError(400, "query_too_complex",
                                    f"query nests groups {depth} deep{note}; the limit is {limits.max_depth}")
        elif t.kind == "op" and t.text in "})]":
            depth = max(0, depth - 1)
        elif t.kind == "kw" and t.text in ("OPTIONAL", "UNION", "MINUS"):
            counts["UNION" if t.text == "UNION" else "OPTIONAL"] += 1
        elif t.kind == "op" and t.text in ("&&", "||"):
            counts["logical"] += 1
        elif t.kind == "op" and t.text in ("/", "|", "^"):
            counts["path"] += 1
        elif t.kind == "op" and t.text in ("*", "+") and prev is not None and (
            prev.kind in ("iri", "pname") or (prev.kind == "op" and prev.text == ")") or prev.text == "A"
        ):
            counts["closure"] += 1
        prev = t
    for key, limit, label in (
        ("OPTIONAL", limits.max_optional, "OPTIONAL/MINUS clauses"),
        ("UNION", limits.max_union, "UNION branches"),
        ("logical", limits.max_logical, "&&/|| operators"),
        ("path", limits.max_path_ops, "property-path operators"),
        ("closure", limits.max_path_closures, "property-path closures (* or +)"),
        ("blocks", limits.max_triple_blocks, "group patterns"),
    ):
        if counts[key] > limit:
            raise GateError(400, "query_too_complex", f"query has {counts[key]} {label}{note}; the limit is {limit}")
    return max_depth


# -- SERVICE / LOAD targets -------------------------------------------------------

def _glued(tok: Token, word: str) -> str | None:
    """'' if tok is the keyword itself, the rest if it starts with it (`SERVICE:x`), else None."""
    if tok.kind not in ("kw", "pname") or not tok.text.upper().startswith(word):
        return None
    return "" if tok.kind == "kw" and tok.text == word else tok.text[len(word):]


class _Remote:
    """Walks the tokens once, keeping PREFIX/BASE as declared so far."""

    def __init__(self, tokens: list[Token], allowlist: tuple[str, ...], note: str):
        self.tokens, self.allowlist, self.note = tokens, allowlist, note
        # Updates run in the server process and take their own, stricter list.
        self.setting = "CLAIMGRAPH_SERVICE_ALLOWLIST"
        self.prefixes: dict[str, str] = {}
        self.base: str | None = None
        self.services: list[str] = []
        self.loads: list[str] = []

    def tok(self, i: int) -> Token | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def _resolve(self, what: str, target: Token | str) -> str | None:
        """The endpoint a target denotes; None if the parser could not resolve it either."""
        if isinstance(target, Token):
            if target.kind == "var":
                raise GateError(403, f"{what.lower()}_refused",
                                f"{what} with a variable endpoint ({target.text}) is not allowed{self.note}")
            if target.kind == "iri":
                return resolve(decode_iri(target.text), self.base)
            if target.kind != "pname":
                return None
            target = target.text
        if ":" not in target:
            return None
        prefix, local = target.split(":", 1)
        if prefix not in self.prefixes:
            return None
        return self.prefixes[prefix] + decode_local(local)

    def _readings(self, rest: str, i: int) -> list[tuple[Token | str, int]]:
        """How the parser may read what follows a keyword: (target, index of the token after it).

        `rest` is what was glued to the keyword; SILENT may be glued too."""
        out: list[tuple[Token | str, int]] = []
        if rest == "":
            nxt = self.tok(i + 1)
            if nxt is None:
                return out
            if nxt.kind == "kw" and nxt.text == "SILENT":
                if self.tok(i + 2) is not None:
                    out.append((self.tokens[i + 2], i + 3))
                return out
            after_silent = _glued(nxt, "SILENT")
            if after_silent:
                out += [(r, i + 2) for r in ([after_silent] if ":" in after_silent else [])]
            out.append((nxt, i + 2))
            return out
        if rest.upper().startswith("SILENT"):
            more = rest[6:]
            if more == "" and self.tok(i + 1) is not None:
                out.append((self.tokens[i + 1], i + 2))
            elif ":" in more:
                out.append((more, i + 1))
        if ":" in rest:
            out.append((rest, i + 1))
        return out

    def _check(self, what: str, readings: list[tuple[Token | str, int]], sink: list[str]) -> None:
        found = False
        for target, _after in readings:
            iri = self._resolve(what, target)
            if iri is None:
                continue
            found = True
            if not allowed(iri, self.allowlist):
                raise GateError(403, f"{what.lower()}_refused",
                                f"{what} <{iri}> is not on the allow-list ({self.setting}){self.note}")
            sink.append(iri)
        if not found:
            shown = readings[0][0] if readings else None
            shown_text = shown.text if isinstance(shown, Token) else shown
            raise GateError(400, "malformed_query",
                            f"{what} must be followed by an IRI, a declared prefixed name or SILENT"
                            + (f"; got {shown_text!r}" if shown_text else "") + self.note)

    def run(self, update: bool) -> None:
        if update:
            self.setting = "CLAIMGRAPH_LOAD_ALLOWLIST"
        i = 0
        while i < len(self.tokens):
            t = self.tokens[i]
            nxt = self.tok(i + 1)
            if t.kind == "kw" and t.text == "PREFIX" and nxt is not None and nxt.kind == "pname" \
                    and nxt.text.endswith(":") and (iri := self.tok(i + 2)) is not None and iri.kind == "iri":
                self.prefixes[nxt.text[:-1]] = resolve(decode_iri(iri.text), self.base)
                i += 3
                continue
            if t.kind == "kw" and t.text == "BASE" and nxt is not None and nxt.kind == "iri":
                self.base = resolve(decode_iri(nxt.text), self.base)
                i += 2
                continue
            prev = self.tok(i - 1)
            rest = _glued(t, "SERVICE")
            if rest is not None:
                readings = self._readings(rest, i)
                if rest:
                    # Glued: only where the parser could take it as the keyword, i.e.
                    # its target is followed by a group and it is not a graph name.
                    readings = [(r, a) for r, a in readings
                                if (g := self.tok(a)) is not None and g.text == "{"]
                    if not readings or (prev is not None and prev.kind == "kw" and prev.text in _GRAPH_NAMERS):
                        i += 1
                        continue
                self._check("SERVICE", readings, self.services)
            rest = _glued(t, "LOAD") if update else None
            if rest is not None and (rest == "" or prev is None or prev.text == ";"
                                     or (prev.kind == "iri" and self._ends_prologue(i - 1))):
                self._check("LOAD", self._readings(rest, i), self.loads)
            i += 1

    def _ends_prologue(self, j: int) -> bool:
        before = self.tok(j - 1)
        before2 = self.tok(j - 2)
        return (before is not None and before.kind == "kw" and before.text == "BASE") or \
            (before2 is not None and before2.kind == "kw" and before2.text == "PREFIX")


def _form(tokens: list[Token], update: bool) -> str:
    if update:
        return "UPDATE"
    keywords = [t.text for t in tokens if t.kind == "kw"]
    form = next((k for k in keywords if k in QUERY_FORMS), "")
    if not form:
        if any(k in UPDATE_KEYWORDS for k in keywords):
            raise GateError(400, "update_in_query", "this is an update; send it as `update`, not `query`")
        for t in tokens:
            if t.kind == "kw":
                close = difflib.get_close_matches(t.text.upper(), QUERY_FORMS, n=1, cutoff=0.6)
                if close:
                    raise GateError(400, "malformed_query", f'no SELECT, ASK, CONSTRUCT or DESCRIBE in the query; '
                                    f'"{t.text}" is not a keyword: did you mean {close[0]}?', pos=t.pos)
        raise GateError(400, "malformed_query", "no SELECT, ASK, CONSTRUCT or DESCRIBE in the query")
    return form


def check(text: str, limits: Limits = Limits(), allowlist: tuple[str, ...] = (), update: bool = False) -> Verdict:
    """Measure `text` and find what it would call out to; raise GateError, or say what it is."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise GateError(413, "query_too_large", f"query is {size} bytes; the limit is {limits.max_bytes}")
    if "\x00" in text:
        raise GateError(400, "malformed_query", "query contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise GateError(400, "malformed_query", f"query contains a lone surrogate at character {exc.start}") from None
    readings = [(text, "")]
    try:
        if has_codepoint_escapes(text):
            spec = unescape_codepoints(text)  # also refuses \uD800-style escapes anywhere
            if spec != text:
                readings.append((spec, " (once \\u escapes are applied)"))
        verdict: Verdict | None = None
        for reading, note in readings:
            try:
                tokens = tokenize(reading, limits.max_tokens)
            except TooManyTokens:
                raise GateError(400, "query_too_complex",
                                f"query has more than {limits.max_tokens} tokens{note}; "
                                f"the limit is {limits.max_tokens}") from None
            depth = _measure(tokens, limits, note)
            remote = _Remote(tokens, allowlist, note)
            # A token's text is a slice of the reading (keywords take no escapes), so a reading
            # without the word anywhere has no SERVICE/LOAD to find: skip the walk (a third of the
            # gate's time on a typical query).
            upper = reading.upper()
            if "SERVICE" in upper or (update and "LOAD" in upper):
                remote.run(update)
            if verdict is None:
                form = _form(tokens, update)
                at = next((t.pos for t in tokens if t.kind == "kw" and t.text == form), -1)
                verdict = Verdict(text, form, remote.services, remote.loads, len(tokens), depth, at, tokens)
            else:
                verdict.services += [s for s in remote.services if s not in verdict.services]
                verdict.loads += [s for s in remote.loads if s not in verdict.loads]
                verdict.depth = max(verdict.depth, depth)
    except LexError as exc:
        raise GateError(400, "malformed_query", str(exc)) from None
    assert verdict is not None
    return verdict
