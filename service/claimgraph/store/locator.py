"""Which store directory is live right now, re-read at most once a second.

A build swaps the `store` symlink; servers notice on their next request and
move to the new version without a restart.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .swap import current_version_dir


class StoreLocator:
    def __init__(self, store: Path, ttl: float = 1.0):
        self.store = Path(store)
        self.ttl = ttl
        self._checked = 0.0
        self._dir: Path | None = None
        self._override: Path | None = None
        self._lock = threading.Lock()

    def current(self) -> Path:
        now = time.monotonic()
        if self._override is not None:
            return self._override
        if self._dir is None or now - self._checked > self.ttl:
            with self._lock:
                found = current_version_dir(self.store)
                if found is None:
                    raise FileNotFoundError(f"no built store at {self.store} (run `claimgraph build`)")
                self._dir, self._checked = found, now
        assert self._dir is not None
        return self._dir

    def pin(self, directory: Path | None) -> None:
        """Serve a specific directory (a snapshot after a write) until unpinned."""
        self._override = directory

    @property
    def version(self) -> str:
        d = self.current()
        try:
            return f"{d.name}@{os.stat(d).st_mtime_ns}"
        except FileNotFoundError:
            return d.name
