"""The whole corpus: register, every article folder, and source context."""

from __future__ import annotations

from pathlib import Path

from .entities import load_entities
from .facts import load_facts
from .model import Corpus
from .problems import Problem, ReadingError, rel
from .status import StatusReader


def load_corpus(data_dir: Path, strict: bool = True) -> tuple[Corpus, list[Problem]]:
    """Load and check everything under data_dir; raise ReadingError if strict and any problem."""
    problems: list[Problem] = []
    shown_root = data_dir.resolve().parent
    entities, errs = load_entities(data_dir / "entities.yaml", rel(data_dir / "entities.yaml", shown_root))
    problems += errs
    articles, drafts = [], []
    folders = sorted(p for p in (data_dir / "articles").iterdir() if p.is_dir()) if (data_dir / "articles").is_dir() else []
    for folder in folders:
        if folder.name.startswith("."):
            continue  # an article still being added (ingest/add.py renames it in when complete)
        reader = StatusReader(folder, rel(folder, shown_root), entities)
        article, draft = reader.read_status()
        problems += reader.problems
        if article is not None:
            articles.append(article)
        if draft is not None:
            drafts.append(draft)
    facts, errs = load_facts(data_dir / "source-context.yaml", rel(data_dir / "source-context.yaml", shown_root), entities)
    problems += errs
    if not folders:
        problems.append(Problem(rel(data_dir, shown_root), 0, "no article folders under articles/"))
    if strict and problems:
        raise ReadingError(problems)
    return Corpus(entities, articles, facts, drafts), problems
