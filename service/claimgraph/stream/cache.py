"""The on-disk cache of compiled parts: one directory per content key.

`<store>.cache/parts/<key>/` holds `asserted.nq` (the article's named graph and its machine draft's),
`inferred.nq` (what the reasoner entailed about the article's own nodes, in
graph/inferred), `shared.nt` (entailments about register nodes only, which
several articles may share) and `meta.json`. An entry is written to a
temporary directory and renamed into place, so a killed build never leaves a
half-written entry that a later build would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

ASSERTED = "asserted.nq"
INFERRED = "inferred.nq"
SHARED = "shared.nt"
META = "meta.json"


@dataclass
class PartMeta:
    slug: str
    triples: int      # in the article's named graph
    claims: int
    inferred: int     # entailments about the article's own nodes
    reasoner: str     # "hermit", "none" or why reasoning was skipped
    curated: bool = True   # whether any sentence is reviewed (else only a machine draft)
    drafted: int = 0       # triples in the article's draft graph (graph/article/<slug>/draft)
    shared_digest: str = ""  # sha256 of shared.nt: most articles entail the same lines about the
    #                          register, so a build reads one file per distinct content (stream/assemble.py)


def cache_root(store: Path) -> Path:
    return Path(str(store) + ".cache")


class PartCache:
    def __init__(self, root: Path):
        self.dir = root / "parts"

    def entry(self, key: str) -> Path:
        return self.dir / key

    def has(self, key: str) -> bool:
        # os.path on a string: pathlib's joins cost 0.25 s per 10,000 keys on every build.
        return os.path.isfile(f"{self.dir}/{key}/{META}")

    def meta(self, key: str) -> PartMeta:
        return PartMeta(**json.loads((self.entry(key) / META).read_text()))

    def write(self, key: str, asserted: bytes, inferred: bytes, shared: bytes, meta: PartMeta) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{key}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        (tmp / ASSERTED).write_bytes(asserted)
        (tmp / INFERRED).write_bytes(inferred)
        (tmp / SHARED).write_bytes(shared)
        meta.shared_digest = hashlib.sha256(shared).hexdigest()
        (tmp / META).write_text(json.dumps(asdict(meta)))
        try:
            os.rename(tmp, self.entry(key))
        except OSError:  # another build wrote the same entry first: same content
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self, keep: set[str]) -> int:
        """Remove entries no kept manifest refers to, and temporaries of dead builds."""
        removed = 0
        if not self.dir.is_dir():
            return removed
        for p in self.dir.iterdir():
            if p.name in keep:
                continue
            if p.name.startswith("."):
                try:
                    pid = int(p.name.split(".")[-2])
                    os.kill(pid, 0)
                    continue  # a build writing right now
                except PermissionError:
                    continue
                except (ValueError, IndexError, ProcessLookupError):
                    pass
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
        return removed
