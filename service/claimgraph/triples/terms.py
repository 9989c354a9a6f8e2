"""Small helpers for typed literals, shared by the graph writers."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import XSD


def nonneg(n: int) -> Literal:
    return Literal(n, datatype=XSD.nonNegativeInteger)


def integer(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def plain(text: str) -> Literal:
    return Literal(text)


def time_literal(value: str) -> Literal:
    """gYear, gYearMonth or date, by the precision the curator wrote."""
    dashes = value.lstrip("-").count("-")
    dtype = (XSD.gYear, XSD.gYearMonth, XSD.date)[dashes]
    return Literal(value, datatype=dtype)
