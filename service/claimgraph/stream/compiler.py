"""Compiling the corpus part by part: only parts whose content key is not cached are redone,
on every core, each in a worker that holds one article at a time."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rdflib import Graph

from ..checks.reasoning import InconsistentOntology, reason
from ..checks.shacl import check_shapes
from ..reading.problems import Problem, rel
from .cache import PartCache, PartMeta
from .keys import shared_key
from .memo import KeyMemo
from .part import PartResult, compile_part
from .register import Register, RegisterSpec, load_register, worker_init, worker_register

Log = Callable[[str], None]
STAGES = ("reading", "SHACL validation", "OWL consistency")


class CompileFailed(Exception):
    def __init__(self, stage: str, problems: list[str]):
        self.stage, self.problems = stage, problems
        super().__init__(f"{stage}: " + "\n".join(problems))


@dataclass
class Compiled:
    reg: Register
    cache: PartCache
    parts: list[tuple[str, str]]                 # (slug, key), in slug order
    metas: dict[str, PartMeta] = field(default_factory=dict)
    register_inferred: Graph = field(default_factory=Graph)
    compiled: int = 0                            # parts redone this time
    reasoner: str = ""
    register_cached: bool = False


def workers() -> int:
    """CLAIMGRAPH_BUILD_WORKERS, else every core (parts are independent)."""
    value = os.environ.get("CLAIMGRAPH_BUILD_WORKERS", "")
    return max(1, int(value)) if value.isdigit() else max(1, os.cpu_count() or 1)


def _run(folder: str, key: str, cache_dir: str, read_only: bool) -> PartResult:
    return compile_part(worker_register(), Path(folder), key, PartCache(Path(cache_dir)), read_only)


def _compile(spec: RegisterSpec, reg: Register, todo: list[tuple[Path, str]], cache: PartCache,
             read_only: bool, log: Log) -> list[PartResult]:
    n = min(workers(), len(todo))
    if n <= 1:
        return [compile_part(reg, folder, key, cache, read_only) for folder, key in todo]
    results: list[PartResult] = []
    ctx = multiprocessing.get_context("fork")  # workers inherit the loaded code; each loads the register
    with ProcessPoolExecutor(n, mp_context=ctx, initializer=worker_init, initargs=(spec,)) as pool:
        futures = [pool.submit(_run, str(folder), key, str(cache.dir.parent), read_only) for folder, key in todo]
        for i, f in enumerate(futures, 1):
            results.append(f.result())
            if i % 50 == 0 or i == len(futures):
                log(f"  compiled {i}/{len(futures)} article(s)")
    return results


def _register_inference(reg: Register, shared: str, root: Path) -> tuple[Graph, str]:
    """HermiT over the ontology and the register alone, cached by the register's key."""
    if reg.reasoner == "none":
        return Graph(), "disabled by configuration"
    hit = root / "register" / f"{shared}.nt"
    if hit.is_file():
        return Graph().parse(hit, format="nt"), "cached"
    try:
        result = reason(reg.ontology, reg.register)
    except InconsistentOntology as exc:
        raise CompileFailed("OWL consistency", [f"register: {exc}" if str(exc) else
                                                "register: ontology plus data is inconsistent"]) from exc
    if not result.ran:
        return Graph(), f"skipped: {result.skipped_reason}"
    hit.parent.mkdir(parents=True, exist_ok=True)
    tmp = hit.with_suffix(f".{os.getpid()}.tmp")
    result.inferred.serialize(tmp, format="nt", encoding="utf-8")
    tmp.replace(hit)
    return result.inferred, "hermit"


def _register_shapes(reg: Register, shared: str, root: Path) -> list[str]:
    """SHACL over the ontology and the register alone, once per register key: each article is
    then checked with them, so a register violation is reported once, not once per article."""
    ok = root / "register" / f"{shared}.shacl-ok"
    if ok.is_file():
        return []
    report = check_shapes(reg.shacl_base, reg.shapes_file)
    if not report.conforms:
        return report.violations or ["register: data does not conform"]
    ok.parent.mkdir(parents=True, exist_ok=True)
    ok.touch()
    return []


def _folders(adir: Path) -> list[Path]:
    """The article folders in name order (scandir's entry types: no stat per folder at 10,000)."""
    if not adir.is_dir():
        return []
    with os.scandir(adir) as entries:
        return sorted(Path(e.path) for e in entries if e.is_dir() and not e.name.startswith("."))


def compile_corpus(spec: RegisterSpec, cache_dir: Path, log: Log = lambda _m: None) -> Compiled:
    """Every part checked and cached, or CompileFailed naming the first failing stage's problems."""
    reg = load_register(spec)
    cache = PartCache(cache_dir)
    shared = shared_key(spec.data_dir, spec.ontology_dir, spec.base_iri, spec.reasoner)
    adir = spec.data_dir / "articles"
    # A folder whose name starts with a dot is an article still being added (ingest/add.py).
    folders = _folders(adir)
    memo = KeyMemo(cache_dir / "keys.json")
    keyed = [(folder, memo.key(shared, folder)) for folder in folders]
    problems: dict[str, list[str]] = {s: [] for s in STAGES}
    if not folders:
        problems["reading"].append(str(Problem(rel(spec.data_dir, reg.shown_root), 0,
                                               "no article folders under articles/")))
    if not reg.problems:
        problems["SHACL validation"] += _register_shapes(reg, shared, cache_dir)
    read_only = bool(problems["reading"] or reg.problems or problems["SHACL validation"])
    todo = [(f, k) for f, k in keyed if read_only or not cache.has(k)]
    log(f"  {len(folders)} article(s), {len(reg.entities)} entities; {len(todo)} to compile, "
        f"{len(folders) - len(todo)} unchanged (cached)")
    for r in _compile(spec, reg, todo, cache, read_only, log):
        if r.stage:
            problems[r.stage] += r.problems
    # As the whole-corpus reader reported them: by file (articles/ sorts before entities.yaml).
    problems["reading"] += [str(p) for p in sorted(reg.problems)]
    for stage in STAGES:
        if problems[stage]:
            raise CompileFailed(stage, problems[stage])
    out = Compiled(reg, cache, [(f.name, k) for f, k in keyed], compiled=len(todo))
    out.metas = {slug: memo.meta(slug, key) or cache.meta(key) for slug, key in out.parts}
    memo.save(out.metas)
    out.register_inferred, out.reasoner = _register_inference(reg, shared, cache_dir)
    return out
