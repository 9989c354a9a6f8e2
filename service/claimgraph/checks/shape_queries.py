"""SHACL core shapes compiled to SPARQL: one query per constraint, run over a whole data graph.

pyshacl walks every focus node through every shape in Python, ~1 s per article here and
half of a corpus build. The shapes we use are SHACL core plus sh:sparql; each core
constraint is a set question ("which targets of this shape have no claimant?") that one
SPARQL query over the data answers at once, in Oxigraph. The compiler knows a fixed set of
constraint components and refuses any other by name, so a shape the build cannot check is
an error, never a silent pass. tests/test_shape_queries.py holds it to pyshacl's verdicts.

Two forms for each shape:
- `checks()`: top-level queries, each `SELECT DISTINCT ?this ?value` of the violations of
  one constraint, with the message the report gives;
- `conforms()`: a SPARQL boolean expression "node ?x conforms to this shape", used inside
  sh:not, sh:or, sh:and, sh:xone and sh:node, and for value nodes of property shapes.
Every expression is total (COALESCE around anything that may raise an error), because an
error inside FILTER drops the row and would hide a violation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

# Datatypes Oxigraph casts from a string: a literal of one of these is well formed iff its
# lexical form casts (SHACL's sh:datatype also requires a well-formed lexical form).
_CASTS = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.dateTime, XSD.date, XSD.time,
          XSD.duration, XSD.dayTimeDuration, XSD.yearMonthDuration}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))", SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_RANGES = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
# Parameters that describe a shape rather than constrain it, and the ones handled by hand.
_DESCRIPTIVE = {RDF.type, SH.message, SH.name, SH.description, SH.order, SH.group, SH.severity, RDFS.label,
                RDFS.comment, SH.path, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
                SH.sparql, SH.declare, SH.prefixes, SH.deactivated, SH.defaultValue}
_VALUE = {SH["class"], SH.datatype, SH.nodeKind, SH["in"], SH.pattern, SH.flags, SH.minLength, SH.maxLength,
          SH.hasValue, SH["not"], SH["or"], SH["and"], SH.xone, SH.node, *_RANGES}
_COUNTS = {SH.minCount, SH.maxCount}


class UnsupportedShape(ValueError):
    """A shape uses SHACL the build's checker does not implement: named, never skipped."""


@dataclass(frozen=True)
class Check:
    """One constraint's violations: a query binding ?this (and ?value where there is one)."""

    query: str
    message: str
    path: str | None
    component: str = ""  # the SHACL constraint component, e.g. sh:MinCountConstraintComponent


def term(t: URIRef | Literal) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, Literal):
        return t.n3()
    raise UnsupportedShape(f"a blank node {t} where SHACL needs an IRI or a literal")


