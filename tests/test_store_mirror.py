"""The in-memory copy of a small store version (store/mirror.py): made in the background, exact,
only for stores within the limit, and never installed for a version that is no longer served."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from claimgraph.store import mirror as mirror_module
from claimgraph.store.mirror import MemoryMirror

EX = "http://example.org/"


def make_store(path: Path, quads: int) -> ox.Store:
    """A read-only store of `quads` quads in two named graphs plus the default graph, with a
    language-tagged literal, a typed literal and a blank node (the terms a copy could garble)."""
    rw = ox.Store(str(path))
    data = []
    for i in range(quads - 3):
        graph = ox.NamedNode(f"{EX}g{i % 2}")
        data.append(ox.Quad(ox.NamedNode(f"{EX}s{i % 7}"), ox.NamedNode(f"{EX}p{i % 3}"),
                            ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                            graph))
    data.append(ox.Quad(ox.NamedNode(f"{EX}s0"), ox.NamedNode(f"{EX}label"), ox.Literal("Moskva", language="ru"),
                        ox.NamedNode(f"{EX}g0")))
    data.append(ox.Quad(ox.NamedNode(f"{EX}s0"), ox.NamedNode(f"{EX}part"), ox.BlankNode("b1"),
                        ox.NamedNode(f"{EX}g1")))
    data.append(ox.Quad(ox.NamedNode(f"{EX}s1"), ox.NamedNode(f"{EX}inDefault"), ox.Literal("d")))
    rw.extend(data)
    rw.flush()
    del rw
    return ox.Store.read_only(str(path))


def ready(mirror: MemoryMirror, directory: Path, disk: ox.Store) -> ox.Store:
    deadline = time.monotonic() + 20
    while (copy := mirror.get(directory, disk)) is None:
        assert time.monotonic() < deadline, "the copy never became ready"
        time.sleep(0.01)
    return copy


def settle(mirror: MemoryMirror) -> None:
    deadline = time.monotonic() + 20
    while mirror.copying:
        assert time.monotonic() < deadline, "the copy never finished"
        time.sleep(0.01)


QUERIES = [
    "SELECT ?p ?o WHERE { <http://example.org/s0> ?p ?o }",
    "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s",
    "SELECT ?o WHERE { <http://example.org/s0> <http://example.org/label> ?o FILTER(LANG(?o) = 'ru') }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?o WHERE { <http://example.org/s1> <http://example.org/inDefault> ?o }",
    "ASK { <http://example.org/s0> <http://example.org/part> ?b FILTER(isBlank(?b)) }",
]


def answer(store: ox.Store, text: str) -> object:
    """Rows as a sorted list, blank nodes as `_:` alone (the copy relabels them)."""
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return sorted(repr(["_:" if isinstance(sol[n], ox.BlankNode) else str(sol[n]) for n in names])
                  for sol in result)


def test_a_small_store_is_copied_in_the_background_and_answers_alike(tmp_path: Path) -> None:
    disk = make_store(tmp_path / "v1", 500)
    mirror = MemoryMirror(max_quads=1000, settle_s=0)
    assert mirror.get(tmp_path / "v1", disk) is None  # the first ask starts the copy, disk meanwhile
    copy = ready(mirror, tmp_path / "v1", disk)
    assert copy is not disk
    assert mirror.quads == len(disk) == len(copy) == 500
    assert mirror.loads == 1
    for text in QUERIES:
        assert answer(copy, text) == answer(disk, text), text
    # The union default graph includes the default graph in both (the copy keeps graph names).
    assert answer(copy, QUERIES[4]) == ['[\'"d"\']']
    assert mirror.get(tmp_path / "v1", disk) is copy  # kept: no second copy
    assert mirror.loads == 1


def test_a_store_over_the_limit_is_never_copied(tmp_path: Path) -> None:
    disk = make_store(tmp_path / "big", 500)
    mirror = MemoryMirror(max_quads=499, settle_s=0)
    assert mirror.get(tmp_path / "big", disk) is None
    settle(mirror)
    assert mirror.get(tmp_path / "big", disk) is None
    assert not mirror.copying, "a declined store is not tried again"
    assert mirror.quads == 0 and mirror.loads == 0


def test_a_limit_of_zero_copies_nothing(tmp_path: Path) -> None:
    disk = make_store(tmp_path / "v", 10)
    mirror = MemoryMirror(max_quads=0, settle_s=0)
    assert mirror.get(tmp_path / "v", disk) is None
    assert not mirror.copying and mirror.quads == 0


def test_a_forgotten_version_is_not_installed_and_the_next_one_is_copied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = make_store(tmp_path / "old", 300), make_store(tmp_path / "new", 400)
    mirror = MemoryMirror(max_quads=1000, settle_s=0)
    forgotten = threading.Event()
    copied = mirror._copied

    def after_forget(store_dir: Path, disk: ox.Store) -> tuple[ox.Store | None, int]:
        assert forgotten.wait(20)  # the copy of `old` finishes only after the write forgot it
        return copied(store_dir, disk)

    monkeypatch.setattr(mirror, "_copied", after_forget)
    assert mirror.get(tmp_path / "old", old) is None
    assert mirror.copying
    mirror.forget()  # a write: the old version is no longer served
    forgotten.set()
    settle(mirror)
    assert mirror.quads == 0 and mirror.loads == 0  # the finished copy of `old` was dropped
    copy = ready(mirror, tmp_path / "new", new)
    assert len(copy) == 400 and mirror.quads == 400 and mirror.loads == 1


def test_a_version_is_copied_only_once_it_has_been_served_a_while(tmp_path: Path) -> None:
    disk = make_store(tmp_path / "v", 50)
    mirror = MemoryMirror(max_quads=1000, settle_s=0.5)
    started = time.monotonic()
    assert mirror.get(tmp_path / "v", disk) is None
    assert not mirror.copying  # asked for the first time: not yet
    copy = ready(mirror, tmp_path / "v", disk)
    assert time.monotonic() - started >= 0.5
    assert len(copy) == 50


def test_a_new_version_replaces_the_old_copy_at_once(tmp_path: Path) -> None:
    old, new = make_store(tmp_path / "old", 30), make_store(tmp_path / "new", 40)
    mirror = MemoryMirror(max_quads=1000, settle_s=0.5)
    mirror.settle_s = 0
    ready(mirror, tmp_path / "old", old)
    mirror.settle_s = 0.5
    assert mirror.quads == 30
    assert mirror.get(tmp_path / "new", new) is None  # a rebuild: the old copy is let go
    assert mirror.quads == 0
    assert mirror.get(tmp_path / "old", old) is None  # and never handed out again for the old one


@pytest.mark.parametrize("count", [1, 3])
def test_tiny_stores_are_copied_too(tmp_path: Path, count: int) -> None:
    disk = make_store(tmp_path / "tiny", 3) if count == 3 else _one(tmp_path / "tiny")
    mirror = MemoryMirror(max_quads=10, settle_s=0)
    copy = ready(mirror, tmp_path / "tiny", disk)
    assert len(copy) == count


def _one(path: Path) -> ox.Store:
    rw = ox.Store(str(path))
    rw.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}o"), ox.NamedNode(f"{EX}g")))
    rw.flush()
    del rw
    return ox.Store.read_only(str(path))


def test_asking_without_start_never_starts_a_copy(tmp_path: Path) -> None:
    disk = make_store(tmp_path / "v", 20)
    mirror = MemoryMirror(max_quads=1000, settle_s=0)
    for _ in range(3):
        assert mirror.get(tmp_path / "v", disk, start=False) is None
    assert not mirror.copying and mirror.loads == 0
    assert len(ready(mirror, tmp_path / "v", disk)) == 20  # the workers' second ask, after replying


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_versions_replaced_faster_than_a_copy_takes_wait_longer(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """After a copy that took d seconds, a new version waits max(settle_s, 4 d) before its copy."""
    clock = _Clock()
    monkeypatch.setattr(mirror_module, "time", clock)
    old, new = make_store(tmp_path / "old", 30), make_store(tmp_path / "new", 40)
    mirror = MemoryMirror(max_quads=1000, settle_s=1.0)
    assert mirror.get(tmp_path / "old", old) is None
    clock.now += 1.0
    ready(mirror, tmp_path / "old", old)
    mirror._last_copy_s = 2.0  # as if that copy had taken 2 s
    assert mirror.get(tmp_path / "new", new) is None
    clock.now += 1.5
    assert mirror.get(tmp_path / "new", new) is None and not mirror.copying  # past settle_s, not 4 x 2 s
    clock.now += 6.5
    assert len(ready(mirror, tmp_path / "new", new)) == 40


def test_due_in_says_when_an_idle_caller_can_start_the_copy(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers wait for a job at most this long, then start the copy themselves (worker.py)."""
    clock = _Clock()
    monkeypatch.setattr(mirror_module, "time", clock)
    disk = make_store(tmp_path / "v1", 50)
    mirror = MemoryMirror(max_quads=1000, settle_s=1.0)
    assert mirror.due_in(tmp_path / "v1") is None  # never asked for: nothing is due
    assert mirror.get(tmp_path / "v1", disk, start=False) is None
    assert mirror.due_in(tmp_path / "v1") == pytest.approx(1.0)
    clock.now += 0.4
    assert mirror.due_in(tmp_path / "v1") == pytest.approx(0.6)
    assert mirror.due_in(tmp_path / "v2") is None  # another version: not this one's schedule
    clock.now += 0.7
    assert mirror.due_in(tmp_path / "v1") == 0.0
    mirror.get(tmp_path / "v1", disk)  # due: this starts it
    assert mirror.due_in(tmp_path / "v1") is None  # started: asking again will not start another
    copy = ready(mirror, tmp_path / "v1", disk)
    assert answer(copy, QUERIES[0]) == answer(disk, QUERIES[0])
    assert mirror.due_in(tmp_path / "v1") is None
    assert MemoryMirror(max_quads=0).due_in(tmp_path / "v1") is None  # copies off


