"""A byte-bounded LRU of finished answers, keyed by query, dataset, format and store version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable


class AnswerCache:
    def __init__(self, entries: int, max_bytes: int = 256 * 1024 * 1024, max_item: int = 4 * 1024 * 1024):
        self.entries = entries
        self.max_bytes = max_bytes
        self.max_item = max_item
        self._data: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, count_miss: bool = True) -> Any | None:
        """The value, or None; `count_miss=False` for a first look whose miss is counted by a second."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += count_miss
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item[1]

    def miss(self) -> None:
        """Count a miss that a `get(count_miss=False)` saw."""
        with self._lock:
            self.misses += 1

    def put(self, key: Hashable, value: Any, size: int) -> bool:
        """Keep `value`; False if it is not kept (caching off, or larger than `max_item`)."""
        if self.entries <= 0 or size > self.max_item:
            return False
        with self._lock:
            if key in self._data:
                self._bytes -= self._data.pop(key)[0]
            self._data[key] = (size, value)
            self._bytes += size
            while len(self._data) > self.entries or self._bytes > self.max_bytes:
                _k, (s, _v) = self._data.popitem(last=False)
                self._bytes -= s
        return True

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0
