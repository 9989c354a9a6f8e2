"""CLAIMGRAPH_ALLOCATOR (serve/allocator.py): serving processes on mimalloc/jemalloc, workers on glibc's.

The choice is checked in the processes themselves: which allocator library a
real server's serving process has mapped, and that its query workers have
neither the library nor LD_PRELOAD (their memory cap is tuned for glibc).
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from claimgraph.serve.allocator import AllocatorError, choose
from support.liveserver import start_server
from support.stores import make_store

INSTALLED = {name: ctypes.util.find_library(name) for name in ("mimalloc", "jemalloc")}
EXPECTED_AUTO = next((name for name, lib in INSTALLED.items() if lib), "system")


def fake(available: dict[str, str]):  # noqa: ANN201
    return lambda name: available.get(name)


def test_auto_prefers_mimalloc_then_jemalloc_then_the_system_one() -> None:
    both = fake({"mimalloc": "libmimalloc.so.2", "jemalloc": "libjemalloc.so.2"})
    assert choose("auto", both) == "libmimalloc.so.2"
    assert choose("auto", fake({"jemalloc": "libjemalloc.so.2"})) == "libjemalloc.so.2"
    assert choose("auto", fake({})) is None
    assert choose("system", both) is None
    assert choose("jemalloc", both) == "libjemalloc.so.2"


def test_an_allocator_asked_for_by_name_must_be_installed() -> None:
    with pytest.raises(AllocatorError, match=r"CLAIMGRAPH_ALLOCATOR=jemalloc but libjemalloc is not installed "
                                             r"\(Debian: apt-get install libjemalloc2\)"):
        choose("jemalloc", fake({}))
    with pytest.raises(AllocatorError, match="'tcmalloc' is not one of auto, mimalloc, jemalloc, system"):
        choose("tcmalloc", fake({}))


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize("choice", ["auto", "system"])
def test_the_serving_process_runs_on_the_chosen_allocator_and_workers_on_glibc(choice: str,
                                                                               tmp_path: Path) -> None:
    server = start_server(make_store(tmp_path), tmp_path, env={"CLAIMGRAPH_ALLOCATOR": choice})
    try:
        expected = EXPECTED_AUTO if choice == "auto" else "system"
        health = httpx.get(f"{server.url}/health", timeout=10).json()
        assert health["allocator"] == expected
        assert health["process"] == server.proc.pid  # re-executed in place: the same process
        if expected != "system":
            assert f"/lib{expected}." in maps(server.proc.pid)
        assert f"malloc: {expected}" in server.log_text()
        r = httpx.get(f"{server.url}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                      timeout=30)
        assert r.status_code == 200  # a worker answered it
        workers = descendants(server.proc.pid)
        assert workers
        for pid in workers:
            assert "/libmimalloc." not in maps(pid) and "/libjemalloc." not in maps(pid)
            assert b"LD_PRELOAD=" not in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        server.stop()


def test_an_unknown_allocator_is_a_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "CLAIMGRAPH_ALLOCATOR": "tcmalloc", "CLAIMGRAPH_STORE": str(tmp_path / "store")}
    done = subprocess.run([sys.executable, "-m", "claimgraph", "serve", "--port", "9"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "CLAIMGRAPH_ALLOCATOR='tcmalloc' is not one of auto, mimalloc, jemalloc, system"
