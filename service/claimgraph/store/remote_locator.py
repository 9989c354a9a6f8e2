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
        self._known_at = 0.0  # when a write through this process set the version
        self._poller: threading.Thread | None = None
        self.last_error: str | None = None  # the last poll's failure, None once the backend answers
        self._lock = threading.RLock()  # version() polls under it the first time

    def version(self) -> str:
        """The last state version seen. The first call asks the server (and fails if it cannot); after
        that a background thread polls every `ttl` seconds, so no request ever waits on a poll (a
        server that has gone away costs its connect timeout there, not on the event loop)."""
        if self._version is None:
            with self._lock:
                if self._version is None:
                    self._poll(raise_errors=True)
        if self._poller is None:
            with self._lock:
                if self._poller is None:
                    self._poller = threading.Thread(target=self._poll_forever, name="claimgraph-remote-poll",
                                                    daemon=True)
                    self._poller.start()
        assert self._version is not None
        return self._version

    def _poll(self, raise_errors: bool = False) -> None:
        try:
            found = self.remote.state_version(self.dataset_iri) or "unversioned"
        except RemoteError as exc:
            self.last_error = exc.message  # /health says so; queries fail on their own, clearly
            if raise_errors:
                raise
            return
        self.last_error = None
        with self._lock:
            if time.monotonic() - self._known_at > self.ttl:  # not racing a write this process just made
                self._version = found

    def _poll_forever(self) -> None:
        while True:
            time.sleep(self.ttl)
            self._poll()

    def current(self) -> PurePosixPath:
        """A stand-in for the version directory: what cache keys are made of."""
        return PurePosixPath("remote", self.version())

    def known(self, version: str) -> None:
        """A write through this front end made `version`: no need to poll for it."""
        with self._lock:
            self._version, self._known_at = version, time.monotonic()

    def pin(self, directory: object = None, version: object = None) -> None:
        """Nothing to pin: a remote backend has no snapshots (store/writer.py pins embedded ones)."""
