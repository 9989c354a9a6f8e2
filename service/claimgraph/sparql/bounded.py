"""Which user queries may run inline, in the server process: those whose cost is PROVEN bounded.

A worker round trip costs ~170 µs of pipe and scheduling; a point lookup costs
~90 µs. But the server process cannot cancel a query (pyoxigraph has no
cancel), so a query runs here only if a bound on its work is proven BEFORE it
starts; everything else goes to the killable workers, as before.

The accepted shape, decided from the tokens (anything else: None, i.e. worker):

    PREFIX*  (SELECT [DISTINCT|REDUCED] (* | ?v+) | ASK)  [WHERE]
    { triple patterns and FILTER(simple comparison) only }
    [ORDER BY ?v | ASC(?v) | DESC(?v) ...]  [LIMIT n] [OFFSET n]

no nested groups, OPTIONAL, UNION, MINUS, BIND, VALUES, SERVICE, GRAPH, FROM,
subqueries, aggregates, property paths, blank nodes or \\u escapes; FILTER
takes only variables, constants, comparisons, && || !, and STR / LANG /
DATATYPE / isIRI / isLiteral / isBlank / BOUND / sameTerm / langMatches
(each O(term length) per row). At most MAX_PATTERNS patterns.

The join graph must be a forest of subject->object edges:
  (1) every pattern's subject is a constant IRI (a root) or a variable that is
      the object of exactly one other pattern (its parent), and following
      parents always ends at a root (no cycles);
  (2) a variable is the object of at most one pattern; a predicate variable
      occurs nowhere else.

Why that bounds Oxigraph's work (sparopt `reorder_joins`, oxigraph 0.5): the
greedy join order starts each connected component at its cheapest pattern by
`estimate_triple_pattern_size`, where a constant subject scores <= 100 and a
variable subject >= 10,000, so it starts at the root; it then only adds
patterns sharing a variable with what it has. By (1)-(2) a pattern shares a
variable with the partial plan only through its subject (parent already in)
or its object (a child already in, impossible before the pattern itself), so
every pattern is joined as a for-loop (lateral) join with its subject BOUND:
an index lookup on (s, p) returning at most fanout(p) quads. Hence with
root_count = quads matching the root (counted here, before running, capped)
and fanout(p) = the store's maximum number of quads one subject has with
predicate p (any predicate for a variable one), the rows after each join are
<= root_count * prod(fanout), and the lookups <= patterns * that. Filters and
ORDER BY act on those rows only; the answer holds <= that many rows, and its
serialization is capped in bytes like a worker's. tests/test_sparql_inline.py
pins the join-order claim on a store with a 300k-quad hub.

One more shape is bounded without a root: a SINGLE triple pattern with no
FILTER, no ORDER BY and no DISTINCT/REDUCED, whose variables are all
different, under a LIMIT (SELECT) or as an ASK, e.g. `SELECT ?c { ?c a
cg:Claim } LIMIT 5`. Oxigraph evaluates it as one index scan read lazily
(slice = skip + take; the union default graph does not deduplicate), so at
most OFFSET + LIMIT rows are read, or one for ASK; it needs no fan-out table,
so it runs inline even before one is measured (or while a write's new
version waits for one). A repeated variable
(`?x ?x ?o`), a FILTER or DISTINCT could skip any number of quads between two
answers: those go to a worker.

The fanout table is measured by a worker (killable) once per store version;
until it is known, every query goes to the workers.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .lexer import LexError, Token, decode_iri, decode_local, has_codepoint_escapes, tokenize

MAX_PATTERNS = 8
MAX_FILTER_TOKENS = 64
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ANY = "*"  # fanout key for a variable predicate: the most quads any one subject has

# The stats query a worker runs: per predicate, the most quads one subject has; and overall.
FANOUT_QUERY = ("SELECT ?p (MAX(?n) AS ?m) WHERE { { SELECT ?s ?p (COUNT(*) AS ?n) "
                "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?s ?p } } GROUP BY ?p")
OUTDEGREE_QUERY = ("SELECT (MAX(?n) AS ?m) WHERE { { SELECT ?s (COUNT(*) AS ?n) "
                   "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?s } }")
# Filters and ORDER BY compare terms in O(length): the longest literal bounds the work per row.
# STR() first: STRLEN of a number is an error, and one error leaves MAX unbound.
LONGEST_QUERY = "SELECT (MAX(STRLEN(STR(?o))) AS ?m) WHERE { GRAPH ?g { ?s ?p ?o FILTER(isLiteral(?o)) } }"
LONGEST = "longest literal"  # key in the fanout table

_FILTER_KWS = {"STR", "LANG", "DATATYPE", "ISIRI", "ISURI", "ISLITERAL", "ISBLANK", "BOUND", "SAMETERM",
               "LANGMATCHES", "TRUE", "FALSE"}
_FILTER_OPS = {"(", ")", "=", "!=", "<", ">", "<=", ">=", "&&", "||", "!", ",", "^^"}


class Pattern(NamedTuple):  # a tuple: made per pattern per query (sparql/shapes.py), ~4x cheaper
    subject: str | None  # constant IRI, or None when subject_var is set
    subject_var: str | None
    predicate: str | None  # constant IRI, or None for a variable predicate
    obj: Any  # ("var", name) or ("const", iri-or-None); only IRIs are used for counting


class Plan(NamedTuple):
    patterns: tuple[Pattern, ...]
    # A lone-pattern scan (module docstring, last part): at most this many rows are read, else None.
    scan_rows: int | None = None


class _Refuse(Exception):
    pass


_END = Token("end", "", -1)


def _absolute(value: str) -> str:
    """`value` if pyoxigraph takes it as an absolute IRI; a relative one is left to the real parser, in
    a worker, and so is one it refuses (`<u?x:y>`, `<urn:a]b>`: bench/fuzz_query_gate.py found both
    reaching the bound's index lookups, which raised)."""
    import pyoxigraph as ox

    try:
        ox.NamedNode(value)
    except ValueError:
        raise _Refuse() from None
    return value


class _Reader:
    def __init__(self, tokens: list[Token]):
        self.t, self.i = tokens + [_END, _END, _END], 0  # sentinels: look-ahead needs no bounds checks
        self.prefixes: dict[str, str] = {}

    def peek(self, k: int = 0) -> Token | None:
        tok = self.t[self.i + k]
        return None if tok is _END else tok

    def take(self) -> Token:
        tok = self.t[self.i]
        if tok is _END:
            raise _Refuse()
        self.i += 1
        return tok

    def is_(self, kind: str, text: str | None = None, k: int = 0) -> bool:
        tok = self.t[self.i + k]
        return tok.kind == kind and (text is None or tok.text == text)

    def iri(self, tok: Token) -> str:
        if tok.kind == "iri":
            if "\\" in tok.text:
                raise _Refuse()
            value = decode_iri(tok.text)
            return _absolute(value)
        if tok.kind == "pname":
            prefix, local = tok.text.split(":", 1)
            if prefix not in self.prefixes or "\\" in local:
                raise _Refuse()
            return _absolute(self.prefixes[prefix] + decode_local(local))
        raise _Refuse()


def _var(tok: Token) -> str:
    return tok.text[1:]


def _term(r: _Reader, position: str) -> tuple[str, Any]:
    """One subject/predicate/object term: ("var", name) or ("const", iri-or-None)."""
    tok = r.take()
    if tok.kind == "var":
        return ("var", _var(tok))
    if tok.kind in ("iri", "pname"):
        return ("const", r.iri(tok))
    if position == "p" and tok.kind == "kw" and tok.text == "A":
        return ("const", RDF_TYPE)
    if position == "o" and tok.kind in ("str", "num"):
        if r.is_("lang"):
            r.take()
        elif r.is_("op", "^^"):
            r.take()
            r.iri(r.take())
        return ("const", None)  # a literal: fine as an object, never counted
    if position == "o" and tok.kind == "kw" and tok.text in ("TRUE", "FALSE"):
        return ("const", None)
    raise _Refuse()


def _filter(r: _Reader) -> None:
    r.take()  # FILTER
    if not r.is_("op", "("):
        raise _Refuse()
    depth, used = 0, 0
    while True:
        tok = r.take()
        used += 1
        if used > MAX_FILTER_TOKENS:
            raise _Refuse()
        if tok.kind == "op" and tok.text in _FILTER_OPS:
            depth += tok.text == "("
            depth -= tok.text == ")"
            if depth == 0:
                return
        elif tok.kind == "kw" and tok.text in _FILTER_KWS:
            pass
        elif tok.kind in ("iri", "pname"):
            r.iri(tok)
        elif tok.kind not in ("var", "str", "num", "lang"):
            raise _Refuse()


def _triples(r: _Reader, out: list[Pattern], pvars: list[str]) -> None:
    kind, subject = _term(r, "s")
    while True:
        pkind, predicate = _term(r, "p")
        while True:
            obj = _term(r, "o")
            out.append(Pattern(subject if kind == "const" else None, subject if kind == "var" else None,
                               predicate if pkind == "const" else None, obj))
            if pkind == "var":
                pvars.append(predicate)
            if len(out) > MAX_PATTERNS:
                raise _Refuse()
            if r.is_("op", ","):
                r.take()
                continue
            break
        if r.is_("op", ";"):
            r.take()
            if r.is_("op", ".") or r.is_("op", "}") or r.is_("kw", "FILTER"):
                break
            continue
        break
    if r.is_("op", "."):
        r.take()


def _body(r: _Reader) -> tuple[list[Pattern], list[str], bool]:
    """(patterns, predicate variables, any FILTER?)"""
    if r.is_("kw", "WHERE"):
        r.take()
    if not r.is_("op", "{"):
        raise _Refuse()
    r.take()
    patterns: list[Pattern] = []
    pvars: list[str] = []
    filtered = False
    while not r.is_("op", "}"):
        if r.is_("kw", "FILTER"):
            filtered = True
            _filter(r)
            if r.is_("op", "."):
                r.take()
        else:
            _triples(r, patterns, pvars)
    r.take()
    return patterns, pvars, filtered


def _modifiers(r: _Reader) -> tuple[bool, dict[str, int]]:
    """(ordered?, {"LIMIT": n, "OFFSET": m} as given)."""
    ordered = r.is_("kw", "ORDER")
    if ordered:
        r.take()
        if not r.is_("kw", "BY"):
            raise _Refuse()
        r.take()
        n = 0
        while r.is_("var") or r.is_("kw", "ASC") or r.is_("kw", "DESC"):
            if r.is_("var"):
                r.take()
            else:
                r.take()
                if not (r.is_("op", "(") and r.is_("var", k=1) and r.is_("op", ")", k=2)):
                    raise _Refuse()
                r.i += 3
            n += 1
        if n == 0:
            raise _Refuse()
    seen: dict[str, int] = {}
    while r.is_("kw", "LIMIT") or r.is_("kw", "OFFSET"):
        word = r.take().text
        if word in seen or not r.is_("num") or not r.peek().text.isdigit():  # type: ignore[union-attr]
            raise _Refuse()
        seen[word] = int(r.take().text)
    if r.peek() is not None:
        raise _Refuse()
    return ordered, seen


def _lone_scan(patterns: list[Pattern], pvars: list[str], filtered: bool, distinct: bool, ordered: bool,
               slice_: dict[str, int], ask: bool) -> int | None:
    """The rows a lone-pattern scan reads at most (module docstring), or None if it is not one."""
    if len(patterns) != 1 or filtered or distinct or ordered:
        return None
    p = patterns[0]
    names = [v for v in (p.subject_var,) if v] + pvars + ([p.obj[1]] if p.obj[0] == "var" else [])
    if len(set(names)) != len(names):
        return None
    if ask:
        return 1
    if "LIMIT" not in slice_:
        return None
    return slice_["LIMIT"] + slice_.get("OFFSET", 0)


def _check_forest(patterns: list[Pattern], pvars: list[str]) -> None:
    """Conditions (1) and (2) of the module docstring."""
    if not patterns:
        raise _Refuse()
    object_of: dict[str, int] = {}
    for i, p in enumerate(patterns):
        if p.obj[0] == "var":
            if p.obj[1] in object_of:
                raise _Refuse()
            object_of[p.obj[1]] = i
    used = [p.subject_var for p in patterns if p.subject_var] + list(object_of)
    if len(set(pvars)) != len(pvars) or any(v in used for v in pvars):
        raise _Refuse()
    for i, p in enumerate(patterns):
        seen = {i}
        while p.subject_var is not None:
            parent = object_of.get(p.subject_var)
            if parent is None or parent in seen:
                raise _Refuse()
            seen.add(parent)
            p = patterns[parent]


def classify(text: str, max_patterns: int = MAX_PATTERNS, tokens: list[Token] | None = None) -> Plan | None:
    """The query's patterns if it has the provably bounded shape above, else None (run it in a worker).

    `tokens`: the text's tokens if the gate already has them (lexing is most of the cost here)."""
    if has_codepoint_escapes(text) or len(text) > 4096:
        return None
    # Tokenizing costs ~1 µs a token, paid on every query the workers get anyway: first a rough
    # look at the text, which may only say no. Every pattern after the first follows a '.', ';' or
    # ','; counting those in strings and FILTERs too over-counts, i.e. at worst sends one to a worker.
    if text.count("{") != 1 or _separators(text) > max_patterns + 1:
        return None
    try:
        r = _Reader(tokens if tokens is not None else tokenize(text, 400))
        while r.is_("kw", "PREFIX"):
            r.take()
            name, iri = r.take(), r.take()
            if name.kind != "pname" or not name.text.endswith(":") or iri.kind != "iri":
                return None
            r.prefixes[name.text[:-1]] = r.iri(iri)
        form = r.take()
        distinct = False
        if form.kind == "kw" and form.text == "SELECT":
            if r.is_("kw", "DISTINCT") or r.is_("kw", "REDUCED"):
                distinct = True
                r.take()
            if r.is_("op", "*"):
                r.take()
            elif r.is_("var"):
                while r.is_("var"):
                    r.take()
            else:
                return None
        elif not (form.kind == "kw" and form.text == "ASK"):
            return None
        patterns, pvars, filtered = _body(r)
        if len(patterns) > max_patterns:
            return None
        ordered, slice_ = _modifiers(r)
        scan = _lone_scan(patterns, pvars, filtered, distinct, ordered, slice_, form.text == "ASK")
        if scan is not None:
            return Plan(tuple(patterns), scan)
        _check_forest(patterns, pvars)
        return Plan(tuple(patterns))
    except (_Refuse, LexError, ValueError, KeyError, IndexError):
        return None
    except Exception:  # noqa: BLE001 - e.g. the lexer's TooManyTokens: no bound proven, a worker will judge it
        return None


_IRI_TEXT = re.compile(r"<[^<>\s]*>")
_SEPARATOR = re.compile(r"\.(?=\s|\}|$)|;|,")


def _separators(text: str) -> int:
    """Pattern separators outside <...> IRIs (strings are not skipped: an over-count is safe)."""
    return len(_SEPARATOR.findall(_IRI_TEXT.sub("", text)))


def work_bound(plan: Plan, store: Any, fanout: dict[str, int], budget: int,
               byte_budget: int = 32 << 20, counts: dict[tuple[Any, ...], int] | None = None) -> int | None:
    """An upper bound on the rows and index lookups evaluating `plan` costs, or None if above `budget`
    (or if that many rows times the store's longest literal is above `byte_budget`).

    Roots are counted in the store (an index scan stopped at `budget`); every
    other pattern contributes the store-wide fanout of its predicate. `counts`
    memoizes root counts; the caller keeps one per store version (a Quad
    object costs ~5 µs to make, more than the query it guards)."""
    if plan.scan_rows is not None:
        # A lone-pattern scan reads no more rows than that, whatever the store: no fan-out needed.
        # Nothing compares terms (no FILTER, no ORDER BY), and the engine writes its answer through
        # the byte cap (inline_stage.InlineStage._evaluate, streamed), so long literals cost no more than the cap.
        return None if plan.scan_rows > budget else max(1, plan.scan_rows)
    if LONGEST not in fanout:
        return None
    import pyoxigraph as ox

    product = 1
    for p in plan.patterns:
        if p.subject is not None:
            # A literal object is not matched here: counting every quad of (s, p) is an upper bound.
            obj = p.obj[1] if p.obj[0] == "const" else None
            obj_term = ox.NamedNode(obj) if obj else None
            key = (p.subject, p.predicate, obj, budget)
            count = counts.get(key) if counts is not None else None
            if count is None:
                pred = ox.NamedNode(p.predicate) if p.predicate else None
                count = 0
                for _q in store.quads_for_pattern(ox.NamedNode(p.subject), pred, obj_term, None):
                    count += 1
                    if count > budget:
                        break
                if counts is not None:
                    if len(counts) >= 65536:
                        counts.clear()
                    counts[key] = count
            if count > budget:
                return None
            factor = max(1, count)
        else:
            if p.predicate is None:
                factor = fanout.get(ANY, budget + 1)
            else:
                factor = fanout.get(p.predicate, 0)
            factor = max(1, factor)
        product *= factor
        if product * len(plan.patterns) > budget:
            return None
    if product * max(1, fanout[LONGEST]) * 4 > byte_budget:  # STRLEN counts characters: <= 4 bytes each
        return None
    return product * len(plan.patterns)


def parse_fanout(rows: list[dict[str, Any]], total: list[dict[str, Any]],
                 longest: list[dict[str, Any]]) -> dict[str, int]:
    """SPARQL JSON bindings of FANOUT_, OUTDEGREE_ and LONGEST_QUERY -> {predicate IRI | ANY | LONGEST: max}."""
    table = {b["p"]["value"]: int(b["m"]["value"]) for b in rows if "p" in b and "m" in b}
    # An unbound maximum means "not measured" unless the store is empty: then no inline query at all
    # (work_bound refuses without LONGEST; a variable predicate without ANY counts as over budget).
    empty = not rows
    for key, result in ((ANY, total), (LONGEST, longest)):
        if result and "m" in result[0]:
            table[key] = int(result[0]["m"]["value"])
        elif empty:
            table[key] = 0
    return table
