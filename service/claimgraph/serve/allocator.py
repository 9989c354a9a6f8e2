"""Serving processes on a faster malloc (mimalloc or jemalloc); query workers on the system one.

pyoxigraph (Rust over RocksDB) allocates and frees for every index iterator
and every term it decodes: under glibc's malloc, `perf` put about a fifth
of a never-repeated join's CPU in malloc/free/consolidate. With mimalloc
preloaded the serving processes measured 597 -> 517 µs CPU per
never-repeated join and 220 -> 213 per point lookup (jemalloc: 515 on the
join). A library can only be preloaded when a process starts, so
`claimgraph serve` re-executes itself once with LD_PRELOAD set. The serving
process then takes it out of its environment again: query workers, spawned
later, keep glibc's malloc, which their address-space cap
(CLAIMGRAPH_WORKER_MEMORY_MB, sparql/worker.py) is tuned for, and which
keeps runaway queries' memory behaviour what the safety tests pin.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from functools import lru_cache
from typing import Callable

CHOICES = ("auto", "mimalloc", "jemalloc", "system")
_PACKAGES = {"mimalloc": "libmimalloc2.0", "jemalloc": "libjemalloc2"}
_MARK = "CLAIMGRAPH_PRELOADED"  # set on the re-executed process: the library it was given


class AllocatorError(ValueError):
    pass


def library(name: str, finder: Callable[[str], str | None] = ctypes.util.find_library) -> str | None:
    """The shared library's name as the dynamic loader finds it (e.g. libmimalloc.so.2), if installed."""
    return finder(name)


@lru_cache(maxsize=1)
def in_use() -> str:
    """The allocator this process runs on: mimalloc, jemalloc or system (read from its memory map)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            mapped = maps.read()
    except OSError:
        return "system"
    for name in ("mimalloc", "jemalloc"):
        if f"/lib{name}." in mapped:
            return name
    return "system"


def choose(choice: str, finder: Callable[[str], str | None] = ctypes.util.find_library) -> str | None:
    """The library to preload for `choice`, None for the system allocator; AllocatorError if it cannot be."""
    if choice not in CHOICES:
        raise AllocatorError(f"CLAIMGRAPH_ALLOCATOR={choice!r} is not one of {', '.join(CHOICES)}")
    if choice == "system":
        return None
    for name in (("mimalloc", "jemalloc") if choice == "auto" else (choice,)):
        found = library(name, finder)
        if found:
            return found
    if choice == "auto":
        return None
    raise AllocatorError(f"CLAIMGRAPH_ALLOCATOR={choice} but lib{choice} is not installed "
                         f"(Debian: apt-get install {_PACKAGES[choice]}); or use auto or system")


def ensure(choice: str, reexec: bool) -> str:
    """Make this serving process run on the allocator `choice` asks for; returns the one in use.

    May replace the process (os.execve, same command line, LD_PRELOAD added) when `reexec`
    is true, i.e. when the command line is this process's own (not an in-process call)."""
    preloaded = os.environ.pop(_MARK, None)
    if preloaded:
        _unpreload(preloaded)  # the workers this process spawns keep the system allocator
    lib = choose(choice)
    current = in_use()
    if choice not in ("auto", current):
        # A malloc preloaded by hand (LD_PRELOAD) wins; say so rather than pretend. Such a preload
        # also reaches the workers: only the one this module adds is taken out again.
        print(f"note: CLAIMGRAPH_ALLOCATOR={choice}, but this process already runs on {current}",
              file=sys.stderr)
    if lib is None or current != "system" or preloaded or not reexec:
        return current  # already on it, asked for the system one, or the loader refused it (it said why)
    env = dict(os.environ)
    env["LD_PRELOAD"] = f"{lib} {env['LD_PRELOAD']}" if env.get("LD_PRELOAD") else lib
    env[_MARK] = lib
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    raise AssertionError("unreachable")  # pragma: no cover


def _unpreload(lib: str) -> None:
    rest = [entry for entry in os.environ.get("LD_PRELOAD", "").replace(":", " ").split() if entry != lib]
    if rest:
        os.environ["LD_PRELOAD"] = " ".join(rest)
    else:
        os.environ.pop("LD_PRELOAD", None)
