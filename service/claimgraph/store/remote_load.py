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

On servers queried with a dataset that names our graphs (Virtuoso, generic) a changed graph is loaded under
a staging name that readers never see, and a new graph under its own name, which no reader's
dataset names until the graph register does (store/remote_graphs.py); then one update request
switches them in (MOVE each staged graph, DROP the removed ones, update the register, move the
state version on): readers go from the old corpus to the new one at once. Where the default graph
is the union of every graph (Oxigraph, QLever, Virtuoso with CLAIMGRAPH_REMOTE_DATASET=exclusive)
a staging graph would be seen by readers during the load, so each graph is replaced in place, in
one request (wholly old or wholly new), and a reader may see old and new graphs side by side
until the load ends.
`--full` (or a record from another server) sends every graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .ownership import Ownership
from . import remote_graphs
from .remote import STAGING, RemoteStore
from .remote_error import RemoteError

Log = Callable[[str], None]
SWITCH_TIMEOUT_S = 900.0  # moving graphs is the server copying quads: minutes for a whole corpus


@dataclass
class LoadReport:
    sent: list[str] = field(default_factory=list)
    kept: int = 0
    dropped: list[str] = field(default_factory=list)
    triples_sent: int = 0
    version: str = ""
    atomic: bool = True  # readers went from the old corpus to the new one at once (RemoteStore.stages)


def record_path(store: Path) -> Path:
    return store.with_name(store.name + ".remote.json")


def _graph_lines(store: ox.Store, graph: ox.NamedNode) -> list[str]:
    return sorted(f"{q.subject} {q.predicate} {q.object} .\n" for q in store.quads_for_pattern(None, None, None, graph))


def load_version(version_dir: Path, store_path: Path, remote: RemoteStore, base_iri: str, dataset_iri: str,
                 void_graph: str, full: bool = False, log: Log = lambda _m: None,
                 on_staged: Callable[[], None] = lambda: None) -> LoadReport:
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
    # Changed graphs wait for the switch only where every query names its graphs (RemoteStore.stages);
    # Oxigraph's and QLever's union default graph, or an exclusive dataset on Virtuoso, would show
    # them to readers during the load, so there each graph is replaced in place instead.
    staged = remote.stages
    load = uuid.uuid4().hex[:12]
    moves: list[tuple[str, str]] = []
    keeps = remote.config.dialect in remote_graphs.KEEPS_REGISTER
    # One listing serves all three: what readers see, what a killed load left staged, whether a register
    # exists (none yet: this load writes a whole one). Without a register it is a scan of every quad.
    listing = remote.listing() if keeps else remote_graphs.Listing([])
    seed = not listing.registered
    served = set(listing.ours)
    for graph_iri in listing.staging:  # left by a load that was killed before its switch
        remote.drop_graph(graph_iri)
    if listing.staging:
        remote.update(remote_graphs.changes(unstage=listing.staging))
    try:
        for graph in sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value):
            if not owned.owns(graph.value):
                continue  # a graph written through the API, carried by the build: the server has its own copy
            lines = _graph_lines(store, graph)
            digest = hashlib.sha256("".join(lines).encode()).hexdigest()
            now[graph.value] = digest
            if given.get(graph.value) == digest:
                report.kept += 1
                continue
            # A graph readers see now is staged and moved in at the switch; a new one is loaded under
            # its own name, which the register (hence every reader's dataset) names only from the switch.
            target = f"{STAGING}{load}:{len(moves)}" if staged and graph.value in served else graph.value
            if target != graph.value:
                if keeps:
                    remote.update(remote_graphs.changes(stage=[target]))
                moves.append((target, graph.value))
            remote.put_graph(target, "".join(lines))
            report.sent.append(graph.value)
            report.triples_sent += len(lines)
        gone = sorted(set(given) - set(now))
        report.dropped = gone
        on_staged()
        report.atomic = report.atomic and (staged or len(report.sent) + len(report.dropped) <= 1)
        if report.sent or report.dropped or seed:
            # The switch: every changed graph, every dropped one, the register and the new state
            # version in one update request, so readers go from the old corpus to the new one at once.
            text, report.version = remote.version_update(dataset_iri, void_graph)
            register = remote_graphs.changes(add=[*report.sent, *(served | set(now) if seed else ())],
                                             remove=gone, unstage=[a for a, _b in moves],
                                             system=listing.system if seed else ()) if keeps else ""
            steps = [*(f"MOVE SILENT GRAPH <{a}> TO GRAPH <{b}>" for a, b in moves),
                     *(f"DROP SILENT GRAPH <{g}>" for g in gone), *([register] if register else []), text]
            try:
                remote.update(" ;\n".join(steps), timeout=SWITCH_TIMEOUT_S)
            except RemoteError as exc:
                if exc.status != 502 or not moves:
                    raise
                # Too big for one transaction on this server (Virtuoso's transaction log limit,
                # SR325, at ~1.6M triples moved): switched graph by graph instead, each whole.
                report.atomic = False
                log(f"the server refused the switch as one request ({exc.message}); switching graph by graph")
                for step in steps:
                    remote.update(step, timeout=SWITCH_TIMEOUT_S)
        else:  # nothing changed: front ends keep their caches
            report.version = remote.state_version(dataset_iri) or ""
    except BaseException:
        for staging, _target in moves:
            try:
                remote.drop_graph(staging)
            except Exception:  # noqa: BLE001 - best effort; the next load drops what is left
                pass
        raise
    tmp = record_file.with_name(record_file.name + ".tmp")
    # Which local version the server's state now holds: a front end beside this store may search
    # with that version's index while the server stays in that state (api/rest/search.py).
    tmp.write_text(json.dumps({"server": server, "graphs": now, "state_version": report.version,
                               "version_dir": version_dir.name}, indent=1, sort_keys=True))
    os.replace(tmp, record_file)
    log(f"loaded into {server}: {len(report.sent)} graphs sent ({report.triples_sent} triples), "
        f"{report.kept} unchanged, {len(report.dropped)} dropped; state version {report.version}"
        + ("" if report.atomic else " (replaced graph by graph: readers saw old and new graphs side by side)"))
    return report


def loaded_index(store_path: Path, server: str, state_version: str) -> Path | None:
    """The search index of the local version whose load left the server in `state_version`, if any."""
    from .search_index import file_for

    try:
        record = json.loads(record_path(Path(store_path)).read_text())
    except (OSError, ValueError):
        return None
    if record.get("server") != server or record.get("state_version") != state_version or not record.get("version_dir"):
        return None
    return file_for(Path(store_path), record["version_dir"])
