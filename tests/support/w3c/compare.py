"""Expected and actual answers in one shape, compared up to blank-node renaming.

Solutions are lists of {variable: N-Triples term}; graphs are sets of N-Triples lines. Terms are
compared exactly (lexical forms as written), language tags case-insensitively (BCP 47).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

RS = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
RESULT_FORMATS = {"srx": ox.QueryResultsFormat.XML, "srj": ox.QueryResultsFormat.JSON,
                  "tsv": ox.QueryResultsFormat.TSV, "csv": ox.QueryResultsFormat.CSV}
RDF_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML,
               "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}


XSD = "http://www.w3.org/2001/XMLSchema#"
_DECIMALS = {XSD + t for t in ("decimal", "integer", "int", "long", "short", "byte", "nonNegativeInteger",
                               "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt",
                               "unsignedLong", "unsignedShort", "unsignedByte")}
_FLOATS = {XSD + "double", XSD + "float"}


def _term(t: Any) -> str | None:
    """A term's N-Triples form; numbers by value ("1.0"^^xsd:decimal is "1"^^xsd:decimal, as the
    suite's result files write numbers in either form)."""
    if t is None:
        return None
    if isinstance(t, ox.Literal):
        if t.language:
            return str(ox.Literal(t.value, language=t.language.lower()))
        dt = t.datatype.value
        try:
            if dt in _DECIMALS:
                value = Decimal(t.value.strip())
                return str(ox.Literal(format(value.normalize() if value else Decimal(0), "f"), datatype=t.datatype))
            if dt in _FLOATS:
                return str(ox.Literal(repr(float(t.value.strip())), datatype=t.datatype))
            if dt == XSD + "boolean" and t.value.strip() in ("0", "1", "true", "false"):
                return str(ox.Literal(str(t.value.strip() in ("1", "true")).lower(), datatype=t.datatype))
        except (InvalidOperation, ValueError):
            pass
    return str(t)


def parse_triples(data: bytes, fmt: ox.RdfFormat, base: str | None = None) -> list[str]:
    return [f"{_term(q.subject)} {_term(q.predicate)} {_term(q.object)} ." for q in ox.parse(data, fmt, base_iri=base)]


def solutions_from(data: bytes, fmt: ox.QueryResultsFormat) -> bool | list[dict[str, str]]:
    result = ox.parse_query_results(data, fmt)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [{n: _term(row[n]) for n in names if row[n] is not None} for row in result]


def _rs_graph(path: Path, fmt: ox.RdfFormat, base: str) -> bool | list[dict[str, str]]:
    """A result set written in the DAWG result-set vocabulary (rs:)."""
    g = rdflib.Graph()
    g.parse(data=path.read_bytes(), format={"ttl": "turtle", "rdf": "xml", "nt": "nt"}[path.suffix[1:]],
            publicID=base)
    rs = next(g.subjects(rdflib.RDF.type, RS.ResultSet))
    boolean = g.value(rs, RS.boolean)
    if boolean is not None:
        return boolean.toPython() is True or str(boolean) == "true"
    rows = []
    for sol in g.objects(rs, RS.solution):
        row = {}
        for b in g.objects(sol, RS.binding):
            value = g.value(b, RS.value)
            row[str(g.value(b, RS.variable))] = _rdflib_nt(value)
        rows.append(row)
    return rows


def _rdflib_nt(term: rdflib.term.Node) -> str:
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if isinstance(term, rdflib.Literal) and term.language:
        return _term(ox.Literal(str(term), language=term.language))
    if isinstance(term, rdflib.Literal):
        dt = ox.NamedNode(str(term.datatype)) if term.datatype else None
        return _term(ox.Literal(str(term), datatype=dt))
    return str(ox.NamedNode(str(term)))


def expected_result(path: Path, base: str) -> Any:
    ext = path.suffix[1:]
    if ext in RESULT_FORMATS:
        if ext == "csv":
            return ("csv", path.read_bytes())
        return solutions_from(path.read_bytes(), RESULT_FORMATS[ext])
    text = path.read_bytes()
    if b"result-set#" in text:
        return _rs_graph(path, RDF_FORMATS[ext], base)
    return set(parse_triples(text, RDF_FORMATS[ext], base))


def _is_bnode(v: str | None) -> bool:
    return v is not None and v.startswith("_:")


def _match_rows(expected: list[dict], actual: list[dict], ordered: bool) -> bool:
    """Rows equal as multisets (or lists), under one consistent blank-node bijection."""
    if len(expected) != len(actual):
        return False
    if not ordered and not any(_is_bnode(v) for r in expected + actual for v in r.values()):
        key = lambda r: sorted(r.items())  # noqa: E731
        return sorted(map(key, expected)) == sorted(map(key, actual))

    def fits(e: dict, a: dict, fwd: dict, back: dict) -> tuple[dict, dict] | None:
        if e.keys() != a.keys():
            return None
        fwd, back = dict(fwd), dict(back)
        for k, ev in e.items():
            av = a[k]
            if _is_bnode(ev) and _is_bnode(av):
                if fwd.setdefault(ev, av) != av or back.setdefault(av, ev) != ev:
                    return None
            elif ev != av:
                return None
        return fwd, back

    def search(i: int, used: list[bool], fwd: dict, back: dict) -> bool:
        if i == len(expected):
            return True
        candidates = [i] if ordered else range(len(actual))
        for j in candidates:
            if used[j]:
                continue
            found = fits(expected[i], actual[j], fwd, back)
            if found is not None:
                used[j] = True
                if search(i + 1, used, *found):
                    return True
                used[j] = False
        return False

    return search(0, [False] * len(actual), {}, {})


def same_graph(expected: set[str], actual: set[str]) -> bool:
    if expected == actual:
        return True
    a, b = rdflib.Graph(), rdflib.Graph()
    a.parse(data="\n".join(expected), format="nt")
    b.parse(data="\n".join(actual), format="nt")
    return isomorphic(a, b)


def _csv_rows(data: bytes) -> list[tuple[tuple[str, str], ...]]:
    """CSV rows as sorted (column, value) pairs: columns may come in any order (SELECT * leaves
    it to the engine), rows too; blank node labels are the writer's own, so they are all `_:b`."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header = rows[0] if rows else []
    out = []
    for row in rows[1:]:
        cells = [re.sub(r"^_:.*", "_:b", v) for v in row]
        out.append(tuple(sorted(zip(header, cells))))
    return sorted(out)


def same_result(expected: Any, actual: Any, ordered: bool) -> bool:
    if isinstance(expected, tuple) and expected[0] == "csv":
        # CSV loses datatypes; the suite's CSV tests compare the text.
        return isinstance(actual, tuple) and _csv_rows(expected[1]) == _csv_rows(actual[1])
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, set):
        return isinstance(actual, set) and same_graph(expected, actual)
    return isinstance(actual, list) and _match_rows(expected, actual, ordered)

