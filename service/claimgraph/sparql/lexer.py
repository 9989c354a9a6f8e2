"""A small SPARQL tokenizer: enough to measure a query before anything parses it.

It must agree with the real parser (pyoxigraph 0.5.13) on what is a string,
an IRI or a comment, so that `{` inside a literal is not counted as nesting
and `SERVICE` inside a comment is not taken for the keyword -- and, above
all, so that no keyword the engine will act on hides inside what we took for
a literal. Three measured facts shape it:

* pyoxigraph does NOT apply \\uXXXX escapes before parsing (SPARQL 1.1
  §19.2 says a parser should); it honours them only inside strings and IRIs.
  We tokenize the text as it does; the gate separately checks the unescaped
  text, for engines that follow the spec.
* `<` is an IRI or the less-than operator depending on grammar position:
  `FILTER(?s<')> ') SERVICE <x> {}` is a comparison with a string, then a
  SERVICE call. So the tokenizer tracks just enough context (which
  brackets are expressions) to decide as the parser does.
* Prefixed names may contain escapes (`ex:a\\#b`); a lexer that stops at
  the backslash would read `#b` as the start of a comment.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_HEX = set("0123456789abcdefABCDEF")


class LexError(ValueError):
    pass


def has_codepoint_escapes(text: str) -> bool:
    return "\\u" in text or "\\U" in text


def unescape_codepoints(text: str) -> str:
    """Apply \\uXXXX / \\UXXXXXXXX escapes the way SPARQL 1.1 §19.2 (and
    spargebra's optional pre-pass) does: a backslash consumes the character
    after it, so `\\\\u0041` stays as written. Lone surrogates and values past
    U+10FFFF are refused rather than passed through."""
    if not has_codepoint_escapes(text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("\\", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        c = text[j + 1:j + 2]
        if c in ("u", "U"):
            width = 4 if c == "u" else 8
            digits = text[j + 2:j + 2 + width]
            if len(digits) == width and all(d in _HEX for d in digits):
                value = int(digits, 16)
                if 0xD800 <= value <= 0xDFFF:
                    raise LexError(f"codepoint escape \\{c}{digits} is a lone surrogate")
                if value > 0x10FFFF:
                    raise LexError(f"codepoint escape \\{c}{digits} is out of range")
                out.append(chr(value))
            else:
                out.append(text[j:j + 2 + len(digits)])
            i = j + 2 + len(digits)
            continue
        out.append(text[j:j + 2])
        i = j + 2
    return "".join(out)


class Token(NamedTuple):
    # A tuple, not a frozen dataclass: tokens are made on every query, and a
    # frozen dataclass costs about 1 µs more to construct.
    kind: str  # kw | var | iri | pname | bnode | str | num | lang | op | punct
    text: str
    pos: int


_NAME = "A-Za-z0-9_\u00B7\u00C0-\U0010FFFF"  # a superset of PN_CHARS: extra chars only make the parser fail
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_WS = re.compile(r"[ \t\r\n]+")
_COMMENT = re.compile(r"#[^\r\n]*")
_IRI = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
_STR = re.compile(
    r"'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\""
)
_VAR = re.compile(rf"[?$][{_NAME}]+")
_BNODE = re.compile(rf"_:[{_NAME}](?:[{_NAME}.\-]*[{_NAME}\-])?")
_NUM = re.compile(r"[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+")
_PNAME = re.compile(
    rf"(?:[A-Za-z\u00C0-\U0010FFFF](?:[{_NAME}.\-]*[{_NAME}\-])?)?:"
    rf"(?:(?:[{_NAME}:]|{_PLX})(?:(?:[{_NAME}.:\-]|{_PLX})*(?:[{_NAME}:\-]|{_PLX}))?)?"
)
_LANG = re.compile(r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*")
_KW = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OP = re.compile(r"\|\||&&|!=|<=|>=|\^\^|[{}()\[\];,.*+/|^!=<>?@-]")

# Tokens after which, inside an expression, `<` can only be the operator.
_OPERAND_KINDS = ("var", "num", "str", "iri", "pname", "bnode", "lang")
_OPERAND_KWS = ("TRUE", "FALSE")
# Keywords after which `(` does NOT open an expression.
_NON_EXPR_KWS = ("A", "VALUES")
# Solution-modifier and projection keywords: `(` after them (or after a var
# in their clause, `SELECT ?x (COUNT(*) AS ?n)`) opens an expression.
_CLAUSE_KWS = ("SELECT", "GROUP", "ORDER", "HAVING")
_CLAUSE_END_KWS = ("WHERE", "LIMIT", "OFFSET", "VALUES", "FROM")


class _Context:
    """Which brackets are open and what they are: E(xpression), C(ollection or
    path group), V(ALUES data), or braces; plus whether a SELECT / modifier
    clause is open at the current brace depth."""

    __slots__ = ("stack", "braces", "clause_depth", "values_pending")

    def __init__(self) -> None:
        self.stack: list[str] = []  # "{", "{V", "[", "(E", "(C", "(V"
        self.braces = 0  # braces among them, kept as they open and close (read on every keyword)
        self.clause_depth: int | None = None
        self.values_pending = False

    @property
    def top(self) -> str | None:
        return self.stack[-1] if self.stack else None

    def in_expression(self) -> bool:
        return self.top == "(E"

    def open_paren(self, prev: Token | None, prev2: Token | None) -> str:
        top = self.top
        if top == "(E":
            return "(E"
        if top in ("{V", "(V") or (prev is not None and prev.kind == "kw" and prev.text == "VALUES"):
            return "(V"
        if self.clause_depth == self.braces or top is None:
            return "(E"  # SELECT (...), GROUP BY (...), HAVING (...), ORDER BY ASC(...)
        if prev is not None and prev.kind == "kw" and prev.text not in _NON_EXPR_KWS:
            return "(E"  # FILTER(, BIND(, STR(, IN (, EXISTS...
        if prev is not None and prev.kind in ("iri", "pname") and prev2 is not None \
                and prev2.kind == "kw" and prev2.text == "FILTER":
            return "(E"  # FILTER ex:fn(...)
        return "(C"  # a collection or a property-path group inside a triple pattern

    def feed(self, tok: Token, prev: Token | None, prev2: Token | None) -> None:
        if tok.kind == "kw":
            if tok.text in _CLAUSE_KWS:
                self.clause_depth = self.braces
            elif tok.text in _CLAUSE_END_KWS and self.clause_depth == self.braces:
                self.clause_depth = None
            if tok.text == "VALUES":
                self.values_pending = True
            return
        if tok.kind != "op":
            return
        t = tok.text
        if t == "{":
            if self.clause_depth == self.braces:
                self.clause_depth = None  # `SELECT * {` ends the projection
            self.stack.append("{V" if self.values_pending else "{")
            self.braces += 1
            self.values_pending = False
        elif t == "(":
            self.stack.append(self.open_paren(prev, prev2))
        elif t == "[":
            self.stack.append("[")
        elif t in ")]}":
            want = {")": "(", "]": "[", "}": "{"}[t]
            # Pop to the matching opener; unbalanced input is the parser's to reject.
            stack = self.stack
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == want:
                    self.braces -= sum(1 for opened in stack[k:] if opened[0] == "{")
                    del stack[k:]
                    break
            if t == "}" and self.clause_depth is not None and self.clause_depth > self.braces:
                self.clause_depth = None


def _is_operand(tok: Token | None) -> bool:
    if tok is None:
        return False
    if tok.kind in _OPERAND_KINDS:
        return True
    if tok.kind == "op" and tok.text in (")", "]"):
        return True
    return tok.kind == "kw" and tok.text in _OPERAND_KWS


class TooManyTokens(LexError):
    pass


_FEEDS = frozenset("{}()[]")


# The pattern a token starting with this character is read by, where the character decides it.
_BY_FIRST: dict[str, tuple[re.Pattern[str], str]] = {
    **{q: (_STR, "str") for q in "'\""}, "?": (_VAR, "var"), "$": (_VAR, "var"), "@": (_LANG, "lang"),
    **{d: (_NUM, "num") for d in "0123456789"},
}
_make = tuple.__new__  # a Token without NamedTuple's Python-level constructor (~0.3 µs a token)


def tokenize(text: str, limit: int | None = None) -> list[Token]:
    """Tokens of `text` as pyoxigraph 0.5.13 reads them; whitespace and comments dropped.

    Stops with TooManyTokens past `limit`: the gate runs on the event loop
    and a 64 KB query of one-character tokens must not cost it more than
    the limit's worth of work."""
    out: list[Token] = []
    append = out.append
    ctx = _Context()
    ws, comment, op = _WS.match, _COMMENT.match, _OP.match
    by_first = _BY_FIRST
    pos, n = 0, len(text)
    cap = limit if limit is not None else n + 1
    prev: Token | None = None
    prev2: Token | None = None
    while pos < n:
        c = text[pos]
        if c in " \t\r\n":
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            continue
        if c == "#":
            pos = comment(text, pos).end()  # type: ignore[union-attr]
            continue
        kind, m = "", None
        first = by_first.get(c)
        if first is not None:
            m = first[0].match(text, pos)
            kind = first[1]
        elif c == "<":
            if not (ctx.stack and ctx.stack[-1] == "(E" and _is_operand(prev)):
                m, kind = _IRI.match(text, pos), "iri"
            else:
                # In an expression after an operand the parser expects an operator.
                ambiguous = _IRI.match(text, pos)
                if ambiguous and any(ch in ambiguous.group() for ch in "'#"):
                    raise LexError(f"`<` at character {pos} could be an IRI or less-than; "
                                   "put spaces around comparison operators")
        elif c == "_" and text.startswith("_:", pos):
            m, kind = _BNODE.match(text, pos), "bnode"
        elif c.isdigit() or (c == "." and pos + 1 < n and text[pos + 1].isdigit()):
            m, kind = _NUM.match(text, pos), "num"
        if m is None and (c.isalpha() or c == ":" or c == "_" or ord(c) >= 0xC0):
            m, kind = _PNAME.match(text, pos), "pname"
            if m is None:
                m, kind = _KW.match(text, pos), "kw"
        if m is None:
            m, kind = op(text, pos), "op"
        if m is None:
            # Unknown character: leave the verdict to the real parser, keep measuring.
            tok = _make(Token, ("punct", c, pos))
            pos += 1
        else:
            value = m.group()
            if kind == "kw":
                value = value.upper()
            tok = _make(Token, (kind, value, pos))
            pos = m.end()
            if kind == "kw" or (kind == "op" and value in _FEEDS):
                ctx.feed(tok, prev, prev2)
        append(tok)
        if len(out) > cap:
            raise TooManyTokens(f"query has more than {limit} tokens; the limit is {limit}")
        prev2, prev = prev, tok
    return out


def decode_iri(token_text: str) -> str:
    """The IRI an IRIREF token denotes: brackets stripped, \\u escapes applied."""
    return unescape_codepoints(token_text[1:-1])


def decode_local(local: str) -> str:
    """A prefixed name's local part with its backslash escapes removed (\\# -> #)."""
    return re.sub(r"\\(.)", r"\1", local)