class ShapeCompiler:
    def __init__(self, shapes: Graph):
        self.g = shapes
        self._fresh = itertools.count()

    def var(self) -> str:
        return f"?_v{next(self._fresh)}"

    def items(self, head: URIRef | BNode) -> list:
        return list(Collection(self.g, head))

    # -- paths ----------------------------------------------------------------------------------

    def path(self, p: URIRef | BNode) -> str:
        """A SHACL property path as a SPARQL property path."""
        if isinstance(p, URIRef):
            return f"<{p}>"
        first = self.g.value(p, RDF.first)
        if first is not None:
            return "(" + " / ".join(self.path(x) for x in self.items(p)) + ")"
        for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                          (SH.zeroOrOnePath, "{}?")):
            inner = self.g.value(p, pred)
            if inner is not None:
                return "(" + fmt.format(self.path(inner)) + ")"
        alt = self.g.value(p, SH.alternativePath)
        if alt is not None:
            return "(" + " | ".join(self.path(x) for x in self.items(alt)) + ")"
        raise UnsupportedShape(f"property path {p} is not one SHACL defines")

    def shown_path(self, p: URIRef | BNode) -> str:
        return self.path(p) if not isinstance(p, URIRef) else self.g.namespace_manager.normalizeUri(p)

    # -- targets --------------------------------------------------------------------------------

    def targets(self, shape: URIRef | BNode, this: str = "?this") -> str | None:
        """A graph pattern binding `this` to every focus node of the shape, or None if it has none."""
        alts = [f"{{ {this} <{RDF.type}>/<{RDFS.subClassOf}>* <{c}> }}" for c in self.g.objects(shape, SH.targetClass)]
        if (shape, RDF.type, RDFS.Class) in self.g:  # an implicit class target
            alts.append(f"{{ {this} <{RDF.type}>/<{RDFS.subClassOf}>* <{shape}> }}")
        alts += [f"{{ {this} <{p}> [] }}" for p in self.g.objects(shape, SH.targetSubjectsOf)]
        alts += [f"{{ [] <{p}> {this} }}" for p in self.g.objects(shape, SH.targetObjectsOf)]
        alts += [f"{{ VALUES {this} {{ {term(n)} }} }}" for n in self.g.objects(shape, SH.targetNode)]
        return " UNION ".join(alts) if alts else None

    # -- what a single value node must be -------------------------------------------------------

    def value_tests(self, shape: URIRef | BNode, v: str) -> Iterator[tuple[URIRef, str]]:
        """(component, boolean expression over the value node `v`) for each value-type constraint."""
        g = self.g
        for c in g.objects(shape, SH["class"]):
            yield SH["class"], f"EXISTS {{ {v} <{RDF.type}>/<{RDFS.subClassOf}>* <{c}> }}"
        for d in g.objects(shape, SH.datatype):
            if d == RDF.langString:
                test = f"(isLiteral({v}) && LANG({v}) != \"\")"
            else:
                test = f"(isLiteral({v}) && sameTerm(DATATYPE({v}), <{d}>) && LANG({v}) = \"\")"
                if d in _CASTS:
                    test = f"({test} && COALESCE(isLiteral(<{d}>(STR({v}))), false))"
            yield SH.datatype, f"COALESCE({test}, false)"
        for k in g.objects(shape, SH.nodeKind):
            if k not in _NODE_KINDS:
                raise UnsupportedShape(f"sh:nodeKind {k}")
            yield SH.nodeKind, _NODE_KINDS[k].format(v=v)
        for lst in g.objects(shape, SH["in"]):
            members = [f"sameTerm({v}, {term(x)})" for x in self.items(lst)]
            yield SH["in"], "(" + (" || ".join(members) or "false") + ")"
        flags = g.value(shape, SH.flags)
        for pat in g.objects(shape, SH.pattern):
            args = f"{Literal(str(pat)).n3()}" + (f", {Literal(str(flags)).n3()}" if flags else "")
            yield SH.pattern, f"COALESCE(!isBlank({v}) && REGEX(STR({v}), {args}), false)"
        for pred, op in _RANGES.items():
            for bound in g.objects(shape, pred):
                yield pred, f"COALESCE({v} {op} {term(bound)}, false)"
        for n in g.objects(shape, SH.minLength):
            yield SH.minLength, f"COALESCE(!isBlank({v}) && STRLEN(STR({v})) >= {int(n)}, false)"
        for n in g.objects(shape, SH.maxLength):
            yield SH.maxLength, f"COALESCE(!isBlank({v}) && STRLEN(STR({v})) <= {int(n)}, false)"
        for x in g.objects(shape, SH.hasValue):  # of a node shape (a property shape's is along its path)
            yield SH.hasValue, f"sameTerm({v}, {term(x)})"
        for x in g.objects(shape, SH["not"]):
            yield SH["not"], f"!({self.conforms(x, v)})"
        for x in g.objects(shape, SH.node):
            yield SH.node, self.conforms(x, v)
        for lst in g.objects(shape, SH["and"]):
            yield SH["and"], "(" + (" && ".join(self.conforms(x, v) for x in self.items(lst)) or "true") + ")"
        for lst in g.objects(shape, SH["or"]):
            yield SH["or"], "(" + (" || ".join(self.conforms(x, v) for x in self.items(lst)) or "false") + ")"
        for lst in g.objects(shape, SH.xone):
            ones = " + ".join(f"IF({self.conforms(x, v)}, 1, 0)" for x in self.items(lst)) or "0"
            yield SH.xone, f"({ones} = 1)"

    def _refuse_unknown(self, shape: URIRef | BNode) -> None:
        known = _DESCRIPTIVE | _VALUE | _COUNTS | {SH.property}
        for p in set(self.g.predicates(shape)):
            if p not in known:
                raise UnsupportedShape(f"{self.g.namespace_manager.normalizeUri(p)} (on shape {shape})")
        if (shape, SH.deactivated, Literal(True)) in self.g:
            raise UnsupportedShape(f"sh:deactivated (on shape {shape})")

    # -- conformance as one expression (nested shapes) ------------------------------------------

    def conforms(self, shape: URIRef | BNode, x: str) -> str:
        """A total boolean expression: node `x` conforms to `shape`."""
        self._refuse_unknown(shape)
        path = self.g.value(shape, SH.path)
        if path is None:
            parts = [t for _c, t in self.value_tests(shape, x)]
            parts += [self.conforms(p, x) for p in self.g.objects(shape, SH.property)]
            return "(" + (" && ".join(parts) or "true") + ")"
        sp = self.path(path)
        parts = []
        for n in self.g.objects(shape, SH.minCount):
            parts.append(self._at_least(x, sp, int(n)))
        for n in self.g.objects(shape, SH.maxCount):
            parts.append(f"!{self._at_least(x, sp, int(n) + 1)}")
        for value in self.g.objects(shape, SH.hasValue):
            parts.append(f"EXISTS {{ {x} {sp} {term(value)} }}")
        y = self.var()
        tests = [t for c, t in self.value_tests(shape, y) if c != SH.hasValue]
        if tests:
            parts.append(f"NOT EXISTS {{ {x} {sp} {y} FILTER(!({' && '.join(tests)})) }}")
        return "(" + (" && ".join(parts) or "true") + ")"

    def _at_least(self, x: str, sp: str, n: int) -> str:
        """`x` has at least n distinct values along the path (n small: pairwise distinct)."""
        if n <= 0:
            return "true"
        if n > 4:
            raise UnsupportedShape(f"a count of {n} inside sh:not/sh:or/sh:and/sh:xone/sh:node")
        vs = [self.var() for _ in range(n)]
        pattern = " ".join(f"{x} {sp} {v} ." for v in vs)
        distinct = " && ".join(f"!sameTerm({a}, {b})" for a, b in itertools.combinations(vs, 2))
        return f"EXISTS {{ {pattern}{f' FILTER({distinct})' if distinct else ''} }}"

    # -- top level: one query per constraint ----------------------------------------------------

    def checks(self) -> list[Check]:
        out: list[Check] = []
        shapes = set(self.g.subjects(RDF.type, SH.NodeShape)) | {
            s for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
            for s in self.g.subjects(p, None)}
        for shape in sorted(shapes, key=str):
            focus = self.targets(shape)
            if focus is None:
                continue
            self._refuse_unknown(shape)
            msg = self.g.value(shape, SH.message)
            for component, test in self.value_tests(shape, "?this"):
                out.append(Check(f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER(!({test})) }}",
                                 str(msg) if msg else _default(component, None), None, component_iri(component)))
            for prop in self.g.objects(shape, SH.property):
                out += self._property_checks(focus, prop)
        return out

    def _property_checks(self, focus: str, prop: URIRef | BNode) -> list[Check]:
        self._refuse_unknown(prop)
        path = self.g.value(prop, SH.path)
        if path is None:
            raise UnsupportedShape(f"sh:property {prop} without sh:path")
        sp, shown = self.path(path), self.shown_path(path)
        own = self.g.value(prop, SH.message)
        out = []

        def message(component: URIRef, n: object = None) -> str:
            return str(own) if own else _default(component, n)

        for n in self.g.objects(prop, SH.minCount):
            if int(n) == 1:
                q = f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {sp} ?_any }} }}"
            else:
                q = (f"SELECT ?this WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {focus} "
                     f"OPTIONAL {{ ?this {sp} ?value }} }} GROUP BY ?this }} FILTER(?n < {int(n)}) }}")
            out.append(Check(q, message(SH.minCount, n), shown, component_iri(SH.minCount)))
        for n in self.g.objects(prop, SH.maxCount):
            q = (f"SELECT ?this WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {focus} "
                 f"?this {sp} ?value }} GROUP BY ?this }} FILTER(?n > {int(n)}) }}")
            out.append(Check(q, message(SH.maxCount, n), shown, component_iri(SH.maxCount)))
        for value in self.g.objects(prop, SH.hasValue):
            q = f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {sp} {term(value)} }} }}"
            out.append(Check(q, message(SH.hasValue, value), shown, component_iri(SH.hasValue)))
        for component, test in self.value_tests(prop, "?value"):
            if component == SH.hasValue:
                continue
            q = f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {sp} ?value FILTER(!({test})) }}"
            out.append(Check(q, message(component), shown, component_iri(component)))
        for nested in self.g.objects(prop, SH.property):  # a property shape's own property shapes: of its values
            raise UnsupportedShape(f"sh:property {nested} nested in property shape {prop}")
        return out


