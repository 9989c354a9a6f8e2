"""`claimgraph draft <slug>`: propose the whole reading of an added article, as draft items."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version
from pathlib import Path

from .. import __version__
from ..ingest.yamlout import block, flow, write_atomic
from ..reading.entities import load_entities
from ..reading.yamlfile import Node, Seq, load_yaml
from .compose import Draft, draft_reading
from .segment import SegmentationGap, sentence_units


class DraftRefused(Exception):
    """Nothing was written; the message says why."""


def _plain(value):  # noqa: ANN001, ANN202 - a line-aware YAML tree back to dicts and lists
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def reviewed_items(doc: Node) -> list[str]:
    """Items a curator has reviewed (or written by hand): a new draft must not overwrite them."""
    out = []
    for key in ("sentences", "claims", "events", "policies"):
        seq = doc.get(key)
        for node, line in zip(seq, seq.item_lines) if isinstance(seq, Seq) else []:
            if isinstance(node, dict) and node.get("status", "reviewed") != "draft":
                out.append(f"{key[:-1] if key != 'policies' else 'policy'} {node.get('id')} (line {line})")
    return out


def render(article: dict, drafter: dict, proposed: list[dict], d: Draft, slug: str) -> str:
    lines = [f"# Machine draft of {slug} by `claimgraph draft`. Format: data/README.md.",
             "# Every item below is a proposal (status: draft) with the rule that proposed it. Review it:",
             "# set status: reviewed (and fill in what the rule could not: roles, stance, claimant),",
             "# or delete it. `claimgraph review " + slug + "` lists what is still draft; only reviewed",
             "# items reach the article's graph, drafts go to graph/article/" + slug + "/draft.",
             *block({"article": article}), "", *block({"draft": drafter})]
    if proposed:
        lines += ["", "proposed:", "  entities:"] + [f"    - {flow(p)}" for p in proposed]
    lines += ["", "sentences:"]
    for s in d.sentences:
        lines.append(f"  - id: {s['id']}")
        for key in ("text", "role", "status", "rule"):
            if key in s:
                lines.append(f"    {key}: {flow({key: s[key]})[1:-1].split(': ', 1)[1]}")
        if s["mentions"]:
            lines.append("    mentions:")
            lines += [f"      - {flow(m)}" for m in s["mentions"]]
        lines.append("")
    for key, items in (("claims", d.claims), ("events", d.events), ("policies", d.policies)):
        lines.append(f"{key}:" + ("" if items else " []"))
        lines += [f"  - {flow(x)}" for x in items]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def draft_article(data_dir: Path, slug: str, *, replace_reviewed: bool = False) -> tuple[Path, Draft]:
    folder = data_dir / "articles" / slug
    reading = folder / "reading.yaml"
    shown = f"articles/{slug}/reading.yaml"
    if not (folder / "article.txt").is_file():
        raise DraftRefused(f"no article {slug!r}: {folder}/article.txt does not exist (claimgraph add first)")
    text = (folder / "article.txt").read_bytes().decode("utf-8")
    doc, errs = load_yaml(reading, shown) if reading.exists() else (Node(), [])
    if errs:
        raise DraftRefused("\n".join(str(e) for e in errs))
    if not isinstance(doc, Node):
        raise DraftRefused(f"{shown}: expected a mapping at the top")
    kept = reviewed_items(doc)
    if kept and not replace_reviewed:
        raise DraftRefused(f"{shown} holds reviewed items ({', '.join(kept[:3])}{', …' if len(kept) > 3 else ''}); "
                           "a new draft would overwrite them. Nothing was changed.")
    entities, problems = load_entities(data_dir / "entities.yaml", "entities.yaml")
    if problems:
        raise DraftRefused("the register has problems:\n" + "\n".join(map(str, problems)))
    article = _plain(doc.get("article")) if isinstance(doc.get("article"), dict) else {"title": slug}
    language = str(article.get("language") or "en")
    try:
        units = sentence_units(text, language)
    except SegmentationGap as exc:
        raise DraftRefused(f"articles/{slug}/article.txt: sentence units do not cover the text: {exc}") from None
    segmenter = f"pysbd {version('pysbd')}"
    published = str(article["published"]) if article.get("published") else None
    d = draft_reading(text, units, entities, article.get("title"), published, segmenter)
    drafter = {"tool": "claimgraph-draft", "version": __version__,
               "at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
               "segmenter": segmenter, "dates": f"dateparser {version('dateparser')}"}
    old = _plain(doc.get("proposed") or {}).get("entities") or []
    ids = {p["id"] for p in old if isinstance(p, dict)}
    proposed = [p for p in old if isinstance(p, dict)] + [e for e in d.entities if e["id"] not in ids]
    write_atomic(reading, render(article, drafter, proposed, d, slug))
    return reading, d
