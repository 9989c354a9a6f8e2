"""N-Triples and N-Quads lines from rdflib terms, without an rdflib Graph in between.

Each article's triples are held in a plain set while it is compiled (stream/part.py): adding to
an rdflib Graph costs ~15 µs a triple (its three indexes and context bookkeeping), and its
serializer as much again, a fifth of an article's compile time. These lines are what Oxigraph
reads back into the store; the test compares them with rdflib's serializer term by term.
"""

from __future__ import annotations

from typing import Iterable

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

_XSD_STRING = str(XSD.string)
# What N-Triples forbids raw inside a quoted literal ([^#x22#x5C#xA#xD]), escaped.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def term(t: URIRef | BNode | Literal) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, Literal):
        text = f'"{str(t).translate(_ESCAPES)}"'
        if t.language:
            return f"{text}@{t.language}"
        if t.datatype is not None and str(t.datatype) != _XSD_STRING:
            return f"{text}^^<{t.datatype}>"
        return text
    if isinstance(t, BNode):
        return f"_:{t}"
    raise TypeError(f"not an RDF term: {t!r}")


def nt_lines(triples: Iterable[tuple]) -> bytes:
    """N-Triples, one line per triple, sorted (the same triples give the same bytes)."""
    return "".join(sorted(f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in triples)).encode()


def nq_lines(triples: Iterable[tuple], graph: str) -> bytes:
    """N-Quads in `graph`, one line per triple, sorted."""
    suffix = f" <{graph}> .\n"
    return "".join(sorted(f"{term(s)} {term(p)} {term(o)}{suffix}" for s, p, o in triples)).encode()
