"""A parser's syntax error, said in words for the person who typed the query.

Oxigraph reports `error at L:C: expected one of <alternatives>`, where the alternatives are its
grammar's internals (character classes, rule names). This keeps the position, names what was
found there, and says what would fit: an unknown prefix by name with the line to declare it, a
misspelt keyword with its spelling, an unclosed string, IRI or brace, and otherwise the keywords
and punctuation the parser could take.
"""

from __future__ import annotations

import difflib
import re

from .prefixes import PREDECLARED

_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
KEYWORDS = (
    "SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED PREFIX BASE DISTINCT REDUCED OPTIONAL UNION MINUS GRAPH "
    "SERVICE SILENT FILTER BIND VALUES GROUP BY HAVING ORDER ASC DESC LIMIT OFFSET AS EXISTS NOT IN UNDEF "
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR INSERT DELETE DATA WITH USING DEFAULT ALL LOAD "
    "CLEAR DROP CREATE ADD MOVE COPY INTO TO STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS "
    "CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE "
    "STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 "
    "SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR "
    "REPLACE LATERAL"
).split()


def explain(text: str, message: str, shift: int = 0) -> str:
    """`message` (the parser's, about `text`) in words; `shift` lines were added before the
    user's text (predeclared prefixes), so positions are moved back by that much."""
    m = _AT.match(message)
    if not m:
        return message
    line, col, rest = int(m.group(1)) - shift, int(m.group(2)), m.group(3)
    lines = text.split("\n")
    if shift:
        lines = lines[shift:]
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    where = f"line {line}, column {col}"
    if "Prefix not found" in rest:
        return _unknown_prefix(here, line, col)
    # The parser does not always say so (a prefixed name as a predicate fails as "expected
    # OPTIONAL" further on): a prefix used before the error that nothing declares is the cause.
    undeclared = _undeclared_prefix("\n".join(lines), line, col)
    if undeclared is not None:
        return _unknown_prefix(lines[undeclared[0] - 1], undeclared[0], undeclared[1])
    found, start = _found(here, col)
    at_end = not here[col - 1:].strip() and not "".join(lines[line:]).strip()
    before = "\n".join(lines[: line - 1] + [here[:start] + found])
    words = _expected(rest)
    hint = _hint(text, before, rest)
    shown = " at the end of the query" if at_end else f' at "{found}"' if found else ""
    sentence = _sentence_in(rest)
    if sentence:
        return f"{_sentence(sentence)} ({where})" + (f"; {hint}" if hint else "")
    out = f"syntax error at {where}{shown}"
    if hint:
        out += f": {hint}"
    if words:
        out += ("; " if hint else ": ") + "expected " + _join(words)
    return out


def located(message: str, text: str, pos: int | None, shift: int = 0) -> str:
    """`message` about offset `pos` of `text`, with that place as the user's line and column."""
    if pos is None or not 0 <= pos <= len(text):
        return message
    line = text.count("\n", 0, pos) + 1 - shift
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{message} (line {line}, column {col})"


def _unknown_prefix(here: str, line: int, col: int) -> str:
    # The parser stops just after the prefixed name: find where it starts.
    before = here[: col - 1]
    m = re.search(r"([A-Za-z][\w.-]*)?:[\w.%:\\-]*$", before)
    name = (m.group(1) or "") if m else ""
    start = (m.start() + 1) if m else col
    declare = f"<{PREDECLARED[name]}>" if name in PREDECLARED else "<…>"
    out = f'unknown prefix "{name}:" at line {line}, column {start}; declare it with PREFIX {name}: {declare}'
    close = difflib.get_close_matches(name, list(PREDECLARED), n=1, cutoff=0.6)
    if close and close[0] != name:
        out += f', or use "{close[0]}:" (predeclared)'
    return out


_PREFIX_DECL = re.compile(r"\bPREFIX\s+((?:[A-Za-z][\w.-]*)?):", re.I)
_PREFIXED_NAME = re.compile(r"(?<![\w?$:.-])((?:[A-Za-z][\w.-]*)?):")


def _undeclared_prefix(text: str, line: int, col: int) -> tuple[int, int] | None:
    """(line, column just after the name) of the first prefixed name at or before line:col whose
    prefix neither the query nor the service declares."""
    masked = _mask(text)
    declared = set(PREDECLARED) | {m.group(1) for m in _PREFIX_DECL.finditer(masked)}
    starts = [0]
    for i, ch in enumerate(masked):
        if ch == "\n":
            starts.append(i + 1)
    limit = starts[line - 1] + col if 0 < line <= len(starts) else len(masked)
    for m in _PREFIXED_NAME.finditer(masked):
        if m.start() > limit:
            break
        if m.group(1) in declared:
            continue
        end = m.end()
        while end < len(masked) and (masked[end].isalnum() or masked[end] in "_.-%\\:"):
            end += 1
        at = masked.rfind("\n", 0, m.start()) + 1
        return masked.count("\n", 0, m.start()) + 1, end - at + 1
    return None


def _mask(text: str) -> str:
    """`text` with strings, IRIs and comments blanked out, every position kept."""
    return _MASKED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


# Strings, IRIs and comments (_strip replaces them, _mask blanks them out)...
_LITERALS = (r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>'
             r'|#[^\n]*')
