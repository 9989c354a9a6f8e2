"""Which named graphs on a server are ours: a register graph kept beside them.

Virtuoso and generic servers are asked with an explicit dataset naming every graph of ours
(store/remote.py), so the front end must know that list for every state. Scanning for it
(`SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`) reads every quad: over 30 s on
Virtuoso 7.2 at 1.6 M triples, which made every query time out. So the list is kept in a
small graph of its own, `<urn:claimgraph:graphs>`, updated in the same request as the change
it records: a load's switch adds the graphs it made and removes those it dropped
(store/remote_load.py); a write through the API adds or removes the graphs its update names
(store/remote_writer.py). The register is never part of the dataset, so readers never see it,
and it also names the staging graphs a load has not switched in yet, so a killed load's
leftovers are found without a scan, and the server's own system graphs found when it was first
loaded (what CLAIMGRAPH_REMOTE_DATASET=exclusive leaves out of the dataset). A server without a register (loaded by hand, or by an
older claimgraph) is scanned until the next load writes one; so is a server after an update
whose graphs are only known from its data (`GRAPH ?g` in a template, `DROP ALL`).
Oxigraph and QLever read the union of all graphs as the default graph: a register there
would be seen by readers, and their scans are fast, so they keep none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urljoin

import pyoxigraph as ox

from ..sparql.lexer import LexError, decode_iri, decode_local, tokenize

if TYPE_CHECKING:
    from .remote import RemoteStore

REGISTER = "urn:claimgraph:graphs"
HOLDS = "https://w3id.org/claimgraph/ontology#holdsGraph"
STAGES = "https://w3id.org/claimgraph/ontology#stagingGraph"
SYSTEM = "https://w3id.org/claimgraph/ontology#systemGraph"  # the server's own, never ours
KEEPS_REGISTER = ("virtuoso", "generic")
SCAN_TIMEOUT_S = 600.0  # a fallback only; it reads every quad
# Keywords an update names a graph it writes after (GRAPH <g>, INTO <g>, MOVE <a> TO <b>, WITH <g>, …).
_BEFORE_GRAPH = {"GRAPH", "INTO", "TO", "WITH", "SILENT", "MOVE", "COPY", "ADD"}
_ALL_GRAPHS = {"ALL", "NAMED"}  # CLEAR/DROP [SILENT] ALL, CLEAR/DROP [SILENT] NAMED


@dataclass(frozen=True)
class Listing:
    """The graphs on a server, sorted: ours (what readers see), staging (a load's, not switched in
    yet), system (the server's own); `registered` says whether a register said so or a scan did."""
    ours: list[str]
    staging: list[str] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    registered: bool = True


def listed(remote: "RemoteStore") -> Listing | None:
    """What the register says; None when the server has none."""
    body = remote.post_query(f"SELECT ?k ?g WHERE {{ GRAPH <{REGISTER}> {{ <{REGISTER}> ?k ?g }} }}")
    rows = list(ox.parse_query_results(remote.normalized(body, False), ox.QueryResultsFormat.JSON))
    if not rows:
        return None

    def kind(k: str) -> list[str]:
        return sorted(r["g"].value for r in rows if r["k"].value == k and isinstance(r["g"], ox.NamedNode))

    return Listing(kind(HOLDS), kind(STAGES), kind(SYSTEM))


def changes(add: Iterable[str] = (), remove: Iterable[str] = (), stage: Iterable[str] = (),
            unstage: Iterable[str] = (), system: Iterable[str] = ()) -> str:
    """The update (possibly empty) that records graphs added, removed, staged and switched in."""
    def data(pairs: list[tuple[str, str]]) -> str:
        return " ".join(f"<{REGISTER}> <{k}> <{g}> ." for k, g in pairs)

    gone = [(HOLDS, g) for g in sorted(set(remove))] + [(STAGES, g) for g in sorted(set(unstage))]
    new = [(HOLDS, g) for g in sorted(set(add))] + [(STAGES, g) for g in sorted(set(stage))] + \
          [(SYSTEM, g) for g in sorted(set(system))]
    steps = []
    if gone:
        steps.append(f"DELETE DATA {{ GRAPH <{REGISTER}> {{ {data(gone)} }} }}")
    if new:
        steps.append(f"INSERT DATA {{ GRAPH <{REGISTER}> {{ {data(new)} }} }}")
    return " ;\n".join(steps)


def written_graphs(update: str, base_iri: str | None = None) -> tuple[set[str], bool]:
    """The graphs an update names as written, and whether it may write others (a variable graph,
    ALL or NAMED): then only a scan can tell which graphs exist after it."""
    try:
        tokens = tokenize(update)
    except LexError:
        return set(), True
    prefixes: dict[str, str] = {}
    base = base_iri
    named: set[str] = set()
    unknown = False
    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        if t.kind == "kw" and t.text == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "iri":
            prefixes[tokens[i + 1].text[:-1]] = decode_iri(tokens[i + 2].text)
        elif t.kind == "kw" and t.text == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = decode_iri(tokens[i + 1].text)
        if prev is None or prev.kind != "kw":
            continue
        if t.kind == "kw" and t.text in _ALL_GRAPHS and prev.text in ("CLEAR", "DROP", "SILENT"):
            unknown = True
        if prev.text not in _BEFORE_GRAPH:
            continue
        if t.kind == "var" and prev.text == "GRAPH":
            unknown = True
        elif t.kind == "iri":
            named.add(urljoin(base, decode_iri(t.text)) if base else decode_iri(t.text))
        elif t.kind == "pname" and not t.text.endswith(":"):
            prefix, local = t.text.split(":", 1)
            if prefix in prefixes:
                named.add(prefixes[prefix] + decode_local(local))
    return {g for g in named if _is_iri(g)}, unknown


def _is_iri(value: str) -> bool:
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return ":" in value


def after_write(remote: "RemoteStore", touched: set[str], unknown: bool) -> None:
    """Bring the register up to date with what a write left: each graph it named is held if it has
    a triple now and not held otherwise; after an update of unknown reach, everything is rescanned."""
    if remote.config.dialect not in KEEPS_REGISTER:
        return
    if unknown:
        held = listed(remote)
        now = remote.classify(remote.scan_graphs()).ours
        before = held.ours if held else []
        text = changes(add=now, remove=set(before) - set(now))
    else:
        present = {g for g in touched if remote.has_triples(g)}
        text = changes(add=present, remove=touched - present)
    if text:
        remote.update(text)
