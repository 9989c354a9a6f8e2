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

    def get(self, key: Hashable, counted: bool = True) -> Any | None:
        """The value, or None; counted as a query hit or miss unless `counted` is False (what the
        web pages keep here is not a query answer)."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += counted
                return None
            self._data.move_to_end(key)
            self.hits += counted
            return item[1]

    def hit(self) -> None:
        """Count a hit served from a copy of an answer kept elsewhere (serve/response_cache.py)."""
        with self._lock:
            self.hits += 1

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
