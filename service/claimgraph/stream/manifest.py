"""What each store version holds: which cached part (content key) each article came from,
and the inferences about register nodes. The next build diffs against it to update a copy
of the live version instead of loading the whole corpus again."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Manifest:
    parts: dict[str, str]      # slug -> content key
    shared: Path               # N-Quads of graph/inferred's register-only part
    fixed: str | None = None   # sha256 of the graphs not made per article (ontology, register, VoID, …)
    fixed_quads: Path | None = None   # those graphs' N-Quads as loaded (absent in older manifests)


def _dir(cache: Path) -> Path:
    return cache / "manifests"


def save(cache: Path, version: str, parts: dict[str, str], shared_nquads: bytes, fixed: str | None = None,
         fixed_file: Path | None = None) -> None:
    d = _dir(cache)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f".{version}.{os.getpid()}.tmp"
    (d / f"{version}.shared.nq").write_bytes(shared_nquads)
    if fixed_file is not None:
        shutil.copyfile(fixed_file, d / f"{version}.fixed.nq")
    tmp.write_text(json.dumps({"parts": parts, "fixed": fixed}))
    tmp.replace(d / f"{version}.json")  # the manifest appears only once its shared file is whole


def load(cache: Path, version: str) -> Manifest | None:
    path = _dir(cache) / f"{version}.json"
    try:
        doc = json.loads(path.read_text())
        parts = doc["parts"]
    except (OSError, ValueError, KeyError):
        return None
    fixed_quads = _dir(cache) / f"{version}.fixed.nq"
    return Manifest(parts, _dir(cache) / f"{version}.shared.nq", doc.get("fixed"),
                    fixed_quads if fixed_quads.is_file() else None)


def prune(cache: Path, keep: set[str]) -> None:
    d = _dir(cache)
    if not d.is_dir():
        return
    for p in d.iterdir():
        version = p.name.split(".")[0] if not p.name.startswith(".") else None
        if version not in keep:
            p.unlink(missing_ok=True)
