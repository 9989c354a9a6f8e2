"""Building a store beside the live one and swapping it in atomically.

`<store>` is a symlink to `<store>.versions/<version>`. A build writes a new
version directory, and only when it is complete does a rename replace the
symlink: readers see the old store or the new one, never half of either,
and a failed build leaves the live one untouched.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

KEEP_VERSIONS = 2


def versions_dir(store: Path) -> Path:
    return store.with_name(store.name + ".versions")


def current_version_dir(store: Path) -> Path | None:
    if store.is_symlink():
        target = store.resolve()
        return target if target.is_dir() else None
    if store.is_dir():
        return store  # a plain directory: a store someone made by hand
    return None


def new_version_dir(store: Path) -> Path:
    vdir = versions_dir(store)
    vdir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
    path = vdir / stamp
    path.mkdir()
    return path


def build_beside(store: Path, fill: Callable[[ox.Store], None]) -> Path:
    """Create a new version, fill it, then atomically make it the live one."""
    store = Path(store)
    if store.exists() and not store.is_symlink():
        raise RuntimeError(f"{store} is a plain directory; move it away so builds can swap versions atomically")
    target = new_version_dir(store)
    try:
        s = ox.Store(str(target))
        fill(s)
        s.flush()
        del s
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    tmp_link = store.with_name(f".{store.name}.{os.getpid()}.tmp")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(target, store.parent), tmp_link)
    os.replace(tmp_link, store)  # atomic on POSIX
    prune(store)
    return target


def prune(store: Path) -> None:
    """Keep the live version and the one before it (a server may still read it)."""
    live = current_version_dir(store)
    versions = sorted(p for p in versions_dir(store).iterdir() if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if live is None or old.resolve() != live.resolve():
            shutil.rmtree(old, ignore_errors=True)
