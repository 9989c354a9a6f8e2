"""The prefixes every query and update may use without declaring them.

As on Wikidata's and QLever's endpoints: a query that uses `cg:` or `schema:` without a PREFIX line
still runs. The declarations a query uses but does not make are put on one line before its text, so
every later reader (the gate, the inline planner, the engine, the write-target finder) sees the same
declared text; a query's own PREFIX comes later and wins. Error positions are moved back by that
one line (sparql/syntax_errors.py).
"""

from __future__ import annotations

import re

from ..namespaces import PREFIXES

# This dataset's vocabularies, then the common ones of Wikidata and Linked Data queries.
PREDECLARED: dict[str, str] = {
    **PREFIXES,
    "wdt": "http://www.wikidata.org/prop/direct/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "wikibase": "http://wikiba.se/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dct": "http://purl.org/dc/terms/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "sh": "http://www.w3.org/ns/shacl#",
    "oa": "http://www.w3.org/ns/oa#",
    "time": "http://www.w3.org/2006/time#",
}

# A prefixed name's prefix where one may start: not inside a word, a variable name or an IRI's
# scheme ("http:" in <http://…> is preceded by "<"; inside strings it costs one unused line).
_USED = re.compile(r"(?<![\w<?$@:.-])([A-Za-z][\w-]*(?:\.[\w-]+)*)?:")


def prelude(text: str) -> str:
    """The PREFIX line for the predeclared prefixes `text` uses, or "" when it uses none."""
    if ":" not in text:
        return ""
    names = sorted({m.group(1) or "" for m in _USED.finditer(text)} & PREDECLARED.keys())
    if not names:
        return ""
    return " ".join(f"PREFIX {n}: <{PREDECLARED[n]}>" for n in names) + "\n"


def with_prefixes(text: str) -> tuple[str, int]:
    """`text` with the predeclared prefixes it needs declared, and how many lines were added (0 or 1)."""
    head = prelude(text)
    return (head + text, 1) if head else (text, 0)

