"""Which state of a remote backend is live: its state version, polled at most every `ttl` seconds.

The embedded store's locator (store/locator.py) names a version directory; every cache key and
every "has the store changed?" question is asked of it. With a remote backend there is no
directory: the state version the build and every write leave on the dataset
(store/remote.py, VERSION_PREDICATE) plays its part, so a front end notices a write or a build
made through another front end within `ttl` seconds (CLAIMGRAPH_REMOTE_POLL_S) and never
answers from a cache of an older state after that.
"""

from __future__ import annotations

import threading
import time
from pathlib import PurePosixPath

from .remote import RemoteError, RemoteStore

REMOTE_POLL_S = 1.0


class RemoteLocator:
    def __init__(self, remote: RemoteStore, dataset_iri: str, ttl: float = REMOTE_POLL_S):
        self.remote = remote
        self.dataset_iri = dataset_iri
        self.ttl = ttl
        self._version: str | None = None
        self._checked = 0.0
        self.last_error: str | None = None  # the last poll's failure, None once the backend answers
        self._lock = threading.Lock()

    def version(self) -> str:
        now = time.monotonic()
        if self._version is None or now - self._checked > self.ttl:
            with self._lock:
                if self._version is None or now - self._checked > self.ttl:
                    try:
                        self._version = self.remote.state_version(self.dataset_iri) or "unversioned"
                        self.last_error = None
                    except RemoteError as exc:
                        self.last_error = exc.message  # /health says so
                        if self._version is None:
                            raise
                        # Keep the last known state for this poll; the query itself will fail
                        # clearly if the backend is really gone.
                    self._checked = now
        assert self._version is not None
        return self._version

    def current(self) -> PurePosixPath:
        """A stand-in for the version directory: what cache keys are made of."""
        return PurePosixPath("remote", self.version())

    def known(self, version: str) -> None:
        """A write through this front end made `version`: no need to poll for it."""
        with self._lock:
            self._version, self._checked = version, time.monotonic()

    def pin(self, directory: object = None, version: object = None) -> None:
        """Nothing to pin: a remote backend has no snapshots (store/writer.py pins embedded ones)."""
