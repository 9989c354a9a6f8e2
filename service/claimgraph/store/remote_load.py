"""The build's last step with a remote backend: the live version's graphs into the server.

`claimgraph build` still makes and checks the version on disk (the build never serves a
graph it has not checked); with CLAIMGRAPH_BACKEND=remote it then loads that version
into the server, graph by graph:

- a graph whose content is what the server was last given (a digest per graph, kept beside
  the store in `<store>.remote.json`, per server) is not sent again: adding one article
  sends its graphs, the register's and the dataset description, not the corpus;
- a graph the build made last time and no longer makes is dropped; graphs the build does not
  own (written through the API) are never touched;
- last, the state version is moved on, so every front end drops its caches.

A graph is replaced in one request (Graph Store PUT, or DROP + INSERT DATA in one update), so
a reader sees each graph wholly old or wholly new; between two graphs it may see a mix of the
old and the new corpus (the embedded store swaps versions atomically; see the README).
`--full` (or a record from another server) sends every graph.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .ownership import Ownership
from .remote import RemoteStore

Log = Callable[[str], None]


@dataclass
class LoadReport:
    sent: list[str] = field(default_factory=list)
    kept: int = 0
    dropped: list[str] = field(default_factory=list)
    triples_sent: int = 0
    version: str = ""


def record_path(store: Path) -> Path:
    return store.with_name(store.name + ".remote.json")


def _graph_lines(store: ox.Store, graph: ox.NamedNode) -> list[str]:
    return sorted(f"{q.subject} {q.predicate} {q.object} .\n" for q in store.quads_for_pattern(None, None, None, graph))


def load_version(version_dir: Path, store_path: Path, remote: RemoteStore, base_iri: str, dataset_iri: str,
                 void_graph: str, full: bool = False, log: Log = lambda _m: None) -> LoadReport:
    store = ox.Store.read_only(str(version_dir))
    record_file = record_path(store_path)
    server = remote.config.query_url
    try:
        record = json.loads(record_file.read_text()) if record_file.is_file() else {}
    except (OSError, ValueError):
        record = {}
    given: dict[str, str] = {} if full or record.get("server") != server else dict(record.get("graphs", {}))
    owned = Ownership(base_iri)
    report = LoadReport()
    now: dict[str, str] = {}
    for graph in sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value):
        if not owned.owns(graph.value):
            continue  # a graph written through the API, carried by the build: the server has its own copy
        lines = _graph_lines(store, graph)
        digest = hashlib.sha256("".join(lines).encode()).hexdigest()
        now[graph.value] = digest
        if given.get(graph.value) == digest:
            report.kept += 1
            continue
        remote.put_graph(graph.value, "".join(lines))
        report.sent.append(graph.value)
        report.triples_sent += len(lines)
    for gone in sorted(set(given) - set(now)):
        remote.drop_graph(gone)
        report.dropped.append(gone)
    if report.sent or report.dropped:
        report.version = remote.bump_version(dataset_iri, void_graph)
    else:  # nothing changed: front ends keep their caches
        report.version = remote.state_version(dataset_iri) or ""
    tmp = record_file.with_name(record_file.name + ".tmp")
    tmp.write_text(json.dumps({"server": server, "graphs": now}, indent=1, sort_keys=True))
    os.replace(tmp, record_file)
    log(f"loaded into {server}: {len(report.sent)} graphs sent ({report.triples_sent} triples), "
        f"{report.kept} unchanged, {len(report.dropped)} dropped; state version {report.version}")
    return report
