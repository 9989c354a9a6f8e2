"""Shared fixtures: one real build per session, settings for temporary stores,
editable copies of data/, and a runner for the installed `claimgraph` command.

Everything runs against real files: the curated data in data/, the ontology,
a pyoxigraph store on disk under pytest's tmp dirs. No mocks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from claimgraph.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ONTOLOGY = ROOT / "ontology"
SLUG = "us-russia-reconfiguration"
ARTICLE_DIR = DATA / "articles" / SLUG
# The seed text's checksum, recorded when it was copied from ../shared/seed/article.txt: the
# test compares data/ against it, so a clone of the project alone needs nothing beside it.
SEED_SHA256 = "d54391e72e2604da40769a6598a8a959a7cba2082b1afdb94884e12b23534fd1"
SEED_BYTES = 3983
CLAIMGRAPH = ROOT / ".venv" / "bin" / "claimgraph"


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------

def make_settings(tmp_path: Path, data_dir: Path | None = None, **overrides: Any) -> Settings:
    """Settings whose store lives in tmp_path (and data in data_dir, default data/)."""
    return Settings().with_overrides(
        store=Path(tmp_path) / "store",
        data_dir=Path(data_dir) if data_dir is not None else DATA,
        **overrides,
    )


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    """`settings_for(tmp_path, data_dir=None, **overrides)` -> Settings in tmp_path."""
    return make_settings


# --------------------------------------------------------------------------
# The one full build of the session (HermiT included)
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("built"), reasoner="hermit")


@pytest.fixture(scope="session")
def built_report(built_settings: Settings):
    from claimgraph.build import build

    return build(built_settings)


@pytest.fixture(scope="session")
def built_store(built_settings: Settings, built_report):
    from claimgraph.store.embedded import EmbeddedStore

    store = EmbeddedStore(built_settings.store, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="session")
def mint(built_settings: Settings):
    from claimgraph.namespaces import Minter

    return Minter(built_settings.base_iri)


# --------------------------------------------------------------------------
# The curated inputs, read independently of the project's loader
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def article_bytes() -> bytes:
    return (ARTICLE_DIR / "article.txt").read_bytes()


@pytest.fixture(scope="session")
def article_text(article_bytes: bytes) -> str:
    return article_bytes.decode("utf-8")


@pytest.fixture(scope="session")
def reading() -> dict:
    doc = yaml.safe_load((ARTICLE_DIR / "reading.yaml").read_text(encoding="utf-8"))
    for c in doc["claims"]:
        # The first stance target is also the claim's own cg:stance / cg:stanceToward.
        c["stance"], c["stanceToward"] = c["stances"][0]["stance"], c["stances"][0]["toward"]
        c.setdefault("hedges", [])
    return doc


def directions(reading: dict) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Who applies each policy, and to whom, as the reading frames it: {policy: {actor}}, {policy: {target}}."""
    by: dict[str, set[str]] = {}
    to: dict[str, set[str]] = {}
    for p in reading["policies"]:
        for x in p.get("participants", []):
            if x["role"] == "actor":
                by.setdefault(p["entity"], set()).add(x["entity"])
            elif x["role"] == "target":
                to.setdefault(p["entity"], set()).add(x["entity"])
    return by, to


@pytest.fixture(scope="session")
def register() -> dict[str, dict]:
    doc = yaml.safe_load((DATA / "entities.yaml").read_text(encoding="utf-8"))
    return {e["id"]: e for e in doc["entities"]}


@pytest.fixture(scope="session")
def facts() -> list[dict]:
    return yaml.safe_load((DATA / "source-context.yaml").read_text(encoding="utf-8"))["facts"]


# --------------------------------------------------------------------------
# Editable copies of data/
# --------------------------------------------------------------------------

class DataCopy:
    """A copy of data/ under a tmp dir whose YAML a test may break on purpose."""

    def __init__(self, tmp_path: Path):
        self.path = Path(tmp_path) / "data"
        shutil.copytree(DATA, self.path)

    def file(self, which: str = "reading") -> Path:
        return {
            "reading": self.path / "articles" / SLUG / "reading.yaml",
            "entities": self.path / "entities.yaml",
            "facts": self.path / "source-context.yaml",
        }[which]

    def shown(self, which: str = "reading") -> str:
        """The path as the build reports it: relative to the folder holding data/."""
        return str(self.file(which).relative_to(self.path.parent))

    def read(self, which: str = "reading") -> str:
        return self.file(which).read_text(encoding="utf-8")

    def write(self, text: str, which: str = "reading") -> None:
        self.file(which).write_text(text, encoding="utf-8")

    def block(self, marker: str, which: str = "reading") -> tuple[int, int]:
        """[start, end) of the YAML list item that begins with `marker` (e.g. '  - id: c25')."""
        text = self.read(which)
        start = _unique(text, marker + "\n")
        indent = len(marker) - len(marker.lstrip())
        # The item ends at the next non-blank line indented no deeper than its dash.
        m = re.compile(r"^ {0,%d}\S" % indent, re.M).search(text, start + len(marker) + 1)
        return start, (m.start() if m else len(text))

    def replace(self, old: str, new: str, which: str = "reading", within: str | None = None) -> None:
        """Replace the one occurrence of `old` (inside the list item `within`, if given)."""
        text = self.read(which)
        lo, hi = self.block(within, which) if within else (0, len(text))
        at = _unique(text[lo:hi], old) + lo
        self.write(text[:at] + new + text[at + len(old):], which)

    def line_of(self, needle: str, which: str = "reading", within: str | None = None) -> int:
        """1-based line of the one occurrence of `needle` in the file as it is now."""
        text = self.read(which)
        lo, hi = self.block(within, which) if within else (0, len(text))
        return text.count("\n", 0, _unique(text[lo:hi], needle) + lo) + 1


def _unique(text: str, needle: str) -> int:
    at = text.find(needle)
    assert at >= 0, f"{needle!r} not found in the file being edited"
    assert text.find(needle, at + 1) < 0, f"{needle!r} occurs more than once in the file being edited"
    return at


@pytest.fixture
def broken_data(tmp_path: Path) -> DataCopy:
    """A fresh copy of data/ in tmp_path; edit it with .replace(old, new, within=...)."""
    return DataCopy(tmp_path)


# --------------------------------------------------------------------------
# The installed command
# --------------------------------------------------------------------------

def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMGRAPH_")}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLAIMGRAPH), *map(str, args)],
        cwd=ROOT, env=clean_env(**(env or {})), capture_output=True, timeout=timeout,
    )


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess]:
    """`cli(*args, env={...})`: run .venv/bin/claimgraph with only the given CLAIMGRAPH_* variables."""
    assert CLAIMGRAPH.exists(), f"{CLAIMGRAPH} is missing: run `make setup`"
    return run_cli


def pytest_configure(config: pytest.Config) -> None:
    # rdflib 7.1+ deprecations hit by the build and by rdflib's own parsers: noise here.
    for message in ("Dataset.contexts is deprecated", "ConjunctiveGraph is deprecated",
                    "Dataset.default_context is deprecated"):
        config.addinivalue_line("filterwarnings", f"ignore:{message}:DeprecationWarning")


# -- one read-only server for the HTTP suites that only read ---------------------

@pytest.fixture(scope="session")
def server(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory):
    """A real `claimgraph serve` on the built store; suites that write or need other
    settings start their own (a module-level `server` fixture overrides this one)."""
    from support.liveserver import start_server

    srv = start_server(built_settings.store, tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def http(server):
    with server.client(timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def client(server):
    """A client of whichever `server` the module uses (its own, or the shared one)."""
    with server.client() as c:
        yield c
