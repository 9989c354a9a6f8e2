"""The single writer: updates go to the live store, readers move to a fresh snapshot.

pyoxigraph loses updates under concurrent writers and reading a directory
while another process writes it is undefined, so: one lock, one read-write
handle in this process, and after every write a hard-linked snapshot
(`Store.backup`) that query workers open read-only.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

import pyoxigraph as ox

from .locator import StoreLocator
from .swap import current_version_dir

T = TypeVar("T")
KEEP_SNAPSHOTS = 3


class StoreWriter:
    def __init__(self, store: Path, locator: StoreLocator):
        self.store = Path(store)
        self.locator = locator
        self._lock = threading.Lock()
        self._rw: ox.Store | None = None
        self._live: Path | None = None
        self._snapshots: list[Path] = []
        self.writes = 0

    def _ensure_open(self) -> ox.Store:
        live = current_version_dir(self.store)
        if live is None:
            raise FileNotFoundError(f"no built store at {self.store}")
        if self._rw is None or self._live != live:
            # A build swapped in a new version: write to that one from now on.
            self.locator.pin(None)
            self._rw = None
            self._rw = ox.Store(str(live))
            self._live = live
            self._snapshot()
        return self._rw

    def _snapshot(self) -> None:
        assert self._rw is not None and self._live is not None
        base = self._live.parent / f"{self._live.name}.snapshots"
        base.mkdir(exist_ok=True)
        target = base / f"{time.time_ns()}"
        self._rw.flush()
        self._rw.backup(str(target))
        self._snapshots.append(target)
        self.locator.pin(target)
        while len(self._snapshots) > KEEP_SNAPSHOTS:
            # Workers that still hold an old snapshot keep their open files (hard links).
            shutil.rmtree(self._snapshots.pop(0), ignore_errors=True)

    def start(self) -> None:
        with self._lock:
            self._ensure_open()

    def write(self, action: Callable[[ox.Store], T]) -> T:
        """Run one write under the lock, then publish a snapshot for readers."""
        with self._lock:
            store = self._ensure_open()
            result = action(store)
            self.writes += 1
            self._snapshot()
            return result
