"""What the last build learned about each article folder, so the next one need not read it again.

Hashing every article's two files to find its content key cost ~1.1 s at 10,000 articles, and
reading every cache entry's meta.json another ~0.4 s: most of a rebuild in which one article
changed. The memo keeps, per folder, the stat of both files (inode, size, mtime and ctime in
ns), the key they hashed to under which shared key, and that part's meta. A folder whose files
stat the same is trusted without reading them, as git trusts its index.

A file changed within the same timestamp tick as the build that read it would stat the same
("racy", in git's word): an entry is trusted only if both files were last modified at least
RACY_NS before the memo was made; younger ones are hashed again on every build until they age.
The memo is an optimisation only: lost, stale or unreadable, the keys are hashed as before.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .cache import PartMeta
from .keys import article_key

FILES = ("reading.yaml", "article.txt")
RACY_NS = 2_000_000_000


def _stat(folder: Path) -> list[int] | None:
    out: list[int] = []
    for name in FILES:
        try:
            st = os.stat(folder / name)
        except OSError:
            return None
        out += [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    return out


class KeyMemo:
    def __init__(self, path: Path):
        self.path = path
        self.started = time.time_ns()
        try:
            doc = json.loads(path.read_text())
            self._old: dict[str, dict] = doc["folders"]
            self._made: int = int(doc["made"])
        except (OSError, ValueError, KeyError, TypeError):
            self._old, self._made = {}, 0
        self._new: dict[str, dict] = {}

    def key(self, shared: str, folder: Path) -> str:
        """The folder's content key (stream/keys.py article_key), hashed only if its files changed."""
        stat = _stat(folder)
        old = self._old.get(folder.name)
        if (stat is not None and old is not None and old.get("shared") == shared and old.get("stat") == stat
                and max(stat[2], stat[3], stat[6], stat[7]) < self._made - RACY_NS):
            self._new[folder.name] = old
            return old["key"]
        key = article_key(shared, folder)
        if stat is not None:
            self._new[folder.name] = {"shared": shared, "stat": stat, "key": key}
        return key

    def meta(self, slug: str, key: str) -> PartMeta | None:
        entry = self._new.get(slug)
        if entry is not None and entry.get("key") == key and isinstance(entry.get("meta"), dict):
            try:
                return PartMeta(**entry["meta"])
            except TypeError:  # a memo written by other code
                return None
        return None

    def save(self, metas: dict[str, PartMeta]) -> None:
        """Write the memo of this build's folders (with their parts' metas) atomically."""
        for slug, meta in metas.items():
            if slug in self._new:
                self._new[slug]["meta"] = dict(vars(meta))  # dataclasses.asdict: 0.5 s at 10,000
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"made": self.started, "folders": self._new}))
        tmp.replace(self.path)
