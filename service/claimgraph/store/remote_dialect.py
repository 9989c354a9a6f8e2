"""What each SPARQL server needs done to a query text or to an answer (store/remote.py sends them).

Text rewrites, decided from the lexer's tokens (never by searching the text): our own queries'
bound variables as a VALUES block; for Virtuoso 7.2, LIMITs lowered to its sort cap, an ASK's
empty GRAPH group given a triple, the IRIs a query names (to add to its named graphs), the
pragmas of an exclusive dataset; and its
answers put in the form pyoxigraph reads, refused where they may be incomplete.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..sparql.lexer import LexError, decode_iri, decode_local, tokenize
from ..sparql.outline import top_limit
from .remote_error import RemoteError

if TYPE_CHECKING:
    from .remote_graphs import Listing

# Debian's Virtuoso 7.2: graphs it holds for itself, which a query without a dataset reads too.
VIRTUOSO_SYSTEM = ("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localhost:8890/")
# The system graphs a fresh Debian Virtuoso 7.2.5 holds (found by scanning one): always left out of
# an exclusive dataset, with whatever others the register recorded at the first load.
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                          "http://localhost:8890/sparql", "http://localhost:8890/DAV/")
NO_GRAPH = "urn:claimgraph:no-graph"  # names a dataset part that must be empty: no graph has this name
VIRTUOSO_ROW_CAP = 10_000
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"  # [SPARQL] ResultSetMaxRows: answers are cut there, silently, with a 200
_NODE_ID_NT = re.compile(rb"<nodeID://([A-Za-z0-9]+)>")


def clamp_limit(sparql: str, cap: int) -> str:
    """`sparql` with a top-level LIMIT above `cap` lowered to it. Virtuoso refuses an ordered or
    DISTINCT query whose LIMIT passes its MaxSortedTopRows (10,000) and cuts any answer at
    ResultSetMaxRows: asked for at most the cap, an answer that reaches it is refused as possibly
    incomplete (RemoteStore.normalized) instead of the whole query failing."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return sparql
    last = top_limit(tokens)
    if last is None or not last.text.isdigit() or int(last.text) <= cap:
        return sparql
    return sparql[:last.pos] + str(cap) + sparql[last.pos + len(last.text):]


def fill_empty_graphs(sparql: str) -> str:
    """An ASK's `GRAPH ?g { }` as `GRAPH ?g { ?s ?p ?o }`. Virtuoso keeps no empty graphs (a graph
    is there while it has a triple) and never matches the empty group, so "is there such a graph"
    is asked as "has it a triple", which on Virtuoso is the same question. Only in an ASK: it
    projects nothing, so the added variables change no answer."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return sparql
    if form_of(sparql) != "ASK":
        return sparql
    spots = [tokens[i + 2].pos for i, t in enumerate(tokens[:-3])
             if t.kind == "kw" and t.text == "GRAPH" and tokens[i + 2].text == "{" and tokens[i + 3].text == "}"]
    for at in reversed(spots):
        sparql = sparql[:at + 1] + " ?claimgraph_s ?claimgraph_p ?claimgraph_o " + sparql[at + 1:]
    return sparql


def _resolved(tokens: list) -> list[tuple[object, str]]:
    """Each IRI or prefixed-name token with the absolute IRI it writes."""
    prefixes: dict[str, str] = {}
    out: list[tuple[object, str]] = []
    for i, t in enumerate(tokens):
        try:
            if t.kind == "kw" and t.text == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "iri":
                prefixes[tokens[i + 1].text[:-1]] = decode_iri(tokens[i + 2].text)
            elif t.kind == "iri":
                value = decode_iri(t.text)
                if ":" in value:
                    out.append((t, value))
            elif t.kind == "pname" and not (i and tokens[i - 1].kind == "kw" and tokens[i - 1].text == "PREFIX"):
                prefix, local = t.text.split(":", 1)
                if prefix in prefixes and "\\" not in local:
                    out.append((t, prefixes[prefix] + decode_local(local)))
        except (ValueError, IndexError):
            continue
    return [(t, iri) for t, iri in out if _valid_iri(iri)]


def iris_in(sparql: str) -> set[str]:
    """Every absolute IRI the query writes, prefixed names resolved."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return set()
    return {iri for _t, iri in _resolved(tokens)}


def without_graphs(sparql: str, hidden: set[str]) -> str:
    """`GRAPH <g>` for each g in `hidden` (the server's own graphs, the register, staged graphs) as
    `GRAPH <urn:claimgraph:no-graph>`, a graph no server holds. Leaving g out of the dataset is not
    enough on Virtuoso 7.2: over a graph outside the named graphs it answers ASK true and COUNT 1,
    so the query is pointed at a graph that is named (NO_GRAPH is) and empty."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return sparql
    after_graph = {id(tokens[i + 1]) for i, t in enumerate(tokens[:-1]) if t.kind == "kw" and t.text == "GRAPH"}
    spots = [t for t, iri in _resolved(tokens) if id(t) in after_graph and iri in hidden]
    for t in sorted(spots, key=lambda t: t.pos, reverse=True):
        sparql = sparql[:t.pos] + f"<{NO_GRAPH}>" + sparql[t.pos + len(t.text):]
    return sparql


def _valid_iri(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
        return True
    except ValueError:
        return False


def excluded_graphs(listing: "Listing") -> list[str]:
    """What an exclusive dataset leaves out: the server's graphs, the register, staged graphs."""
    from .remote_graphs import REGISTER

    return sorted({REGISTER, *VIRTUOSO_SYSTEM_GRAPHS, *listing.system, *listing.staging})


