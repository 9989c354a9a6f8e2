"""Content keys: what an article's compiled triples, SHACL verdict and inferences depend on.

An article's result depends on its own two files, the register (entities and source
context), the ontology, the shapes, the base IRI, the reasoner setting and the code
that reads, writes and checks it. The key hashes exactly those, so a changed
article, register, ontology or build code redoes what it affects and nothing else
(the dataset description, which counts every article, is not an input of any part).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CODE_DIRS = ("reading", "triples", "checks", "stream")


def _code_hash() -> str:
    h = hashlib.sha256()
    for sub in _CODE_DIRS:
        for f in sorted((_PACKAGE / sub).glob("*.py")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    h.update((_PACKAGE / "namespaces.py").read_bytes())
    return h.hexdigest()


CODE = _code_hash()


def file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return b"\0missing"


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def shared_key(data_dir: Path, ontology_dir: Path, base_iri: str, reasoner: str) -> str:
    """Everything every part depends on: register, ontology, shapes, settings, code."""
    return digest(CODE, base_iri, reasoner,
                  file_bytes(data_dir / "entities.yaml"), file_bytes(data_dir / "source-context.yaml"),
                  file_bytes(ontology_dir / "claimgraph.ttl"), file_bytes(ontology_dir / "shapes.ttl"))


def article_key(shared: str, folder: Path) -> str:
    return digest(shared, folder.name, file_bytes(folder / "reading.yaml"), file_bytes(folder / "article.txt"))
