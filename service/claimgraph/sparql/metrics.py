"""Counters and a duration histogram, rendered in the Prometheus text format."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict
from typing import Any

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self.hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.hist_sum: dict[str, float] = defaultdict(float)
        self.hist_count: dict[str, int] = defaultdict(int)

    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())) if labels else ())
        with self._lock:
            self.counters[key] += value

    def observe(self, name: str, seconds: float) -> None:
        self.record((), name, seconds)

    def record(self, keys: tuple[tuple[str, tuple[tuple[str, str], ...]], ...], name: str, seconds: float) -> None:
        """Add 1 to each counter key and observe `seconds` in `name`, under one lock (the per-hit path)."""
        # One bucket per observation (the first bound it fits under; the last is +Inf); render()
        # makes them cumulative, as Prometheus wants, once per scrape instead of once per query.
        at = bisect_left(BUCKETS, seconds)
        with self._lock:
            counters = self.counters
            for key in keys:
                counters[key] += 1
            self.hist[name][at] += 1
            self.hist_sum[name] += seconds
            self.hist_count[name] += 1

    def snapshot(self) -> dict[str, Any]:
        """Counters and histograms as JSON-ready data (for processes that add theirs up)."""
        with self._lock:
            return {"counters": [[name, [list(kv) for kv in labels], value]
                                 for (name, labels), value in self.counters.items()],
                    "hist": {name: [list(b), self.hist_sum[name], self.hist_count[name]]
                             for name, b in self.hist.items()}}

    def merged(self, others: list[dict[str, Any]]) -> "Metrics":
        """A new Metrics holding this one's figures plus every snapshot in `others`."""
        total = Metrics()
        for snap in [self.snapshot(), *others]:
            for name, labels, value in snap.get("counters", ()):
                total.counters[(name, tuple((str(k), str(v)) for k, v in labels))] += float(value)
            for name, (buckets, hsum, count) in snap.get("hist", {}).items():
                mine = total.hist[name]
                if len(buckets) == len(mine):
                    total.hist[name] = [a + int(b) for a, b in zip(mine, buckets)]
                    total.hist_sum[name] += float(hsum)
                    total.hist_count[name] += int(count)
        return total

    def render(self, gauges: dict[str, float] | None = None) -> str:
        lines: list[str] = []
        with self._lock:
            seen: set[str] = set()
            for (name, labels), value in sorted(self.counters.items()):
                if name not in seen:
                    lines.append(f"# TYPE {name} counter")
                    seen.add(name)
                lab = ",".join(f'{k}="{v}"' for k, v in labels)
                lines.append(f"{name}{{{lab}}} {value:g}" if lab else f"{name} {value:g}")
            for name, buckets in sorted(self.hist.items()):
                lines.append(f"# TYPE {name} histogram")
                running = 0
                for b, n in zip(BUCKETS, buckets):
                    running += n
                    lines.append(f'{name}_bucket{{le="{b}"}} {running}')
                lines.append(f'{name}_bucket{{le="+Inf"}} {running + buckets[-1]}')
                lines.append(f"{name}_sum {self.hist_sum[name]:.6f}")
                lines.append(f"{name}_count {self.hist_count[name]}")
        for name, value in sorted((gauges or {}).items()):
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {value:g}")
        return "\n".join(lines) + "\n"
