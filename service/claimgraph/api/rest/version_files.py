"""The file of tables the build writes beside each store version (store/search_index.py: search,
and each entity's lists), as the serving process finds and opens it for the live version."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar

from ...store import search_index as sidx
from ...store.entity_lists import EntityLists, has_tables
from ...store.remote_load import loaded_index

_lock = threading.Lock()
_locks: dict[str, threading.Lock] = {}
T = TypeVar("T")


def version_file(ctx: Any, current: Path) -> Path | None:
    """The index file the build wrote for the live version `current`, if it can serve it: for a
    remote backend, only while the server is still in the state the build loaded (a front end
    beside the store; any write moves the state on)."""
    if ctx.engine.remote is not None:
        return loaded_index(ctx.settings.store, ctx.engine.remote.config.query_url, current.name)
    return sidx.index_path(ctx.settings.store, current)


def per_version(ctx: Any, name: str, make: Callable[[Path], T]) -> T:
    """`make(current)` for the live version, made once per version and write generation and kept in
    ctx.extras[name] (what the search and the entity lists open from the version's file)."""
    current = ctx.engine.locator.current()
    key = (str(current), ctx.engine.generation)
    with _lock:  # one lock per name: a search index made in memory (minutes at 10,000) blocks no other
        lock = _locks.setdefault(name, threading.Lock())
    with lock:
        cached = ctx.extras.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        value = make(current)
        ctx.extras[name] = (key, value)
        return value


def entity_lists(ctx: Any) -> EntityLists | None:
    """The live version's entity lists, or None when its file does not have them (a version made by
    a write through the API, or by older code): the caller then asks the store."""
    def open_lists(current: Path) -> EntityLists | None:
        path = version_file(ctx, current)
        if path is None or not path.is_file():
            return None
        # immutable=1: the file never changes once written (a new version has a new file).
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        if has_tables(conn):
            return EntityLists(conn)
        conn.close()
        return None

    return per_version(ctx, "entity_lists", open_lists)
