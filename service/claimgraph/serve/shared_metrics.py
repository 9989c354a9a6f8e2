"""Counters shared between serving processes (serve/prefork.py) through small files.

Each process rewrites `<dir>/<pid>.json` once a second; /metrics in any
process adds the others' files to its own live figures. A process that has
died keeps its file: its counters happened and must not make a Prometheus
counter go backwards, but its gauges (busy workers, ...) no longer count.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any, Callable

from ..processes import alive as _alive

INTERVAL_S = 1.0


def write(directory: Path, payload: dict[str, Any]) -> None:
    target = directory / f"{os.getpid()}.json"
    tmp = directory / f".{os.getpid()}.tmp"
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, target)  # readers never see half a file


def read_others(directory: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    me = f"{os.getpid()}.json"
    try:
        names = [p for p in directory.iterdir() if p.suffix == ".json" and p.name != me]
    except FileNotFoundError:
        return out
    for path in names:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # replaced or removed between listing and reading
        alive = _alive(int(path.stem)) if path.stem.isdigit() else False
        entry = {"metrics": data.get("metrics", {}), "counters": data.get("counters", {}), "alive": alive}
        if alive:
            entry["gauges"] = data.get("gauges", {})
        out.append(entry)
    return out



async def share_forever(directory: Path, snapshot: Callable[[], dict[str, Any]]) -> None:
    """Publish this process's figures every INTERVAL_S until cancelled (and once more then)."""
    try:
        while True:
            await asyncio.to_thread(write, directory, snapshot())
            await asyncio.sleep(INTERVAL_S)
    finally:
        try:
            write(directory, snapshot())
        except OSError:
            pass
