"""The file of tables the build writes beside each store version (store/search_index.py: search,
and each entity's lists), as the serving process finds and opens it for the live version."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from ...store import search_index as sidx
from ...store.entity_lists import EntityLists, has_tables
from ...store.remote_load import loaded_index

_lock = threading.Lock()


def version_file(ctx: Any, current: Path) -> Path | None:
    """The index file the build wrote for the live version `current`, if it can serve it: for a
    remote backend, only while the server is still in the state the build loaded (a front end
    beside the store; any write moves the state on)."""
    if ctx.engine.remote is not None:
        return loaded_index(ctx.settings.store, ctx.engine.remote.config.query_url, current.name)
    return sidx.index_path(ctx.settings.store, current)


def entity_lists(ctx: Any) -> EntityLists | None:
    """The live version's entity lists, or None when its file does not have them (a version made by
    a write through the API, or by older code): the caller then asks the store."""
    current = ctx.engine.locator.current()
    key = (str(current), ctx.engine.generation)
    with _lock:
        cached = ctx.extras.get("entity_lists")
        if cached is not None and cached[0] == key:
            return cached[1]
        path = version_file(ctx, current)
        lists = None
        if path is not None and path.is_file():
            # immutable=1: the file never changes once written (a new version has a new file).
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            lists = EntityLists(conn) if has_tables(conn) else None
            if lists is None:
                conn.close()
        ctx.extras["entity_lists"] = (key, lists)
        return lists
