"""Node views: everything one resource says, read with one constant query.

The REST lookups and the Linked Data pages both start from a node view (a
subject's triples, with the label, words and offsets of each object), then
shape it for their reader. Every query here is a constant string; the only
thing that varies is the IRI bound to ?s through pyoxigraph substitutions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import pyoxigraph as ox

from ...namespaces import CG, ITSRDF, NIF, PREFIXES, SCHEMA, Minter

PREFIX_BLOCK = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
NODE_LIMIT = 2000  # a node view is bounded: a hub entity cannot drag a million triples into one page

# One triple pattern per OPTIONAL: pyoxigraph 0.5 evaluates an OPTIONAL group of several patterns on
# the same node by joining against the whole store (350 ms at 200k triples instead of 0.1 ms).
NODE_VIEW = PREFIX_BLOCK + f"""
SELECT ?s ?p ?o ?olabel ?otext ?obegin ?oend ?opos WHERE {{
  ?s ?p ?o .
  OPTIONAL {{ ?o rdfs:label ?olabel }}
  OPTIONAL {{ ?o nif:anchorOf ?otext }}
  OPTIONAL {{ ?o nif:beginIndex ?obegin }}
  OPTIONAL {{ ?o nif:endIndex ?oend }}
  OPTIONAL {{ ?o cg:position ?opos }}
}} LIMIT {NODE_LIMIT}
"""

# A register entity's view reads the register's own graphs and, from graph/inferred, only what
# the register entails about it (types, SKOS links): its inferred cg:mentionedIn grows with every
# article that mentions it (60,000 for a state at 10,000 articles) and, read with the rest,
# crowded its identity out of NODE_VIEW's cap. Each part is an index lookup (graph and subject
# bound), so the view costs the same at any corpus size. Mentions have their own nested query.
ENTITY_VIEW = PREFIX_BLOCK + """
SELECT ?s ?p ?o ?olabel ?otext ?obegin ?oend ?opos ?register ?links ?inferred WHERE {
  { GRAPH ?register { ?s ?p ?o } }
  UNION { GRAPH ?links { ?s ?p ?o } }
  UNION { VALUES ?p { rdf:type skos:exactMatch skos:closeMatch skos:broader skos:narrower owl:sameAs }
          GRAPH ?inferred { ?s ?p ?o } }
  OPTIONAL { ?o rdfs:label ?olabel }
  OPTIONAL { ?o nif:anchorOf ?otext }
  OPTIONAL { ?o nif:beginIndex ?obegin }
  OPTIONAL { ?o nif:endIndex ?oend }
  OPTIONAL { ?o cg:position ?opos }
}
"""
_ENTITY_IRI = re.compile(r"^(.*/)entity/[^/#?]+$")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SKOS = PREFIXES["skos"]
OWL_SAME = PREFIXES["owl"] + "sameAs"
DCT = PREFIXES["dcterms"]


def py(term: Any) -> Any:
    """A pyoxigraph term as plain JSON: IRIs as strings, literals as their natural Python value."""
    if term is None or isinstance(term, (str, int)):  # None, or already plain (store/entity_lists.py)
        return term
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype is not None else ""
        local = dt.rsplit("#", 1)[-1]
        if local in ("integer", "nonNegativeInteger", "int", "long", "positiveInteger", "short", "unsignedInt"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if local in ("decimal", "double", "float"):
            try:
                return float(term.value)
            except ValueError:
                return term.value
        if local == "boolean":
            return term.value in ("true", "1")
        return term.value
    return str(term)


@dataclass
class Obj:
    """One object of a node's triple, with what we know about it."""

    term: Any
    label: str | None = None
    text: str | None = None
    begin: int | None = None
    end: int | None = None
    position: int | None = None

    @property
    def value(self) -> Any:
        return py(self.term)

    @property
    def is_iri(self) -> bool:
        return isinstance(self.term, ox.NamedNode)


@dataclass
class NodeView:
    iri: str
    props: dict[str, list[Obj]] = field(default_factory=dict)
    truncated: bool = False

    @property
    def exists(self) -> bool:
        return bool(self.props)

    def all(self, predicate: str) -> list[Obj]:
        return self.props.get(str(predicate), [])

    def one(self, predicate: str) -> Obj | None:
        values = self.all(predicate)
        return values[0] if values else None

    def value(self, predicate: str) -> Any:
        o = self.one(predicate)
        return o.value if o is not None else None

    def types(self) -> list[str]:
        return [o.value for o in self.all(RDF_TYPE) if o.is_iri]

    def label(self) -> str | None:
        for p in (RDFS_LABEL, str(SCHEMA.name), SKOS + "prefLabel", str(SCHEMA.headline)):
            o = self.one(p)
            if o is not None:
                return str(o.value)
        return None

    def triples(self) -> Iterable[tuple[str, Obj]]:
        for p, objs in self.props.items():
            for o in objs:
                yield p, o


