"""Which store directory is live right now, re-read at most every LOCATOR_TTL_S.

A build swaps the `store` symlink and then waits LOCATOR_TTL_S before it returns, so a
server answers the first request after the build from the new version, without a restart.
A writer pins the snapshot it made after its last write; that pin belongs to the version
it was made from and lapses as soon as the link points elsewhere.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from .swap import current_version_dir

LOCATOR_TTL_S = 0.25


class StoreLocator:
    def __init__(self, store: Path, ttl: float = LOCATOR_TTL_S):
        self.store = Path(store)
        self.ttl = ttl
        self._checked = 0.0
        self._dir: Path | None = None
        self._override: Path | None = None  # a writer's snapshot of version `_pinned_for`
        self._pinned_for: Path | None = None
        self._lock = threading.Lock()

    def current(self) -> Path:
        now = time.monotonic()
        if self._dir is None or now - self._checked > self.ttl:
            with self._lock:
                found = current_version_dir(self.store)
                if found is None:
                    raise FileNotFoundError(f"no built store at {self.store} (run `claimgraph build`)")
                self._dir, self._checked = found, now
                if self._override is not None and found != self._pinned_for:
                    self._override = self._pinned_for = None  # a build replaced the pinned version
        override = self._override
        if override is not None:
            return override
        assert self._dir is not None
        return self._dir

    def pin(self, directory: Path | None, version: Path | None = None) -> None:
        """Serve `directory` (a snapshot of live version `version`) until unpinned or until
        the store link moves to another version."""
        with self._lock:
            self._override, self._pinned_for = directory, version
            if directory is not None and version is not None and self._dir is None:
                self._dir, self._checked = version, time.monotonic()
