"""queries/*.rq -> NamedQuery: a documented, typed, bounded SPARQL query.

A named query file starts with a header of `#+ ` lines that together are YAML
(grlc's decorator syntax, but with explicit types instead of grlc's
`?_name_iri` naming convention), followed by a self-contained SPARQL SELECT:

    #+ title: Claims about a topic
    #+ description: Every claim about the given entity, with its stance.
    #+ tags: [claims, stance]
    #+ params:
    #+   topic: {type: entity, required: true, example: sanctions,
    #+           description: Register id of what the claims are about.}
    #+   stance:
    #+     type: enum
    #+     values: {critical: cg:Critical, favourable: cg:Favourable}
    PREFIX cg: <https://w3id.org/claimgraph/ontology#>
    SELECT ?claim ?topic ?stance WHERE { ... } LIMIT 500

Each parameter is the variable of the same name. A given value is bound to it
as an RDF term (pyoxigraph `substitutions`), never pasted into the text; a
parameter left out stays an unbound variable, so the query must read an
unbound parameter as "any" (use it in a triple pattern, or guard a filter with
`!COALESCE(?x = ?x, false) || ...`; `BOUND()` cannot see substituted values
in pyoxigraph 0.5). pyoxigraph only substitutes projected variables, so every
parameter must appear in the SELECT clause. The loader refuses a query without
a top-level LIMIT, so every named query is bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from ..namespaces import Minter
from ..sparql.lexer import Token, tokenize
from ..sparql.outline import top_limit, where_brace
from .params import NAME, RESERVED, TYPES, Param, ParamError, expand

QUERY_NAME = re.compile(r"^[a-z][a-z0-9-]{0,60}$")
MAX_ROWS = 10000  # the largest LIMIT a named query may declare
HEADER_KEYS = {"title", "description", "tags", "params", "example"}
PARAM_KEYS = {"type", "description", "required", "default", "example", "values", "minimum", "maximum", "max_length"}


class QueryFileError(ValueError):
    def __init__(self, path: Path, message: str):
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    sparql: str
    path: Path
    limit: int
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    example: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def bindings(self, raw: dict[str, Any], mint: Minter) -> dict[str, ox.NamedNode | ox.Literal]:
        """Client values (strings) -> substitutions; defaults filled in, required ones enforced."""
        out: dict[str, ox.NamedNode | ox.Literal] = {}
        for p in self.params:
            value = raw.get(p.name)
            if value is None or value == "":
                if p.required:
                    raise ParamError(p.name, "is required", status=422, code="missing_parameter")
                if p.default is None:
                    continue
                value = p.default
            out[p.name] = p.to_term(value, mint)
        return out

    def example_sparql(self, mint: Minter) -> str:
        """The query with its example values written in as a VALUES block: runnable as-is in a SPARQL UI."""
        terms = self.bindings(dict(self.example), mint)
        if not terms:
            return self.sparql
        names = " ".join(f"?{n}" for n in terms)
        row = " ".join(str(t) for t in terms.values())
        at = where_brace(tokenize(self.sparql))
        values = f"\n  VALUES ({names}) {{ ({row}) }}  # example values; the REST endpoint binds them instead"
        return self.sparql[: at + 1] + values + self.sparql[at + 1:]


def _header(text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    head: list[str] = []
    for line in lines:
        if line.startswith("#+"):
            head.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() == "" and not head:
            continue
        else:
            break
    return "".join(head), text


def _projection(tokens: list[Token]) -> tuple[list[str], bool]:
    """Variables the outer SELECT projects, in order, and whether it is SELECT *."""
    start = next((i for i, t in enumerate(tokens) if t.kind == "kw" and t.text == "SELECT"), None)
    if start is None:
        return [], False
    out: list[str] = []
    parens = 0
    for i in range(start + 1, len(tokens)):
        t = tokens[i]
        if parens == 0 and ((t.kind == "kw" and t.text == "WHERE") or (t.kind == "op" and t.text == "{")):
            break
        if t.kind == "op" and t.text == "(":
            parens += 1
        elif t.kind == "op" and t.text == ")":
            parens -= 1
        elif t.kind == "op" and t.text == "*" and parens == 0:
            return out, True
        elif t.kind == "var" and (parens == 0 or tokens[i - 1].text == "AS"):
            if t.text[1:] not in out:
                out.append(t.text[1:])
    return out, False


def _param(path: Path, name: str, spec: Any) -> Param:
    if not NAME.match(str(name)) or name in RESERVED:
        raise QueryFileError(path, f"parameter name {name!r} must match {NAME.pattern} and not be one of "
                                   f"{', '.join(sorted(RESERVED))}")
    if not isinstance(spec, dict):
        raise QueryFileError(path, f"parameter {name}: expected a mapping with at least `type`")
    unknown = set(spec) - PARAM_KEYS
    if unknown:
        raise QueryFileError(path, f"parameter {name}: unknown keys {sorted(unknown)}; known: {sorted(PARAM_KEYS)}")
    ptype = spec.get("type")
    if ptype not in TYPES:
        raise QueryFileError(path, f"parameter {name}: type must be one of {', '.join(TYPES)}, not {ptype!r}")
    values: dict[str, str | None] = {}
    if ptype == "enum":
        raw = spec.get("values")
        if isinstance(raw, list):
            values = {str(v): None for v in raw}
        elif isinstance(raw, dict):
            values = {str(k): (expand(str(v)) if v else None) for k, v in raw.items()}
        if not values:
            raise QueryFileError(path, f"parameter {name}: an enum needs `values` (a list, or value: IRI pairs)")
    return Param(
        name=name, type=ptype, description=str(spec.get("description", "")).strip(),
        required=bool(spec.get("required", False)), default=spec.get("default"), example=spec.get("example"),
        values=values, minimum=spec.get("minimum"), maximum=spec.get("maximum"),
        max_length=int(spec.get("max_length", 500)),
    )


def load_query(path: Path, mint: Minter) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    name = path.stem
    if not QUERY_NAME.match(name):
        raise QueryFileError(path, f"file name must match {QUERY_NAME.pattern}.rq")
    head, body = _header(text)
    try:
        meta = yaml.safe_load(head) if head.strip() else None
    except yaml.YAMLError as exc:
        raise QueryFileError(path, f"header is not valid YAML: {exc}") from None
    if not isinstance(meta, dict) or not meta.get("title") or not meta.get("description"):
        raise QueryFileError(path, "needs a `#+ ` header with at least `title` and `description`")
    unknown = set(meta) - HEADER_KEYS
    if unknown:
        raise QueryFileError(path, f"unknown header keys {sorted(unknown)}; known: {sorted(HEADER_KEYS)}")
    params = tuple(_param(path, n, s) for n, s in (meta.get("params") or {}).items())
    tokens = tokenize(body)
    if not any(t.kind == "kw" and t.text == "SELECT" for t in tokens):
        raise QueryFileError(path, "a named query must be a SELECT query")
    last = top_limit(tokens)
    limit = int(last.text) if last is not None else None
    if limit is None or limit > MAX_ROWS:
        raise QueryFileError(path, f"needs a top-level LIMIT of at most {MAX_ROWS} (named queries are bounded)")
    projected, star = _projection(tokens)
    used = {t.text[1:] for t in tokens if t.kind == "var"}
    for p in params:
        if p.name not in used:
            raise QueryFileError(path, f"parameter {p.name} is declared but ?{p.name} is not used in the query")
        if not star and p.name not in projected:
            raise QueryFileError(path, f"parameter ?{p.name} must be in the SELECT clause (pyoxigraph binds only "
                                       "projected variables)")
    try:
        ox.Store().query(body)  # syntax check against an empty store: fails here, not at request time
    except SyntaxError as exc:
        raise QueryFileError(path, f"SPARQL syntax error: {exc}") from None
    example = dict(meta.get("example") or {})
    for p in params:
        if p.name not in example and p.example is not None:
            example[p.name] = p.example
    query = NamedQuery(
        name=name, title=str(meta["title"]).strip(), description=str(meta["description"]).strip(), sparql=body,
        path=path, limit=limit, tags=tuple(str(t) for t in meta.get("tags") or ()), params=params,
        example=example, columns=tuple(projected),
    )
    try:
        query.bindings(example, mint)
    except ParamError as exc:
        raise QueryFileError(path, f"example: {exc.message}") from None
    return query


def load_queries(folder: Path, mint: Minter) -> dict[str, NamedQuery]:
    """Every queries/*.rq, by name; a broken file stops the service with file and reason."""
    return {q.name: q for q in (load_query(p, mint) for p in sorted(Path(folder).glob("*.rq")))}
