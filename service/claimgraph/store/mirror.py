"""An in-memory copy of a small store version, for the user queries a serving process answers itself.

pyoxigraph's in-memory store answers a never-repeated point lookup in half the
time its RocksDB store takes (38 vs 77 µs on 93k quads: no LSM levels, no
block decoding, no string-table reads through the block cache). A served
store version never changes (a build makes a new directory, a write a new
snapshot, sparql/engine.py keys everything by the directory), so a copy keyed
by the directory stays exact.

The copy is made in a thread once a version has been served for a second: a
capped COUNT, an N-Quads dump and a bulk load, all in Rust with the GIL
released (~0.8 s for 93k quads; the event loop keeps answering). Only versions
of at most `max_quads` quads are copied (a copy holds ~470 bytes a quad, ~700
while it is made); until the copy is ready, and for bigger stores, callers
keep using the disk store.

The N-Quads parser gives blank nodes fresh labels in the copy. The SPARQL
results formats scope a label to one result set, so the copy serves single
user queries only, never lookups that carry a blank node from one query into
the next (the REST layer's DESCRIBE does: our own queries stay on disk).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger("claimgraph.store")

# Quads in the default graph and every named graph (what a dump holds), counted up to a cap.
_COUNT = ("SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }} "
          "LIMIT {cap} }} }}")
# On disk a quad takes ~180 bytes here: data over this many bytes a quad (past a fixed 1 MB for
# the per-index tables even an empty store has) is too big to count.
_DISK_BYTES_PER_QUAD_CEILING = 1024
_DISK_BYTES_FIXED = 1 << 20
# A version is copied once it has been served this long: a burst of writes, each making a new
# version, must not keep a core busy copying versions that are gone before their copy is ready.
SETTLE_S = 1.0


class MemoryMirror:
    def __init__(self, max_quads: int, settle_s: float = SETTLE_S):
        self.max_quads = max_quads
        self.settle_s = settle_s
        self._lock = threading.Lock()
        # One tuple, replaced whole under the lock and read without it, so a reader never pairs
        # one version's directory with another's copy:
        # (directory, its copy or None, quads in it, when first asked for, copy started).
        self._state: tuple[Path, ox.Store | None, int, float, bool] | None = None
        self._copying = False  # one copy at a time
        self._last_copy_s = 0.0  # how long the last copy took
        self.loads = 0  # copies made

    def get(self, store_dir: Path, disk: ox.Store, start: bool = True) -> ox.Store | None:
        """The in-memory copy of `store_dir` if it is ready, else None.

        `disk` is an open read-only handle on `store_dir`. A directory asked for
        for `settle_s` (longer when copies take long: versions replaced faster
        than they can be copied are not copied) starts being copied in the
        background on the next ask, unless `start` is False."""
        state = self._state
        if state is not None and (state[0] is store_dir or state[0] == store_dir) and (state[1] is not None or state[4]):
            return state[1]  # the copy, or None for good (declined, failed, or being made)
        if self.max_quads <= 0:
            return None
        with self._lock:
            now = time.monotonic()
            if self._state is None or self._state[0] != store_dir:
                self._state = (store_dir, None, 0, now, False)
            _dir, copy, _count, since, started = self._state
            if start and copy is None and not started and not self._copying and now - since >= self._settle():
                self._start(store_dir, disk, since)
            return self._state[1]

    def due_in(self, store_dir: Path) -> float | None:
        """Seconds until get() would start copying `store_dir` (0: now), for a caller that can ask
        again when idle; None when asking will not start one (not asked for yet, copied, being
        copied, declined, or copies off)."""
        state = self._state
        if self.max_quads <= 0 or state is None or state[0] != store_dir or state[1] is not None or state[4]:
            return None
        if self._copying:  # another version's copy is still being made: look again later
            return self.settle_s
        return max(0.0, state[3] + self._settle() - time.monotonic())

    def _settle(self) -> float:
        """How long a version must be served before it is copied: longer when copies take long,
        so that versions replaced faster than they can be copied are not copied."""
        return max(self.settle_s, 4 * self._last_copy_s)

    def _start(self, store_dir: Path, disk: ox.Store, since: float) -> None:
        self._state = (store_dir, None, 0, since, True)
        self._copying = True
        try:
            threading.Thread(target=self._copy, args=(store_dir, disk), daemon=True,
                             name="claimgraph-mirror").start()
        except Exception as exc:  # noqa: BLE001 - no thread to be had (or no memory for one): stay on disk
            self._copying = False
            log.warning("no in-memory copy of %s (%s): queries read it on disk", store_dir, exc)

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
        began = time.monotonic()
        try:
            copy, count = self._copied(store_dir, disk)
        finally:
            with self._lock:
                self._copying = False
                self._last_copy_s = time.monotonic() - began
                state = self._state
                if copy is not None and state is not None and state[0] == store_dir:
                    self._state = (store_dir, copy, count, state[3], True)
                    self.loads += 1

    def _copied(self, store_dir: Path, disk: ox.Store) -> tuple[ox.Store | None, int]:
        try:
            if _bytes_under(store_dir) > self.max_quads * _DISK_BYTES_PER_QUAD_CEILING + _DISK_BYTES_FIXED:
                return None, 0
            rows = disk.query(_COUNT.format(cap=self.max_quads + 1))
            count = int(next(iter(rows))[0].value)  # type: ignore[call-overload, index, union-attr]
            if count > self.max_quads:
                log.info("store %s has more than CLAIMGRAPH_MEMORY_QUADS=%d quads: queries read it on disk",
                         store_dir, self.max_quads)
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
