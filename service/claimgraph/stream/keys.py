"""Content keys: what an article's compiled triples, SHACL verdict and inferences depend on.

An article's result depends on its own two files, the register (entities and source
context), the ontology, the shapes, the base IRI, the reasoner setting and the code
that reads, writes and checks it. The key hashes exactly those, so a changed
article, register, ontology or build code redoes what it affects and nothing else
(the dataset description, which counts every article, is not an input of any part).
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
# What a part's compile runs: the worker's entry and the register it loads.
_ROOTS = ("stream/part.py", "stream/register.py")


def _imports(path: Path) -> set[Path]:
    """The package's modules that `path` imports (relative imports, anywhere in the file)."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = path.parent
        for _ in range(node.level - 1):
            base = base.parent
        target = base.joinpath(*node.module.split(".")) if node.module else base
        candidates = [target.with_suffix(".py"), target / "__init__.py"]
        if node.module is None or target.is_dir():  # `from . import x` / `from .pkg import mod`
            candidates += [target / f"{a.name}.py" for a in node.names]
        found.update(c for c in candidates if c.is_file())
    # Importing a module runs its packages' __init__.py first.
    for f in list(found):
        d = f.parent
        while d != _PACKAGE and _PACKAGE in d.parents:
            found.add(d / "__init__.py")
            d = d.parent
    return {f for f in found if f.is_file()}


def code_files() -> list[Path]:
    """Every module of the package a part's compile can run: the import closure of _ROOTS. Only
    these key the cache, so a change to, say, the store loader or this file's memo does not
    recompile 10,000 articles (17 min); a change to anything a part runs does."""
    todo = [_PACKAGE / r for r in _ROOTS]
    seen: set[Path] = set()
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo += _imports(f) - seen
    return sorted(seen)


def _code_hash() -> str:
    h = hashlib.sha256()
    for f in code_files():
        h.update(f.relative_to(_PACKAGE).as_posix().encode())
        h.update(f.read_bytes())
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
