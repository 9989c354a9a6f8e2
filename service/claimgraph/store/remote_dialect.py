"""What each SPARQL server needs done to a query text or to an answer (store/remote.py sends them).

Text rewrites, decided from the lexer's tokens (never by searching the text): our own queries'
bound variables as a VALUES block; for Virtuoso 7.2, LIMITs lowered to its sort cap, an ASK's
empty GRAPH group given a triple, the IRIs a query names (to add to its named graphs); and its
answers put in the form pyoxigraph reads, refused where they may be incomplete.
"""

from __future__ import annotations

import json
import re

import pyoxigraph as ox

from ..sparql.lexer import LexError, decode_iri, decode_local, tokenize
from ..sparql.outline import top_limit
from .remote_error import RemoteError

# Debian's Virtuoso 7.2: graphs it holds for itself, which a query without a dataset reads too.
VIRTUOSO_SYSTEM = ("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localhost:8890/")
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


def iris_in(sparql: str) -> set[str]:
    """Every absolute IRI the query writes, prefixed names resolved."""
    try:
        tokens = tokenize(sparql)
    except LexError:
        return set()
    prefixes: dict[str, str] = {}
    out: set[str] = set()
    for i, t in enumerate(tokens):
        try:
            if t.kind == "kw" and t.text == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "iri":
                prefixes[tokens[i + 1].text[:-1]] = decode_iri(tokens[i + 2].text)
            elif t.kind == "iri":
                value = decode_iri(t.text)
                if ":" in value:
                    out.add(value)
            elif t.kind == "pname" and not t.text.endswith(":"):
                prefix, local = t.text.split(":", 1)
                if prefix in prefixes and "\\" not in local:
                    out.add(prefixes[prefix] + decode_local(local))
        except (ValueError, IndexError):
            continue
    return {iri for iri in out if _valid_iri(iri)}


def _valid_iri(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
        return True
    except ValueError:
        return False


def form_of(sparql: str) -> str:
    for t in tokenize(sparql):
        if t.kind == "kw" and t.text in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return t.text
    return "SELECT"



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

