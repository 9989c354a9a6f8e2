"""Where the parts of a query text are, from its tokens (sparql/lexer.py): the brace that opens its
WHERE group, and its top-level LIMIT. Shared by the named-query loader (which binds parameters and
caps pages) and the remote backend's dialects (which bind variables and lower LIMITs)."""

from __future__ import annotations

from .lexer import Token

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def where_brace(tokens: list[Token]) -> int:
    """Offset of the `{` that opens the query's WHERE group: the first brace outside parentheses after
    the form's keyword, past a CONSTRUCT template."""
    i = next((i for i, t in enumerate(tokens) if t.kind == "kw" and t.text in FORMS), None)
    if i is None:
        raise ValueError("no SELECT, ASK, CONSTRUCT or DESCRIBE")
    if tokens[i].text == "CONSTRUCT" and i + 1 < len(tokens) and tokens[i + 1].text == "{":
        depth, i = 0, i + 1
        while i < len(tokens):  # skip the template
            depth += tokens[i].text == "{"
            depth -= tokens[i].text == "}"
            i += 1
            if depth == 0:
                break
    parens = 0
    for t in tokens[i:]:
        if t.kind == "op" and t.text == "(":
            parens += 1
        elif t.kind == "op" and t.text == ")":
            parens -= 1
        elif t.kind == "op" and t.text == "{" and parens == 0:
            return t.pos
    raise ValueError("no WHERE clause")


def top_limit(tokens: list[Token]) -> Token | None:
    """The number token of the last LIMIT outside every group (the query's own), or None."""
    depth, last = 0, None
    for i, t in enumerate(tokens):
        if t.kind == "op" and t.text == "{":
            depth += 1
        elif t.kind == "op" and t.text == "}":
            depth -= 1
        elif depth == 0 and t.kind == "kw" and t.text == "LIMIT" and i + 1 < len(tokens) and tokens[i + 1].kind == "num":
            last = tokens[i + 1]
    return last