_DEFAULTS = {
    SH.minCount: "Less than {n} values", SH.maxCount: "More than {n} values", SH.hasValue: "Missing value {n}",
    SH["class"]: "Value is not an instance of the class", SH.datatype: "Value is not a well-formed literal of the datatype",
    SH.nodeKind: "Value is not of the node kind", SH["in"]: "Value is not one of the allowed values",
    SH.pattern: "Value does not match the pattern", SH.minLength: "Value is too short",
    SH.maxLength: "Value is too long", SH["not"]: "Value conforms to a shape it must not (sh:not)",
    SH.node: "Value does not conform to the shape (sh:node)", SH["and"]: "Value does not conform to every shape (sh:and)",
    SH["or"]: "Value conforms to none of the shapes (sh:or)", SH.xone: "Value does not conform to exactly one shape (sh:xone)",
    SH.minInclusive: "Value is below the minimum", SH.maxInclusive: "Value is above the maximum",
    SH.minExclusive: "Value is not above the minimum", SH.maxExclusive: "Value is not below the maximum",
}


def component_iri(parameter: URIRef) -> str:
    """The constraint component a parameter belongs to: sh:minCount -> sh:MinCountConstraintComponent."""
    local = str(parameter)[len(str(SH)):]
    return f"{SH}{local[0].upper()}{local[1:]}ConstraintComponent"


def _default(component: URIRef, n: object) -> str:
    return _DEFAULTS[component].format(n=n)
