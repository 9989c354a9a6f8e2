"""The single writer: updates go to the live store, readers move to a fresh snapshot.

pyoxigraph loses updates under concurrent writers and reading a directory
while another process writes it is undefined, so: one lock, one read-write
handle in this process, and after every write a hard-linked snapshot
(`Store.backup`) that query workers open read-only. Each write also holds the
store's cross-process write lock (store/writelock.py), which a build takes
to carry the written graphs into its new version and swap it in: a write
always lands on the version that is live when it is acknowledged.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

import pyoxigraph as ox

from .locator import StoreLocator
from .search_index import index_path
from .swap import current_version_dir
from .writelock import write_lock

T = TypeVar("T")
KEEP_SNAPSHOTS = 3
# A query worker is handed a snapshot path and opens it a moment later (after
# waiting for a free worker, up to the query deadline), and may open more of
# its files while the query runs; a burst of writes must not delete it in
# between, so old snapshots age out by time, not only by count.
SNAPSHOT_GRACE_S = 30.0


class StoreWriter:
    def __init__(self, store: Path, locator: StoreLocator, grace: float = SNAPSHOT_GRACE_S):
        self.store = Path(store)
        self.locator = locator
        self.grace = grace  # seconds a superseded snapshot stays readable
        self._lock = threading.Lock()
        self._rw: ox.Store | None = None
        self._live: Path | None = None
        self._snapshots: list[tuple[float, Path]] = []
        self.writes = 0

    def _ensure_open(self) -> ox.Store:
        live = current_version_dir(self.store)
        if live is None:
            raise FileNotFoundError(f"no built store at {self.store}")
        if self._rw is None or self._live != live:
            # A build swapped in a new version: write to that one from now on.
            first = self._rw is None
            self.locator.pin(None)
            self._rw = None
            self._rw = ox.Store(str(live))
            self._live = live
            self._sweep(everything=first)
            self._snapshot()
        return self._rw

    @property
    def snapshots_root(self) -> Path:
        # Beside `<store>.versions`, not inside it: swap.prune counts what is in there.
        return self.store.with_name(self.store.name + ".snapshots")

    def _sweep(self, everything: bool) -> None:
        """Remove snapshots left by an earlier process (all) or an older version (once stale)."""
        root = self.snapshots_root
        if not root.is_dir():
            return
        kept = {p for _t, p in self._snapshots}
        for version in root.iterdir():
            for snap in list(version.iterdir()) if version.is_dir() else []:
                if snap in kept:
                    continue
                try:
                    stale = time.time() - snap.stat().st_mtime > self.grace
                except FileNotFoundError:
                    continue
                if everything or stale:
                    shutil.rmtree(snap, ignore_errors=True)
            if version.is_dir() and not any(version.iterdir()):
                try:
                    version.rmdir()
                except OSError:
                    pass

    def _snapshot(self) -> None:
        assert self._rw is not None and self._live is not None
        base = self.snapshots_root / self._live.name
        base.mkdir(parents=True, exist_ok=True)
        target = base / f"{time.time_ns()}"
        self._rw.flush()
        self._rw.backup(str(target))
        now = time.monotonic()
        self._snapshots.append((now, target))
        self.locator.pin(target, self._live)
        while len(self._snapshots) > KEEP_SNAPSHOTS and now - self._snapshots[0][0] > self.grace:
            # Workers that still hold an old snapshot keep their open files (hard links).
            shutil.rmtree(self._snapshots.pop(0)[1], ignore_errors=True)

    def start(self) -> None:
        with self._lock, write_lock(self.store):
            self._ensure_open()

    def write(self, action: Callable[[ox.Store], T]) -> T:
        """Run one write under the lock, then publish a snapshot for readers."""
        with self._lock, write_lock(self.store):
            store = self._ensure_open()
            result = action(store)
            self.writes += 1
            # The live version has changed under its search index: drop the index, so that no
            # process (now or after a restart) searches what the version no longer holds.
            found = index_path(self.store, self._live) if self._live is not None else None
            if found is not None:
                found.unlink(missing_ok=True)
            self._snapshot()
            return result
