"""Building a store beside the live one and swapping it in atomically.

`<store>` is a symlink to `<store>.versions/<version>`. A build fills a
directory named `.partial-<stamp>-<pid>` and renames it to `<stamp>` only
once it is complete, so a build killed half-way leaves nothing that looks
like a version: pruning never counts it, and the next build removes it.
Only then does a rename replace the symlink: readers see the old store or
the new one, never half of either, and a failed build leaves the live one
untouched.

Writes acknowledged through the API live in the graphs the build does not
own (see `store.ownership`). Just before the swap, under the writers' lock
(`store.writelock`), those graphs are copied from the live version into the
new one, so a rebuild never discards an acknowledged write.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from ..processes import alive as _alive
from .writelock import write_lock

KEEP_VERSIONS = 2  # the live version and the one before it (a server may still read it)
PARTIAL = ".partial-"

Carry = Callable[[ox.Store, ox.Store], int]


def versions_dir(store: Path) -> Path:
    return store.with_name(store.name + ".versions")


def current_version_dir(store: Path) -> Path | None:
    if store.is_symlink():
        target = store.resolve()
        return target if target.is_dir() else None
    if store.is_dir():
        return store  # a plain directory: a store someone made by hand
    return None


def complete_versions(store: Path) -> list[Path]:
    """Finished versions, oldest first (names are time stamps). Partial builds never count."""
    vdir = versions_dir(store)
    if not vdir.is_dir():
        return []
    return sorted(p for p in vdir.iterdir() if p.is_dir() and not p.name.startswith("."))



def clean_partials(store: Path) -> list[Path]:
    """Remove half-built versions whose build process is gone (killed, or lost power)."""
    vdir = versions_dir(store)
    removed: list[Path] = []
    if not vdir.is_dir():
        return removed
    for p in vdir.iterdir():
        if not p.name.startswith(PARTIAL):
            continue
        try:
            pid = int(p.name.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            pid = -1
        if pid == os.getpid() or (pid > 0 and _alive(pid)):
            continue  # a build running right now
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    for tmp in store.parent.glob(f".{store.name}.*.tmp"):  # a symlink a killed swap left
        try:
            pid = int(tmp.name.split(".")[-2])
        except (IndexError, ValueError):
            pid = -1
        if not (pid > 0 and _alive(pid)):
            tmp.unlink(missing_ok=True)
    return removed


def _stamp(vdir: Path) -> str:
    while True:
        stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
        if not (vdir / stamp).exists():
            return stamp


def build_beside(store: Path, fill: Callable[[ox.Store, Path | None], None], carry: Carry | None = None,
                 copy_live: bool = False, finish: Callable[[ox.Store, str], None] | None = None) -> Path:
    """Create a new version, fill it, carry the live version's non-build graphs into it,
    then atomically make it the live one. With `copy_live`, the new version starts as a
    hard-linked snapshot of the live one, and `fill` is told which version that was.
    `finish(store, version name)` runs last before the swap, on the complete contents (the
    search index is written there, so a version is never live without its own)."""
    store = Path(store)
    if store.exists() and not store.is_symlink():
        raise RuntimeError(f"{store} is a plain directory; move it away so builds can swap versions atomically")
    clean_partials(store)
    vdir = versions_dir(store)
    vdir.mkdir(parents=True, exist_ok=True)
    stamp = _stamp(vdir)
    partial = vdir / f"{PARTIAL}{stamp}-{os.getpid()}"
    base = current_version_dir(store) if copy_live else None
    try:
        if base is not None:
            ox.Store.read_only(str(base)).backup(str(partial))
        else:
            partial.mkdir()
        s = ox.Store(str(partial))
        fill(s, base)
        s.flush()
        with write_lock(store):
            # No API write can start or finish while we hold this: what we copy is every
            # acknowledged write, and nothing is acknowledged on the old version after it.
            live = current_version_dir(store)
            if carry is not None and live is not None:
                carry(ox.Store.read_only(str(live)), s)
                s.flush()
            if finish is not None:
                finish(s, stamp)
            del s
            target = vdir / stamp
            os.rename(partial, target)  # complete: now it may count as a version
            _swap_link(store, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    prune(store, keep=live)
    return target


def _swap_link(store: Path, target: Path) -> None:
    tmp_link = store.with_name(f".{store.name}.{os.getpid()}.tmp")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(target, store.parent), tmp_link)
    os.replace(tmp_link, store)  # atomic on POSIX


def prune(store: Path, keep: Path | None = None) -> None:
    """Keep the live version and the one live before it (`keep`, else the newest other
    complete one); remove older complete versions. Partial builds are not versions."""
    live = current_version_dir(store)
    versions = complete_versions(store)
    kept = {p.resolve() for p in (live, keep) if p is not None}
    for old in reversed(versions):
        if len(kept) >= KEEP_VERSIONS:
            break
        kept.add(old.resolve())
    for old in versions:
        if old.resolve() not in kept:
            shutil.rmtree(old, ignore_errors=True)
