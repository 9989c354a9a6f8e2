"""The build pipeline: reading -> triples -> SHACL -> OWL reasoning -> store (atomic swap)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Dataset, Graph

from .checks.partitioned import reason_in_parts
from .checks.reasoning import InconsistentOntology
from .checks.shacl import check_shapes
from .config import Settings
from .namespaces import Minter
from .reading import ReadingError, load_corpus
from .reading.model import Corpus
from .store.locator import LOCATOR_TTL_S
from .store.ownership import Ownership
from .store.swap import build_beside
from .triples.dataset import GraphNames, build_dataset, union

Log = Callable[[str], None]


class BuildFailed(Exception):
    """The build stopped; the live store was not touched."""

    def __init__(self, stage: str, problems: list[str]):
        self.stage = stage
        self.problems = problems
        super().__init__(f"{stage}: " + "\n".join(problems))


@dataclass
class BuildReport:
    triples_per_graph: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    reasoner: str = ""
    store_dir: Path | None = None
    corpus: Corpus | None = None
    carried_quads: int = 0

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


REASONING_BUCKETS = 64


def reasoning_buckets(ds: Dataset, names: GraphNames, slugs: list[str]) -> list[tuple[str, Graph]]:
    """Articles grouped by a stable hash of their slug: each HermiT run costs ~2 s of start-up,
    so a thousand articles go in 64 runs, and adding one article re-reasons one bucket only."""
    buckets: dict[int, list[str]] = {}
    for slug in slugs:
        buckets.setdefault(int(hashlib.sha1(slug.encode()).hexdigest(), 16) % REASONING_BUCKETS, []).append(slug)
    parts = []
    for n, members in sorted(buckets.items()):
        g = Graph()
        for slug in members:
            g += ds.graph(names.article(slug))
        parts.append((f"bucket {n} ({', '.join(members[:3])}{', …' if len(members) > 3 else ''})", g))
    return parts


def compile_dataset(settings: Settings, log: Log = lambda _m: None, report: BuildReport | None = None) -> Dataset:
    """Everything up to (not including) the store: raises BuildFailed on any problem."""
    report = report if report is not None else BuildReport()
    mint = Minter(settings.base_iri)
    names = GraphNames(mint)
    t = time.perf_counter()
    log("reading data/ …")
    try:
        corpus, _ = load_corpus(settings.data_dir, strict=True)
    except ReadingError as exc:
        raise BuildFailed("reading", [str(p) for p in exc.problems]) from exc
    report.corpus = corpus
    report.seconds["read"] = time.perf_counter() - t
    log(f"  {len(corpus.articles)} article(s), {len(corpus.entities)} entities, "
        f"{sum(len(a.claims) for a in corpus.articles)} claims")

    t = time.perf_counter()
    log("writing triples …")
    ds = build_dataset(corpus, settings.ontology_dir / "claimgraph.ttl", mint)
    report.seconds["triples"] = time.perf_counter() - t

    t = time.perf_counter()
    log("validating with SHACL (ontology/shapes.ttl) …")
    merged = union(ds)
    shacl = check_shapes(merged, settings.ontology_dir / "shapes.ttl")
    report.seconds["shacl"] = time.perf_counter() - t
    if not shacl.conforms:
        raise BuildFailed("SHACL validation", shacl.violations or ["data does not conform"])

    t = time.perf_counter()
    if settings.reasoner == "none":
        log("OWL reasoning disabled (CLAIMGRAPH_REASONER=none)")
        report.reasoner = "disabled by configuration"
    else:
        log("checking consistency and inferring with HermiT (owlready2), one article at a time …")
        ontology = ds.graph(names.ontology)
        # Machine drafts are not reasoned over: a proposal is not a reading (triples/draft.py).
        register = union(ds, exclude=(names.ontology,) + tuple(names.article(a.slug) for a in corpus.articles)
                         + tuple(names.draft(d.slug) for d in corpus.drafts))
        parts = reasoning_buckets(ds, names, [a.slug for a in corpus.articles])
        cache = Path(str(settings.store) + ".cache") / "reasoning"
        try:
            salt = hashlib.sha256((settings.ontology_dir / "claimgraph.ttl").read_bytes()).hexdigest()
            result = reason_in_parts(ontology, register, parts, cache, log, salt=salt)
        except InconsistentOntology as exc:
            raise BuildFailed("OWL consistency", [str(exc) or "ontology plus data is inconsistent"]) from exc
        if not result.ran:
            log(f"WARNING: {result.skipped_reason}")
            report.reasoner = f"skipped: {result.skipped_reason}"
        else:
            inferred = ds.graph(names.inferred)
            for triple in result.inferred:
                inferred.add(triple)
            report.reasoner = (f"HermiT: consistent, {len(result.inferred)} inferred triples "
                               f"({result.parts} parts, {result.cached} from cache)")
            log(f"  consistent; {len(result.inferred)} inferred triples ({result.cached}/{result.parts} parts cached)")
    report.seconds["reasoning"] = time.perf_counter() - t
    for ctx in ds.contexts():
        if len(ctx):
            report.triples_per_graph[str(ctx.identifier)] = len(ctx)
    return ds


def build(settings: Settings, log: Log = lambda _m: None) -> BuildReport:
    report = BuildReport()
    ds = compile_dataset(settings, log, report)
    t = time.perf_counter()
    log(f"loading into a new store beside {settings.store} …")
    payload = ds.serialize(format="nquads", encoding="utf-8")

    def fill(store: ox.Store) -> None:
        store.bulk_load(payload, ox.RdfFormat.N_QUADS)

    owner = Ownership(settings.base_iri)

    def carry(live: ox.Store, new: ox.Store) -> int:
        report.carried_quads = owner.carry(live, new)
        return report.carried_quads

    report.store_dir = build_beside(settings.store, fill, carry)
    report.seconds["store"] = time.perf_counter() - t
    if report.carried_quads:
        log(f"  carried {report.carried_quads} quad(s) written through the API (graphs the build does not own)")
    log(f"  live store is now {report.store_dir}")
    # Servers re-read the store link at most LOCATOR_TTL_S after their last look: once this
    # returns, every running server answers its next request from the new version.
    time.sleep(LOCATOR_TTL_S + 0.05)
    return report
