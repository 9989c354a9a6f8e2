"""A small SPARQL tokenizer: enough to measure a query before anything parses it.

It must agree with the real parser on what is a string, an IRI or a comment,
so that `{` inside a literal is not counted as nesting and `SERVICE` inside
a comment is not taken for the keyword. Codepoint escapes (\\uXXXX) are
applied first, as SPARQL 1.1 §19.2 says a parser must.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class LexError(ValueError):
    pass


def unescape_codepoints(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        value = int(m.group(1) or m.group(2), 16)
        if value > 0x10FFFF:
            raise LexError(f"codepoint escape {m.group(0)} is out of range")
        if 0xD800 <= value <= 0xDFFF:
            raise LexError(f"codepoint escape {m.group(0)} is a lone surrogate")
        return chr(value)

    return _ESCAPE.sub(repl, text)


@dataclass(frozen=True)
class Token:
    kind: str  # kw | var | iri | pname | str | num | punct | op
    text: str
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<str>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\U0010FFFF]+)
  | (?P<num>[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?))
  | (?P<pname>(?:[A-Za-z\u00C0-\U0010FFFF][\w.\-\u00B7-\U0010FFFF]*)?:(?:[\w\-.:%\\\u00B7-\U0010FFFF]*[\w\-:%\u00B7-\U0010FFFF])?)
  | (?P<kw>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\|\||&&|!=|<=|>=|\^\^|[{}()\[\];,.*+/|^!=<>?@-])
  """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            # Unknown character: leave the verdict to the real parser, keep measuring.
            out.append(Token("punct", text[pos], pos))
            pos += 1
            continue
        kind = m.lastgroup or "punct"
        if kind not in ("ws", "comment"):
            if kind == "kw":
                out.append(Token("kw", m.group().upper(), pos))
            else:
                out.append(Token(kind, m.group(), pos))
        pos = m.end()
    return out
