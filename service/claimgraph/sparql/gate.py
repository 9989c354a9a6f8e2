"""The query gate: cheap, syntactic limits checked before any parser sees a query.

pyoxigraph cannot cancel a query, overflows its stack (and kills the
process) on a few thousand nested groups, spends minutes planning very long
property paths, and follows SERVICE/LOAD to any host. Everything that can
be decided from the tokens alone is decided here and answered 400/403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from .lexer import LexError, Token, tokenize, unescape_codepoints


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
class GateError(Exception):
    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Verdict:
    text: str  # the query after codepoint unescaping
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE | UPDATE
    services: list[str] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)
    tokens: int = 0
    depth: int = 0


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")


def _prefixes(tokens: list[Token]) -> tuple[dict[str, str], str | None]:
    prefixes: dict[str, str] = {}
    base = None
    for i, t in enumerate(tokens):
        if t.kind == "kw" and t.text == "PREFIX" and i + 2 < len(tokens):
            name, iri = tokens[i + 1], tokens[i + 2]
            if name.kind == "pname" and iri.kind == "iri":
                prefixes[name.text.split(":", 1)[0]] = iri.text[1:-1]
        elif t.kind == "kw" and t.text == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = tokens[i + 1].text[1:-1]
    return prefixes, base


def _target(tokens: list[Token], i: int, prefixes: dict[str, str], base: str | None, what: str) -> str:
    """The endpoint IRI after SERVICE/LOAD (skipping SILENT); a variable is refused."""
    j = i + 1
    if j < len(tokens) and tokens[j].kind == "kw" and tokens[j].text == "SILENT":
        j += 1
    if j >= len(tokens):
        raise GateError(400, "malformed_query", f"{what} without a target")
    t = tokens[j]
    if t.kind == "var":
        raise GateError(403, "service_refused", f"{what} with a variable endpoint ({t.text}) is not allowed")
    if t.kind == "iri":
        iri = t.text[1:-1]
        return urljoin(base, iri) if base and "://" not in iri else iri
    if t.kind == "pname":
        prefix, local = t.text.split(":", 1)
        if prefix not in prefixes:
            raise GateError(400, "malformed_query", f"{what} target {t.text} uses an undeclared prefix")
        return prefixes[prefix] + local
    raise GateError(400, "malformed_query", f"{what} must be followed by an IRI")


def allowed(target: str, allowlist: tuple[str, ...]) -> bool:
    return any(target == a or (a.endswith("/") and target.startswith(a)) for a in allowlist)


def check(text: str, limits: Limits = Limits(), allowlist: tuple[str, ...] = (), update: bool = False) -> Verdict:
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise GateError(413, "query_too_large", f"query is larger than {limits.max_bytes} bytes")
    if "\x00" in text:
        raise GateError(400, "malformed_query", "query contains a NUL character")
    try:
        text = unescape_codepoints(text)
        text.encode("utf-8")
    except LexError as exc:
        raise GateError(400, "malformed_query", str(exc)) from exc
    except UnicodeEncodeError as exc:
        raise GateError(400, "malformed_query", f"query contains a lone surrogate at character {exc.start}") from exc
    tokens = tokenize(text)
    if len(tokens) > limits.max_tokens:
        raise GateError(400, "query_too_complex", f"query has {len(tokens)} tokens; the limit is {limits.max_tokens}")
    depth = max_depth = 0
    counts = {"OPTIONAL": 0, "UNION": 0, "logical": 0, "path": 0, "closure": 0, "blocks": 0}
    prev: Token | None = None
    for t in tokens:
        if t.kind == "op" and t.text in "{([":
            depth += 1
            if t.text == "{":
                counts["blocks"] += 1
            if depth > max_depth:
                max_depth = depth
                if depth > limits.max_depth:
                    raise GateError(400, "query_too_complex", f"query nests groups {depth} deep; the limit is {limits.max_depth}")
        elif t.kind == "op" and t.text in "})]":
            depth = max(0, depth - 1)
        elif t.kind == "kw" and t.text in ("OPTIONAL", "UNION", "MINUS"):
            counts["OPTIONAL" if t.text != "UNION" else "UNION"] += 1
        elif t.kind == "op" and t.text in ("&&", "||"):
            counts["logical"] += 1
        elif t.kind == "op" and t.text in ("/", "|", "^"):
            counts["path"] += 1
        elif t.kind == "op" and t.text in ("*", "+") and prev is not None and (
            prev.kind in ("iri", "pname") or (prev.kind == "op" and prev.text == ")") or prev.text == "A"
        ):
            counts["closure"] += 1
        prev = t
    checks = (
        ("OPTIONAL", limits.max_optional, "OPTIONAL/MINUS clauses"),
        ("UNION", limits.max_union, "UNION branches"),
        ("logical", limits.max_logical, "&&/|| operators"),
        ("path", limits.max_path_ops, "property-path operators"),
        ("closure", limits.max_path_closures, "property-path closures (* or +)"),
        ("blocks", limits.max_triple_blocks, "group patterns"),
    )
    for key, limit, label in checks:
        if counts[key] > limit:
            raise GateError(400, "query_too_complex", f"query has {counts[key]} {label}; the limit is {limit}")
    keywords = [t.text for t in tokens if t.kind == "kw"]
    if update:
        form = "UPDATE"
    else:
        form = next((k for k in keywords if k in QUERY_FORMS), "")
        if not form:
            if any(k in UPDATE_KEYWORDS for k in keywords):
                raise GateError(400, "update_in_query", "this is an update; send it as `update`, not `query`")
            raise GateError(400, "malformed_query", "no SELECT, ASK, CONSTRUCT or DESCRIBE in the query")
    prefixes, base = _prefixes(tokens)
    services, loads = [], []
    for i, t in enumerate(tokens):
        if t.kind == "kw" and t.text == "SERVICE":
            target = _target(tokens, i, prefixes, base, "SERVICE")
            if not allowed(target, allowlist):
                raise GateError(403, "service_refused", f"SERVICE <{target}> is not on the allow-list (CLAIMGRAPH_SERVICE_ALLOWLIST)")
            services.append(target)
        elif t.kind == "kw" and t.text == "LOAD" and update:
            target = _target(tokens, i, prefixes, base, "LOAD")
            if not allowed(target, allowlist):
                raise GateError(403, "load_refused", f"LOAD <{target}> is not on the allow-list (CLAIMGRAPH_SERVICE_ALLOWLIST)")
            loads.append(target)
    return Verdict(text, form, services, loads, len(tokens), max_depth)