def node_view_rows(rows: list[dict[str, Any]], iri: str) -> NodeView:
    view = NodeView(iri, truncated=len(rows) >= NODE_LIMIT)
    seen: dict[tuple[str, str], Obj] = {}
    for r in rows:
        p = r["p"].value
        key = (p, str(r["o"]))
        obj = seen.get(key)
        if obj is None:
            obj = seen[key] = Obj(r["o"])
            view.props.setdefault(p, []).append(obj)
        # Prefer an English or untagged label when an object has several.
        lab = r.get("olabel")
        if lab is not None and (obj.label is None or getattr(lab, "language", None) in (None, "en")):
            obj.label = lab.value
        if r.get("otext") is not None:
            obj.text = r["otext"].value
        if r.get("obegin") is not None:
            obj.begin = py(r["obegin"])
        if r.get("oend") is not None:
            obj.end = py(r["oend"])
        if r.get("opos") is not None:
            obj.position = py(r["opos"])
    # Rows come in the store's own order, which differs between backends (store/remote.py):
    # each property's values in one order everywhere, so a page or a record reads the same.
    for objs in view.props.values():
        objs.sort(key=lambda o: str(o.term))
    return view


NODE_TRIPLES = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {NODE_LIMIT}"
# Several nodes' triples in one query: an entity page lists 200 references, and one query each cost
# ~0.6 ms of parsing and binding apiece (160 ms for the page at 1,000 articles).
NODES_TRIPLES = "SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {subjects} }} ?s ?p ?o }} LIMIT {limit}"
_NODES_BATCH = 25


