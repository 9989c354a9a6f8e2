"""An in-memory copy of a small store version, for the user queries a serving process answers itself.

pyoxigraph's in-memory store answers a never-repeated point lookup in half the
time its RocksDB store takes (38 vs 77 µs on 93k quads: no LSM levels, no
block decoding, no string-table reads through the block cache). A served
store version never changes (a build makes a new directory, a write a new
snapshot, sparql/engine.py keys everything by the directory), so a copy keyed
by the directory stays exact.

The copy is made in a thread: a COUNT, an N-Quads dump and a bulk load, all
in Rust with the GIL released (~0.8 s for 93k quads; the event loop keeps
answering). Only versions of at most `max_quads` quads are copied (the copy
costs ~650 bytes a quad); until the copy is ready, and for bigger stores,
callers keep using the disk store.

The N-Quads parser gives blank nodes fresh labels in the copy. The SPARQL
results formats scope a label to one result set, so the copy serves single
user queries only, never lookups that carry a blank node from one query into
the next (the REST layer's DESCRIBE does: our own queries stay on disk).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger("claimgraph.store")

# Counts the default graph and every named graph, as a dump holds them.
_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
# On disk a quad takes ~180 bytes here; data this many times max_quads is too big to count.
_DISK_BYTES_PER_QUAD_CEILING = 4096


class MemoryMirror:
    def __init__(self, max_quads: int):
        self.max_quads = max_quads
        self._lock = threading.Lock()
        # (directory, copy or None while loading / not copied, quads in the copy)
        self._state: tuple[Path, ox.Store | None, int] | None = None
        self._copying = False  # one copy at a time: a burst of writes must not start one per version
        self.loads = 0  # copies made, for tests and /metrics

    def get(self, store_dir: Path, disk: ox.Store) -> ox.Store | None:
        """The in-memory copy of `store_dir` if it is ready, else None.

        `disk` is an open read-only handle on `store_dir`; the first call for a
        directory starts copying it in the background."""
        state = self._state
        if state is not None and (state[0] is store_dir or state[0] == store_dir):
            return state[1]
        if self.max_quads <= 0:
            return None
        with self._lock:
            if not self._copying and (self._state is None or self._state[0] != store_dir):
                self._state = (store_dir, None, 0)
                self._copying = True
                threading.Thread(target=self._copy, args=(store_dir, disk), daemon=True,
                                 name="claimgraph-mirror").start()
        return None

    @property
    def quads(self) -> int:
        """Quads in the copy now in use (0: queries read the disk store)."""
        state = self._state
        return state[2] if state is not None and state[1] is not None else 0

    @property
    def copying(self) -> bool:
        return self._copying

    def forget(self) -> None:
        """Drop the copy (a write made a new version: the next get() copies that one)."""
        with self._lock:
            self._state = None

    def _copy(self, store_dir: Path, disk: ox.Store) -> None:
        copy, count = None, 0
        try:
            copy, count = self._copied(store_dir, disk)
        finally:
            with self._lock:
                self._copying = False
                if copy is not None and self._state is not None and self._state[0] == store_dir:
                    self._state = (store_dir, copy, count)
                    self.loads += 1

    def _copied(self, store_dir: Path, disk: ox.Store) -> tuple[ox.Store | None, int]:
        try:
            if _bytes_under(store_dir) > self.max_quads * _DISK_BYTES_PER_QUAD_CEILING:
                return None, 0
            count = int(next(iter(disk.query(_COUNT)))[0].value)  # type: ignore[index, arg-type]
            if count > self.max_quads:
                log.info("store %s has %d quads, more than CLAIMGRAPH_MEMORY_QUADS=%d: queries read it on disk",
                         store_dir, count, self.max_quads)
                return None, 0
            copy = ox.Store()
            copy.bulk_load(disk.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
            return copy, count
        except Exception as exc:  # noqa: BLE001 - the disk store keeps answering
            log.warning("no in-memory copy of %s (%s): queries read it on disk", store_dir, exc)
            return None, 0


def _bytes_under(directory: Path) -> int:
    """Bytes of data (tables and write-ahead logs) in a RocksDB directory: not its fixed ~300 KB of
    OPTIONS and LOG files, which would keep a tiny store from ever being copied."""
    total = 0
    for entry in os.scandir(directory):
        if entry.name.endswith((".sst", ".log")) and entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total
