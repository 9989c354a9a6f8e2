"""Sourced facts about publishers and outlets (data/source-context.yaml).

These are statements *by a named source*, kept apart from any article's claims.
"""

from __future__ import annotations

import re
from pathlib import Path

from .fields import ITEM_ID, Fields, items
from .model import Entity, Fact
from .problems import Problem
from .yamlfile import load_yaml

URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
FACT_KINDS = ("sanctions-designation", "government-report", "ownership", "founding", "other")


def load_facts(path: Path, shown: str, entities: dict[str, Entity]) -> tuple[list[Fact], list[Problem]]:
    if not path.exists():
        return [], []
    problems: list[Problem] = []
    doc, errs = load_yaml(path, shown)
    if errs:
        return [], errs
    top = Fields(doc, shown, problems, "source-context.yaml")
    top.allow(("facts",))
    facts: list[Fact] = []
    seen: set[str] = set()
    for node, line in items(top.node.get("facts"), shown, problems, "facts", top.line("facts")):
        f = Fields(node, shown, problems, "fact", line)
        f.allow(("id", "subject", "statement", "kind", "by", "by_entity", "date", "source", "retrieved_via", "note"))
        fid, subject, statement = f.str("id"), f.str("subject"), f.str("statement")
        kind = f.choice("kind", FACT_KINDS, default="other")
        by, date, source = f.str("by"), f.str("date", required=False), f.str("source")
        if fid and not ITEM_ID.match(fid):
            f.problem(f"fact id {fid!r} must be letters, digits, - or _", key="id")
            continue
        if fid in seen:
            f.problem(f"duplicate fact id {fid!r}", key="id")
        if subject and subject not in entities:
            f.problem(f"fact {fid}: unknown subject entity {subject!r}", key="subject")
        # The source as a register entity (a government, an outlet), not only a name in a string.
        by_entity = f.str("by_entity")
        if by_entity is not None and by_entity not in entities:
            f.problem(f"fact {fid}: by_entity {by_entity!r} is not in the register; add the source "
                      "(government, outlet, registry) to data/entities.yaml", key="by_entity")
            by_entity = None
        if date and not DATE.match(date):
            f.problem(f"fact {fid}: bad date {date!r} (use YYYY, YYYY-MM or YYYY-MM-DD)", key="date")
        if source and not URL.match(source):
            f.problem(f"fact {fid}: source must be an http(s) URL, got {source!r}", key="source")
        if None in (fid, subject, statement, by, source, by_entity):
            continue
        seen.add(fid)
        facts.append(Fact(fid, subject, statement, kind or "other", by, date, source,
                          f.str("retrieved_via", required=False), by_entity))
    return facts, problems
