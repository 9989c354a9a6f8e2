"""Reasoning one article at a time, with a cache: how the build scales to many articles.

Every axiom of the ontology relates an article's own nodes (claims, spans,
mentions, sentences) to each other or to register entities; nothing links
two articles except the register. So the entailments of the whole dataset
are the union of the entailments of (register) and of (each article +
register), and each part can be reasoned over, and cached, on its own:
adding an article reasons over that article only. A test checks the union
equals reasoning over everything at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from rdflib import Graph

from . import reasoning
from .reasoning import InconsistentOntology, ReasoningResult, reason, reasoner_input

_CODE = hashlib.sha256(Path(reasoning.__file__).read_bytes()).hexdigest()[:16]


@dataclass
class PartitionedResult:
    ran: bool
    inferred: Graph
    parts: int
    cached: int
    skipped_reason: str | None = None


def _key(source: Graph, salt: str) -> str:
    """Blank-node labels change from run to run; the only blank nodes are the ontology's,
    which the salt (a hash of the ontology file) already covers."""
    lines = sorted(line for line in source.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
                   if "_:" not in line)
    h = hashlib.sha256((_CODE + salt).encode())
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def reason_in_parts(
    ontology: Graph,
    register: Graph,
    parts: Iterable[tuple[str, Graph]],
    cache_dir: Path | None,
    log: Callable[[str], None] = lambda _m: None,
    salt: str = "",
) -> PartitionedResult:
    """Reason over the register, then over each named part joined with it; raise on inconsistency."""
    inferred = Graph()
    done = cached = 0
    named = [("register", register)] + [(name, g + register) for name, g in parts]
    for name, data in named:
        source = reasoner_input(ontology, data)
        key = _key(source, salt)
        hit = cache_dir / f"{key}.nt" if cache_dir else None
        if hit is not None and hit.exists():
            inferred.parse(hit, format="nt")
            cached += 1
            done += 1
            continue
        try:
            result: ReasoningResult = reason(ontology, data, source=source)
        except InconsistentOntology as exc:
            raise InconsistentOntology(f"{name}: {exc}") from exc
        if not result.ran:
            return PartitionedResult(False, Graph(), done, cached, result.skipped_reason)
        for t in result.inferred:
            inferred.add(t)
        if hit is not None:
            hit.parent.mkdir(parents=True, exist_ok=True)
            tmp = hit.with_suffix(".tmp")
            result.inferred.serialize(tmp, format="nt", encoding="utf-8")
            tmp.replace(hit)  # a killed build never leaves a half-written cache entry
        done += 1
        if len(named) > 2:
            log(f"  reasoned over {name} ({done}/{len(named)})")
    return PartitionedResult(True, inferred, done, cached)