def exclusive_prologue(excluded: list[str], ours: list[str], sparql: str, union: bool = True) -> str:
    """Virtuoso pragmas that make the dataset "every graph but `excluded`" (CLAIMGRAPH_REMOTE_DATASET=
    exclusive). Naming a thousand graphs per query (the listed dataset) costs Virtuoso seconds per
    query, as it checks each quad's graph against the list; an exclusion list of a few graphs costs
    nothing. Named graphs: Virtuoso 7.2 answers ASK and COUNT over `GRAPH <g> {…}` wrongly under
    any dataset pragma unless g is among the named graphs it was given (ASK true, COUNT 1, for a
    graph that does not hold the pattern), so a query that names its graphs gets just those as its
    named graphs; one with `GRAPH ?g` only gets "every graph but `excluded`"; one with both, our
    graphs listed (slower, but right). A query with FROM or FROM NAMED keeps its own dataset."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return ""
    if any(t.kind == "kw" and t.text == "FROM" for t in tokens):
        return ""
    if union:
        out = [f"define input:default-graph-exclude <{g}>" for g in excluded]
    else:
        out = [f"define input:default-graph-uri <{NO_GRAPH}>"]
    after_graph = [tokens[i + 1].kind for i, t in enumerate(tokens[:-1]) if t.kind == "kw" and t.text == "GRAPH"]
    variable = "var" in after_graph
    constant = any(k in ("iri", "pname") for k in after_graph)
    if variable and not constant:
        out += [f"define input:named-graph-exclude <{g}>" for g in excluded]
    elif constant:
        named = (iris_in(sparql) | (set(ours) if variable else set())) - set(excluded)
        out += [f"define input:named-graph-uri <{g}>" for g in sorted(named) or [NO_GRAPH]]
    # One line, so the user's query keeps its line numbers in the server's messages.
    return " ".join(out) + " " if out else ""


def transitive_path(sparql: str) -> bool:
    """Whether the query has a property path followed one-or-more or zero-or-more times (`p*`, `p+`,
    `(p|q)*`): an operator after a predicate, or after a parenthesised path in predicate position
    (after a subject), never arithmetic (after a number, a variable or an expression's parenthesis)."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return False
    opened: list[int] = []
    closes: dict[int, int] = {}
    for i, t in enumerate(tokens):
        if t.kind == "op" and t.text == "(":
            opened.append(i)
        elif t.kind == "op" and t.text == ")" and opened:
            closes[i] = opened.pop()
    for i, t in enumerate(tokens[1:], 1):
        if t.kind != "op" or t.text not in ("*", "+"):
            continue
        before = tokens[i - 1]
        if before.kind in ("iri", "pname") or (before.kind == "kw" and before.text == "A"):
            return True
        if before.kind == "op" and before.text == ")" and i - 1 in closes and closes[i - 1] > 0:
            lead = tokens[closes[i - 1] - 1]
            # (An IRI before the parenthesis is a function's name: `<f>(?x) * 2` is arithmetic.)
            if lead.kind in ("var", "bnode") or (lead.kind == "op" and lead.text in (";", ",", "]")):
                return True
    return False


def form_of(sparql: str) -> str:
    for t in tokenize(sparql):
        if t.kind == "kw" and t.text in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return t.text
    return "SELECT"



def refuse_unreliable(sparql: str) -> None:
    """Refuse what Debian's Virtuoso 7.2 is measured to answer wrongly, instead of passing it on."""
    if transitive_path(sparql):
        raise RemoteError(501, "backend_unsupported",
                          "this backend (Virtuoso 7.2) answers property paths followed zero-or-more or one-or-more "
                          "times (p*, p+) wrongly when joined to other patterns (measured: 0 rows where 9,009 are "
                          "right), so claimgraph does not send them to it; for concept hierarchies use "
                          "cg:withinTopic (skos:broader*, stated by the build), or query the embedded store")


def normalized(body: bytes, graph: bool, dialect: str) -> bytes:
    """The server's answer in the form pyoxigraph reads, refused if it may be incomplete.

    Virtuoso: an answer of exactly its row cap may have been cut (it says nothing), its
    blank nodes are labelled `nodeID://b10007`, which no RDF syntax allows as a label, and
    its JSON writes booleans as 0 and 1."""
    if dialect != "virtuoso":
        return body
    if graph:
        return _NODE_ID_NT.sub(lambda m: b"_:" + m.group(1), body)
    doc = json.loads(body)
    rows = doc.get("results", {}).get("bindings")
    if rows is not None and len(rows) >= VIRTUOSO_ROW_CAP:
        raise RemoteError(502, "backend_capped", f"the backend cuts answers at {VIRTUOSO_ROW_CAP} rows "
                          "(Virtuoso's ResultSetMaxRows) and this one reached it, so it may be incomplete; "
                          f"add a LIMIT of at most {VIRTUOSO_ROW_CAP - 1}, or page with ORDER BY, LIMIT and OFFSET")
    for row in rows or ():
        for term in row.values():
            if term.get("type") == "bnode" and term.get("value", "").startswith("nodeID://"):
                term["value"] = term["value"][len("nodeID://"):]
            elif term.get("datatype") == XSD_BOOLEAN and term.get("value") in ("0", "1"):
                # Virtuoso keeps booleans as numbers and sends "0"/"1" in JSON (N-Triples says
                # "false"/"true"): both are valid, but the embedded store writes the canonical form.
                term["value"] = "true" if term["value"] == "1" else "false"
    return json.dumps(doc).encode()

