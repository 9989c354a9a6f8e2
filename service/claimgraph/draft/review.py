"""`claimgraph review <slug>`: what is still draft, and accepting or rejecting it by id.

Edits are made on the lines the YAML parser reports, so the curator's formatting and comments
elsewhere in the file are kept, and each file is replaced whole (never half-written).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from ..ingest.yamlout import flow, write_atomic
from ..reading.yamlfile import Node, Seq, load_yaml

KINDS = {"sentences": "sentence", "claims": "claim", "events": "event", "policies": "policy"}
STATUS_DRAFT = re.compile(r"(\bstatus:\s*)(\"draft\"|'draft'|draft)")


class ReviewFailed(Exception):
    pass


@dataclass
class Item:
    kind: str            # sentence | mention | claim | event | policy | entity
    id: str
    line: int            # the item's first line
    status_line: int     # the line of its status key (0: none, i.e. reviewed)
    status: str
    words: str
    rule: str
    node: Node


def _seq(node: Node, key: str) -> list[tuple[Node, int]]:
    seq = node.get(key)
    return [(n, line) for n, line in zip(seq, seq.item_lines) if isinstance(n, Node)] if isinstance(seq, Seq) else []


def items_of(doc: Node) -> list[Item]:
    out = []

    def item(kind: str, iid: str, node: Node, line: int, words: str, inherited: str = "reviewed") -> str:
        status = str(node.get("status", inherited))
        out.append(Item(kind, iid, line, node.line_of("status") if "status" in node else 0, status, words,
                        str(node.get("rule") or ""), node))
        return status

    for node, line in _seq(doc, "sentences"):
        sid = str(node.get("id"))
        status = item("sentence", sid, node, line, str(node.get("text", "")))
        for k, (m, mline) in enumerate(_seq(node, "mentions"), 1):
            item("mention", f"{sid}-m{k}", m, mline, f"{m.get('text')} -> {m.get('entity')}", status)
    for key in ("claims", "events", "policies"):
        for node, line in _seq(doc, key):
            item(KINDS[key], str(node.get("id")), node, line, str(node.get("quote") or node.get("mention") or ""))
    proposed = doc.get("proposed")
    if isinstance(proposed, Node):
        for node, line in _seq(proposed, "entities"):
            item("entity", str(node.get("id")), node, line, f"{node.get('label')} ({node.get('type') or 'type?'})",
                 "draft")
    return out


def load(data_dir: Path, slug: str) -> tuple[Path, Node, list[str]]:
    path = data_dir / "articles" / slug / "reading.yaml"
    if not path.is_file():
        raise ReviewFailed(f"no reading for {slug!r}: {path} does not exist")
    doc, errs = load_yaml(path, f"articles/{slug}/reading.yaml")
    if errs:
        raise ReviewFailed("\n".join(map(str, errs)))
    return path, doc, path.read_text(encoding="utf-8").split("\n")


def pending(data_dir: Path, slug: str) -> list[Item]:
    _, doc, _ = load(data_dir, slug)
    return [i for i in items_of(doc) if i.status == "draft"]


KIND_WORDS = {"sentences": "sentence", "mentions": "mention", "claims": "claim", "events": "event",
              "policies": "policy", "entities": "entity"}


def select(items: list[Item], patterns: list[str]) -> list[Item]:
    """By id (s3, c4, s3-m2, lakeside-ledger), by kind (`claims`, `mentions`, …), `all`, or a glob (`c*`)."""
    chosen: list[Item] = []
    for pat in patterns:
        if pat == "all":
            hits = list(items)
        elif pat in KIND_WORDS:
            hits = [i for i in items if i.kind == KIND_WORDS[pat]]
        else:
            hits = [i for i in items if fnmatch.fnmatchcase(i.id, pat)]
        if not hits:
            raise ReviewFailed(f"nothing still draft matches {pat!r}; `claimgraph review <slug>` lists the ids")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def accept(data_dir: Path, slug: str, patterns: list[str]) -> list[str]:
    path, doc, lines = load(data_dir, slug)
    chosen = select([i for i in items_of(doc) if i.status == "draft"], patterns)
    done, drop = [], set()
    for it in chosen:
        if it.kind == "entity":
            done.append(accept_entity(data_dir, doc, lines, it))
            drop.add(it.line)
            continue
        if it.status_line:
            lines[it.status_line - 1] = STATUS_DRAFT.sub(r'\1"reviewed"', lines[it.status_line - 1], count=1)
        done.append(f"{it.kind} {it.id}: reviewed")
    lines = [ln for n, ln in enumerate(lines, 1) if n not in drop]
    write_atomic(path, "\n".join(lines))
    return done


def accept_entity(data_dir: Path, doc: Node, lines: list[str], it: Item) -> str:
    node = it.node
    etype = node.get("type")
    if not etype:
        raise ReviewFailed(f"proposed entity {it.id} (line {it.line}) has no type yet: write one "
                           "(State, Organization, Person, MediaOutlet, Place, Group, Policy, Event, Concept) first")
    if etype == "State":
        raise ReviewFailed(f"proposed entity {it.id} is a State: a state needs its verified wikidata id; "
                           "add it to data/entities.yaml by hand with one")
    register = data_dir / "entities.yaml"
    text = register.read_text(encoding="utf-8")
    if re.search(rf"^\s*-\s*id:\s*[\"']?{re.escape(it.id)}[\"']?\s*$", text, re.M):
        raise ReviewFailed(f"entity {it.id} is already in data/entities.yaml")
    entry = {"id": it.id, "type": etype, "label": node.get("label")}
    if node.get("aliases"):
        entry["aliases"] = list(node.get("aliases"))
    block = [f"  - id: {it.id}", f"    type: {etype}", f"    {flow({'label': entry['label']})[1:-1]}"]
    if "aliases" in entry:
        block.append(f"    {flow({'aliases': entry['aliases']})[1:-1]}")
    block.append("    # added by claimgraph review from a machine proposal; no external identifier verified yet")
    write_atomic(register, text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n")
    role = node.get("role")
    art = doc.get("article")
    if role in ("publisher", "author") and isinstance(art, Node) and art.get(role) is None and role in art:
        n = art.line_of(role) - 1
        lines[n] = re.sub(rf"({role}:\s*)(null|~)?", rf"\g<1>{it.id}", lines[n], count=1)
        return f"entity {it.id}: added to data/entities.yaml and set as the article's {role}"
    return f"entity {it.id}: added to data/entities.yaml"


def reject(data_dir: Path, slug: str, patterns: list[str]) -> list[str]:
    path, doc, lines = load(data_dir, slug)
    chosen = select([i for i in items_of(doc) if i.status == "draft"], patterns)
    drop: set[int] = set()
    done = []
    for it in chosen:
        if it.kind == "sentence":
            raise ReviewFailed(f"sentence {it.id} (line {it.line}) cannot be deleted: the units must cover the "
                               "whole text; correct its text, or join it to its neighbour, and review it")
        end = it.line
        indent = len(lines[it.line - 1]) - len(lines[it.line - 1].lstrip())
        # A block-style item runs on while the lines are indented deeper than its dash.
        while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
            end += 1
        drop.update(range(it.line, end + 1))
        done.append(f"{it.kind} {it.id}: deleted")
    kept = [ln for n, ln in enumerate(lines, 1) if n not in drop]
    write_atomic(path, "\n".join(kept))
    return done
