"""Typed parameters of named queries: declared in a query's header, checked, bound as RDF terms.

A client's value never becomes query text. It is checked against the declared
type and turned into one pyoxigraph term (NamedNode or Literal), which the
engine binds through `substitutions`; the SPARQL text itself is a constant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..namespaces import PREFIXES, Minter

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")  # register ids and article slugs (reading/fields.py)
ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")  # claim, sentence, event ids within an article
DATE = re.compile(r"^[0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names the REST layer uses for paging and formats; a query cannot declare them.
RESERVED = frozenset({"limit", "cursor", "format", "callback"})
TYPES = ("entity", "article", "claim", "iri", "string", "integer", "boolean", "enum", "date")
MAX_STRING = 500


class ParamError(ValueError):
    """A client value that does not fit its declared parameter."""

    def __init__(self, parameter: str, message: str, status: int = 422, code: str = "invalid_parameter"):
        super().__init__(f"{parameter}: {message}")
        self.parameter, self.message, self.status, self.code = parameter, f"{parameter}: {message}", status, code


def expand(term: str) -> str:
    """`cg:Critical` -> full IRI; full IRIs pass through. Used for enum values in headers."""
    if term.startswith("<") and term.endswith(">"):
        return term[1:-1]
    prefix, sep, local = term.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return term


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    example: Any = None
    # enum: value -> IRI it stands for (None: bound as a plain literal)
    values: dict[str, str | None] = field(default_factory=dict)
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = MAX_STRING

    # -- client value -> RDF term ------------------------------------------------

    def to_term(self, raw: Any, mint: Minter) -> ox.NamedNode | ox.Literal:
        """Check one client value and turn it into the term bound to ?name."""
        value = raw if isinstance(raw, (bool, int)) and not isinstance(raw, str) else str(raw)
        if isinstance(value, str):
            if len(value) > self.max_length:
                raise ParamError(self.name, f"is {len(value)} characters long; at most {self.max_length} allowed")
            if "\x00" in value:
                raise ParamError(self.name, "must not contain a NUL character")
        t = self.type
        if t == "entity":
            return ox.NamedNode(mint.entity(self._match(value, SLUG, "a register id such as `russia`")))
        if t == "article":
            return ox.NamedNode(mint.article(self._match(value, SLUG, "an article slug")))
        if t == "claim":
            return ox.NamedNode(self._claim_iri(str(value), mint))
        if t == "iri":
            return self._iri(str(value))
        if t == "string":
            if not str(value).strip():
                raise ParamError(self.name, "must not be empty")
            return ox.Literal(str(value))
        if t == "integer":
            return ox.Literal(self._integer(value))
        if t == "boolean":
            return ox.Literal(self._boolean(value))
        if t == "date":
            return ox.Literal(self._match(str(value), DATE, "a year, year-month or date (YYYY, YYYY-MM, YYYY-MM-DD)"))
        if t == "enum":
            key = str(value)
            if key not in self.values:
                raise ParamError(self.name, f"{_show(key)} is not one of {', '.join(self.values)}")
            iri = self.values[key]
            return ox.NamedNode(iri) if iri else ox.Literal(key)
        raise ParamError(self.name, f"has an unknown type {t!r}")  # unreachable: the loader checks types

    def _match(self, value: Any, pattern: re.Pattern[str], what: str) -> str:
        text = str(value)
        if not pattern.match(text):
            raise ParamError(self.name, f"{_show(text)} is not {what}")
        return text

    def _claim_iri(self, value: str, mint: Minter) -> str:
        # Either the claim's IRI as the API shows it, or the short form `<article-slug>/<claim-id>`.
        if value.startswith(mint.base + "article/"):
            value = value[len(mint.base) + len("article/"):].replace("/claim/", "/", 1)
        elif re.match(r"^https?://", value):
            return self._iri(value).value  # another dataset's claim: well formed, and simply not found here
        slug, sep, cid = value.partition("/")
        if not sep or not SLUG.match(slug) or not ITEM_ID.match(cid):
            raise ParamError(self.name, f"{_show(value)} is not a claim: use `<article-slug>/<claim-id>` "
                                        "(e.g. us-russia-reconfiguration/c4) or the claim's IRI")
        return mint.claim(slug, cid)

    def _iri(self, value: str) -> ox.NamedNode:
        if not re.match(r"^https?://", value):
            raise ParamError(self.name, f"{_show(value)} is not an absolute http(s) IRI")
        try:
            return ox.NamedNode(value)
        except ValueError:
            raise ParamError(self.name, f"{_show(value)} is not a valid IRI") from None

    def _integer(self, value: Any) -> int:
        try:
            n = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip(), 10)
        except ValueError:
            raise ParamError(self.name, f"{_show(str(value))} is not an integer") from None
        if self.minimum is not None and n < self.minimum:
            raise ParamError(self.name, f"must be at least {self.minimum}")
        if self.maximum is not None and n > self.maximum:
            raise ParamError(self.name, f"must be at most {self.maximum}")
        return n

    def _boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ParamError(self.name, f"{_show(str(value))} is not a boolean (true or false)")

    # -- documentation -----------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the parameter, as it appears in the OpenAPI document."""
        s: dict[str, Any]
        if self.type == "integer":
            s = {"type": "integer"}
            if self.minimum is not None:
                s["minimum"] = self.minimum
            if self.maximum is not None:
                s["maximum"] = self.maximum
        elif self.type == "boolean":
            s = {"type": "boolean"}
        elif self.type == "enum":
            s = {"type": "string", "enum": list(self.values)}
        elif self.type in ("entity", "article"):
            s = {"type": "string", "pattern": SLUG.pattern}
        elif self.type == "date":
            s = {"type": "string", "pattern": DATE.pattern}
        elif self.type == "iri":
            s = {"type": "string", "format": "iri", "maxLength": self.max_length, "pattern": "^https?://"}
        elif self.type == "claim":
            s = {"type": "string", "maxLength": self.max_length,
                 "pattern": r"^(?:[a-z0-9][a-z0-9-]{0,79}/[A-Za-z0-9][A-Za-z0-9_-]{0,79}"
                            r"|https?://[^\s<>\"{}|\\^`\x00-\x20\x7f-\x9f]+)$"}
        else:  # a string: anything but blank, and no NUL
            s = {"type": "string", "maxLength": self.max_length, "pattern": r"^[^\x00]*[^\x00\s][^\x00]*$"}
        if self.default is not None:
            s["default"] = self.default
        return s

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "required": self.required, "default": self.default,
                "description": self.description, "example": self.example, "schema": self.schema()}


def _show(value: str) -> str:
    """A client value quoted for an error message, shortened so a huge value cannot flood the answer."""
    return repr(value if len(value) <= 60 else value[:57] + "...")