def test_idle_workers_copy_the_version_they_start_on_and_only_that_one(tmp_path: Path) -> None:
    """worker._copy_when_idle: a regular worker copies its start version before its first job; the
    fast lane's (idle_copy off) and later versions wait for replies a second apart, as before."""
    import asyncio

    from claimgraph.sparql.pool import PoolConfig, WorkerPool

    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    make_store(v1, 40)
    make_store(v2, 60)

    def job(directory: Path) -> dict:
        return {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "store_dir": str(directory),
                "default_graph": None, "named_graphs": None, "solution_format": "json", "graph_format": "turtle",
                "max_bytes": 1 << 20, "services": False}

    async def copies(idle_copy: bool) -> list[int]:
        pool = WorkerPool(PoolConfig(1, 2048, 1, warm_store=lambda: str(v1), memory_quads=1000, idle_copy=idle_copy))
        await pool.start()
        seen = []
        try:
            await asyncio.sleep(2.5)  # idle: the copy of v1 is due after 1 s
            seen.append((await pool.run(job(v1), 10.0))[4])
            for _ in range(3):  # v2: a reply registers it, one a second later starts its copy
                seen.append((await pool.run(job(v2), 10.0))[4])
                await asyncio.sleep(1.3)
        finally:
            await pool.close()
        return seen

    regular = asyncio.run(copies(idle_copy=True))
    assert regular[0] == 40  # the first job of all, answered from the copy made while idle
    assert regular[1:3] == [0, 0] and regular[3] == 60  # v2 read from disk until its second reply's copy
    lane = asyncio.run(copies(idle_copy=False))
    assert lane[0] == 0 and lane[3] == 60