_LITERAL = re.compile(_LITERALS)
# ...and, for _mask, so that their insides are not read as names either, a string left open to the
# end of its line and an IRI with a scheme left open.
_MASKED = re.compile(_LITERALS + r'|"(?:[^"\\\n]|\\.)*|\'(?:[^\'\\\n]|\\.)*|<[A-Za-z][\w+.-]*:[^<>\s]*')


def _found(here: str, col: int) -> tuple[str, int]:
    """The word or character at the error position (the whole word when it points inside one),
    and where it starts in the line."""
    i = min(col - 1, len(here))
    while 0 < i < len(here) and re.match(r"\w", here[i - 1]) and re.match(r"\w", here[i]):
        i -= 1
    m = re.match(r"\s*([A-Za-z_][\w-]*|\S)", here[i:])
    return (m.group(1), i + m.start(1)) if m else ("", i)


def _sentence_in(rest: str) -> str | None:
    """An alternative that is a message of its own rather than a token ("The SELECT contains …")."""
    m = re.search(r"(?:^expected (?:one of )?|, )([A-Z][a-z]+(?: [\w-]+){3,})", rest)
    return m.group(1) if m and "Prefix not found" not in m.group(1) else None


def _expected(rest: str) -> list[str]:
    """The parser's alternatives that mean something to a person, in its order."""
    body = re.sub(r"^expected (one of )?", "", rest.strip())
    items: list[str] = []
    depth, cur = 0, ""
    for ch in body:   # split on commas outside [...] character classes
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur.strip())
    out: list[str] = []
    for item in items:
        if item.startswith("["):
            word = "a name" if "'A' ..= 'Z'" in item else "a number" if "'0'" in item else ""
        elif item.startswith('"') and item.endswith('"'):
            word = f'"{item[1:-1]}"' if item not in ('"\\\\"', '"\\\\U"', '"\\\\u"') else ""
        else:
            word = item
        word = _TOKEN_WORDS.get(word, word)
        if word and word != '""' and word not in out:
            out.append(word)
    if {"a variable", "an IRI", "a prefixed name"} <= set(out) and len(out) > 6:
        return ["a term (a variable, an IRI, a prefixed name or a literal)"] + \
            [w for w in out if w in ('"."', '"}"', '";"')]
    functions = [w for w in out if w in KEYWORDS and w not in ("NOT", "EXISTS")]
    if len(functions) >= 4:   # the start of an expression: the parser lists the functions it knows
        return ["an expression (a variable, a value or a function call)"]
    return out


_BARE = re.compile(r"(?<![\w?$:@.<-])([A-Za-z_]\w*)(?![\w:(-])")


_TOKEN_WORDS = {'"?"': "a variable", '"$"': "a variable", '"<"': "an IRI", '":"': "a prefixed name",
                "a name": "a prefixed name"}


def _hint(text: str, before: str, rest: str) -> str:
    if re.match(r'expected one of ("\\""|"\'")(, "[^"]*")*, \[_\]$', rest):   # only what continues a string
        return "a string is not closed"
    if rest.startswith('expected one of ">"') or rest == 'expected ">"':
        return "an IRI is not closed with >"
    # Outside strings, IRIs, variables and prefixed names a bare word is a keyword (or a, true,
    # false); the last one before the error that is not, and is spelt like one, is the likely slip.
    for word in reversed(_BARE.findall(_strip(before))):
        if word.upper() in KEYWORDS or word in ("a", "true", "false"):
            continue
        close = difflib.get_close_matches(word.upper(), KEYWORDS, n=1, cutoff=0.75)
        if close:
            return f'"{word}" is not a keyword; did you mean {close[0]}?'
        break
    short = _short_pattern(before)
    if short:
        return short
    clean = _strip(text)
    for open_, close_ in (("(", ")"), ("{", "}"), ("[", "]")):
        opened = clean.count(open_) - clean.count(close_)
        if opened > 0:
            return f"{opened} unclosed {open_}" if opened > 1 else f"a {open_} is not closed"
    return ""


def _short_pattern(before: str) -> str:
    """A triple pattern cut short (`{ ?s ?p }`): the parser only lists what could extend it."""
    clean = _strip(before).rstrip()
    if not clean.endswith("}"):
        return ""
    body = clean[:-1]
    last = max(body.rfind("{"), body.rfind("."), body.rfind(";"))
    terms = body[last + 1:].split()
    if 0 < len(terms) < (2 if body[last:last + 1] == ";" else 3) and \
            not any(t.upper() in KEYWORDS or "(" in t for t in terms):
        n = len(terms) + (1 if body[last:last + 1] == ";" else 0)
        return f"a triple pattern needs a subject, a predicate and an object; this one stops after {n} term(s)"
    return ""


def _strip(text: str) -> str:
    """`text` with each string and IRI as one placeholder term ("_") and without comments."""
    return _LITERAL.sub(lambda m: " " if m.group(0).startswith("#") else " _ ", text)




def _sentence(s: str) -> str:
    if s.startswith("The SELECT contains a variable that is unbound"):
        return "a variable in SELECT is neither grouped (GROUP BY) nor inside an aggregate"
    return s[:1].lower() + s[1:]


def _join(words: list[str]) -> str:
    words = words[:8]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
