"""The one error a remote backend gives (store/remote.py and its dialects)."""

from __future__ import annotations

from ..failure import Failure


class RemoteError(Failure):
    """The backend could not answer: unreachable (503), timed out (503) or wrong (502)."""