def node_triples(engine: Any, iris: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each IRI's triples, at most NODE_LIMIT each, as NODE_TRIPLES gives them one node at a time: a
    few nodes a query, and only when that query passes NODE_LIMIT in all (a hub among them) are
    its nodes asked one by one, each under its own limit."""
    out: dict[str, list[dict[str, Any]]] = {}
    for at in range(0, len(iris), _NODES_BATCH):
        chunk = list(dict.fromkeys(iris[at:at + _NODES_BATCH]))
        subjects = " ".join(f"<{iri}>" for iri in chunk)
        rows = engine.run_trusted(NODES_TRIPLES.format(subjects=subjects, limit=NODE_LIMIT + 1))
        if len(rows) > NODE_LIMIT:
            for iri in chunk:
                out[iri] = engine.run_trusted(NODE_TRIPLES, {"s": ox.NamedNode(iri)})
            continue
        for r in rows:
            out.setdefault(r["s"].value, []).append(r)
    return out


# What a view shows of each object, for many objects at once: one index lookup per object and
# property, instead of five OPTIONAL joins per triple of every node (which cost ~3 ms a claim).
_DETAIL_PROPS = {"http://www.w3.org/2000/01/rdf-schema#label": "olabel", str(NIF.anchorOf): "otext",
                 str(NIF.beginIndex): "obegin", str(NIF.endIndex): "oend", str(CG.position): "opos"}
# VALUES for the objects, then one index lookup per object and property (a UNION of constant
# predicates): `?o ?q ?v` with a FILTER read every triple of an object (2,000 for a state at
# 100 articles, growing with the corpus), and a second VALUES made the engine scan every quad.
_DETAILS = ("SELECT ?o ?q ?v WHERE {{ VALUES ?o {{ {objects} }} "
            + " UNION ".join(f"{{{{ ?o <{p}> ?v BIND(<{p}> AS ?q) }}}}" for p in _DETAIL_PROPS) + " }}")
_DETAILS_BATCH = 400


def load_views(engine: Any, iris: list[str]) -> list[NodeView]:
    """Node views of several IRIs in this thread (call it through asyncio.to_thread)."""
    out: list[NodeView | None] = []
    plain: list[tuple[int, str, list[dict[str, Any]]]] = []
    for iri in iris:
        entity = _ENTITY_IRI.match(iri)
        if entity:
            base = entity.group(1)
            rows = engine.run_trusted(ENTITY_VIEW, {
                "s": ox.NamedNode(iri), "register": ox.NamedNode(f"{base}graph/entities"),
                "links": ox.NamedNode(f"{base}graph/links"), "inferred": ox.NamedNode(f"{base}graph/inferred")})
            if rows:
                out.append(node_view_rows(rows, iri))
                continue
        out.append(None)
        plain.append((len(out) - 1, iri, []))
    triples = node_triples(engine, [iri for _i, iri, _rows in plain])
    plain = [(i, iri, triples.get(iri, [])) for i, iri, _rows in plain]
    details = object_details(engine, [r["o"] for _i, _iri, rows in plain for r in rows])
    for i, iri, rows in plain:
        view_rows = []
        for r in rows:
            extra = details.get(r["o"], [{}])
            view_rows += [{"p": r["p"], "o": r["o"], **d} for d in extra]
        view = node_view_rows(view_rows, iri)
        view.truncated = len(rows) >= NODE_LIMIT
        out[i] = view
    return out  # type: ignore[return-value]


def object_details(engine: Any, objects: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    """object -> the label, text, offsets and position rows NODE_VIEW's OPTIONALs would give it."""
    named = list(dict.fromkeys(o for o in objects if isinstance(o, ox.NamedNode)))
    found: dict[Any, dict[str, list[Any]]] = {}
    for start in range(0, len(named), _DETAILS_BATCH):
        chunk = named[start:start + _DETAILS_BATCH]
        for r in engine.run_trusted(_DETAILS.format(objects=" ".join(str(o) for o in chunk))):
            found.setdefault(r["o"], {}).setdefault(_DETAIL_PROPS[r["q"].value], []).append(r["v"])
    for b in dict.fromkeys(o for o in objects if isinstance(o, ox.BlankNode)):
        for r in engine.run_trusted("SELECT ?o ?q ?v WHERE { ?o ?q ?v }", {"o": b}):
            name = _DETAIL_PROPS.get(r["q"].value)
            if name is not None:
                found.setdefault(b, {}).setdefault(name, []).append(r["v"])
    out: dict[Any, list[dict[str, Any]]] = {}
    for o, props in found.items():
        rows: list[dict[str, Any]] = [{}]
        for name, values in props.items():  # every combination, as the OPTIONAL joins gave them
            rows = [{**row, name: v} for row in rows for v in values]
        out[o] = rows
    return out


# -- addressing: IRIs <-> REST and page paths ------------------------------------------------


@dataclass(frozen=True)
class Addresses:
    """Maps minted IRIs to where this service shows them (REST item, Linked Data page)."""

    mint: Minter
    base_path: str  # the path part of the base IRI, e.g. /id/

    def local(self, iri: str) -> str | None:
        """Path of the Linked Data page of a minted IRI, or None for a foreign IRI."""
        if iri.startswith(self.mint.base):
            return self.base_path + iri[len(self.mint.base):]
        if iri.startswith(str(CG)):
            return "/ontology/" + iri[len(str(CG)):]
        if iri == str(CG).rstrip("#"):
            return "/ontology"
        return None

    def parts(self, iri: str) -> list[str]:
        return iri[len(self.mint.base):].split("/") if iri.startswith(self.mint.base) else []

    def api(self, iri: str) -> str | None:
        """Path of the REST item for a minted IRI, if it has one."""
        p = self.parts(iri)
        if len(p) == 2 and p[0] == "entity":
            return f"/api/entities/{p[1]}"
        if len(p) == 2 and p[0] == "article":
            return f"/api/articles/{p[1]}"
        if len(p) == 4 and p[0] == "article" and p[2] == "claim":
            return f"/api/claims/{p[1]}/{p[3]}"
        if len(p) == 4 and p[0] == "article" and p[2] == "sentence":
            return f"/api/articles/{p[1]}/sentences/{p[3]}"
        return None

    def short(self, iri: str) -> str:
        """The id a client passes back: register id, article slug, or `<slug>/<item>`."""
        p = self.parts(iri)
        if len(p) == 2:
            return p[1]
        if len(p) == 4 and p[0] == "article":
            return f"{p[1]}/{p[3]}"
        return iri


def ref(o: Obj | None, addr: Addresses) -> dict[str, Any] | None:
    """An object as a small JSON node: {id, label, href}."""
    if o is None:
        return None
    out: dict[str, Any] = {"id": o.value}
    if o.label is not None:
        out["label"] = o.label
    href = addr.api(o.value) if o.is_iri else None
    if href:
        out["href"] = href
    return out


def span(o: Obj | None) -> dict[str, Any] | None:
    if o is None or o.text is None:
        return None
    return {"id": o.value, "text": o.text, "begin": o.begin, "end": o.end}


def local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def compact(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


__all__ = ["Addresses", "NodeView", "Obj", "NODE_VIEW", "PREFIX_BLOCK", "load_views", "py", "ref", "span",
           "compact", "local_name", "CG", "ITSRDF", "NIF", "SCHEMA", "OWL_SAME", "RDF_TYPE", "RDFS_LABEL",
           "RDFS_COMMENT", "SKOS", "DCT"]
