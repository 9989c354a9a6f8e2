"""One lock file that every writer of a store's live version takes, across processes.

The API's writer holds it for each write (and the snapshot after it); a build holds it
while it copies the live version's non-build graphs into its new version and swaps the
symlink. So a write is either in the live version before the copy (and carried) or made
after the swap on the new version: it is never acknowledged on a version about to go.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def lock_path(store: Path) -> Path:
    return Path(store).with_name(f".{Path(store).name}.writelock")


@contextmanager
def write_lock(store: Path) -> Iterator[None]:
    path = lock_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
        yield
    finally:
        os.close(fd)
