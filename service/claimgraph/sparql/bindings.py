"""A query's variables bound in its text: a VALUES block first in its WHERE group.

pyoxigraph 0.5 can bind variables itself (`Store.query(substitutions=…)`), but it plans the
query as if they were free and applies them late: the named query `claims-about` took 11.2 s
at 300 articles with its topic substituted and 4.7 s with the same topic as a VALUES block
(2026-12-04). A VALUES block at the head of the WHERE group binds them before anything else
is joined, on the embedded store and on every remote server alike.
"""

from __future__ import annotations

from typing import Any, Mapping

import pyoxigraph as ox

from .lexer import LexError, tokenize
from .outline import where_brace


def sparql_term(term: Any) -> str:
    """A pyoxigraph term in SPARQL syntax (N-Triples forms are valid SPARQL)."""
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return str(term)
    raise ValueError(f"a {type(term).__name__} cannot be written into a query's VALUES")


def with_bindings(sparql: str, substitutions: Mapping[str, Any]) -> str:
    """`sparql` with its variables bound: a VALUES block first in its WHERE group."""
    if not substitutions:
        return sparql
    names = list(substitutions)
    values = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(sparql_term(substitutions[n]) for n in names)}) }} "
    at = _where_brace(sparql)
    return sparql[:at + 1] + values + sparql[at + 1:]


def _where_brace(sparql: str) -> int:
    try:
        return where_brace(tokenize(sparql))
    except (LexError, ValueError) as exc:
        raise ValueError(f"cannot bind variables in this query: {exc}") from None
