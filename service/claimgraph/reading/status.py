"""Draft and reviewed items in one reading file.

A machine draft (`claimgraph draft`) marks every item it proposes `status: draft` with the
`rule` that proposed it; a curator changes it to `reviewed` or deletes it. An item without a
status is reviewed (every reading written by hand). This module takes the status keys out
before the reading is checked, checks that nothing reviewed leans on something still draft,
and splits the checked reading in two: the curated article (reviewed items only, the only part
that reaches an article's graph) and the draft (everything proposed, built into a graph of its
own, `graph/article/<slug>/draft`, typed as machine-proposed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..namespaces import ENTITY_TYPES
from .article import ArticleReader
from .fields import ITEM_ID, SLUG, Fields, items
from .locate import locate
from .model import ATTRIBUTIONS, AUTHOR, CLAIM_KINDS, Article, Entity, Span
from .yamlfile import Node, Seq

STATUSES = ("draft", "reviewed")
DRAFT_CLAIM_KEYS = ("id", "quote", "sentence", "occurrence", "claimant", "source", "attribution", "kind", "about",
                    "topics", "stances", "hedges", "paraphrase", "note")


@dataclass
class Mark:
    """One item's status as the file says it, and where."""
    status: str
    rule: str | None
    line: int


@dataclass
class DraftClaim:
    id: str
    span: Span
    sentence: str
    rule: str | None
    claimant: str | None          # an entity id, `author`, or None (the source is not in the register)
    source: str | None            # the words that name the source of a reported claim
    attribution: str | None
    kind: str | None
    about: list[str]
    hedge: Span | None


@dataclass
class ProposedEntity:
    id: str
    type: str | None
    label: str
    aliases: list[str]
    role: str | None
    rule: str | None
    mentions: list[Span] = field(default_factory=list)


@dataclass
class DraftReading:
    """What is still draft in one article, with the whole checked reading for its spans."""
    slug: str
    full: Article
    marks: dict[str, Mark]                       # "sentence:s1", "mention:s1-m2", "event:e1", ...
    claims: list[DraftClaim]
    entities: list[ProposedEntity]
    drafter: dict[str, str]                      # the `draft:` block: tool, version, at, ...
    ingest: dict[str, str]                       # the article's `ingest:` block
    curated: bool                                # whether any sentence is reviewed

    def is_draft(self, key: str) -> bool:
        mark = self.marks.get(key)
        return mark is not None and mark.status == "draft"

    @property
    def empty(self) -> bool:
        return not (self.claims or self.entities or any(m.status == "draft" for m in self.marks.values()))


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


class StatusReader(ArticleReader):
    """ArticleReader that understands `status:` / `rule:` and keeps draft claims apart."""

    def __init__(self, folder: Path, shown_dir: str, entities: dict[str, Entity]):
        super().__init__(folder, shown_dir, entities)
        self.marks: dict[str, Mark] = {}
        self.claim_nodes: list[tuple[Node, int]] = []
        self.proposed: Any = None
        self.drafter: dict[str, str] = {}
        self.ingest: dict[str, str] = {}
        self.article_lines: tuple[int, dict[str, int]] = (1, {})

    def load_doc(self):  # noqa: ANN201 - same shape as ArticleReader.load_doc
        doc, errs = super().load_doc()
        if not errs and isinstance(doc, Node):
            self.take_statuses(doc)
        return doc, errs

    def mark(self, key: str, node: Node, line: int, inherited: str = "reviewed") -> str:
        status = node.pop("status", None)
        rule = node.pop("rule", None)
        if status is None:
            status = inherited
        elif status not in STATUSES:
            self.problem(node.line_of("status"), f"{key.replace(':', ' ')}: status {status!r} is not one of draft, reviewed")
            status = "draft"
        self.marks[key] = Mark(status, str(rule) if rule is not None else None, line)
        return status

    def take_statuses(self, doc: Node) -> None:
        self.proposed = doc.pop("proposed", None)
        self.drafter = _str_map(doc.pop("draft", None))
        if isinstance(doc.get("article"), Node):
            self.article_lines = (doc["article"].line, dict(doc["article"].key_lines))
            self.ingest = _str_map(doc["article"].pop("ingest", None))
        for node, line in self._items(doc, "sentences"):
            sid = node.get("id")
            status = self.mark(f"sentence:{sid}", node, line)
            for k, (mnode, mline) in enumerate(self._items(node, "mentions"), 1):
                mstatus = self.mark(f"mention:{sid}-m{k}", mnode, mline, inherited=status)
                if status == "draft" and mstatus == "reviewed":
                    self.problem(mline, f"mention in {sid} is reviewed but sentence {sid} is still draft: "
                                 f"review the sentence first (status: reviewed on {sid})")
        for key in ("events", "policies"):
            for node, line in self._items(doc, key):
                self.mark(f"{key[:-1] if key == 'events' else 'policy'}:{node.get('id')}", node, line)
        kept = Seq()
        kept.line, kept.item_lines = getattr(doc.get("claims"), "line", 1), []
        for node, line in self._items(doc, "claims"):
            if self.mark(f"claim:{node.get('id')}", node, line) == "draft":
                self.claim_nodes.append((node, line))
            else:
                kept.append(node)
                kept.item_lines.append(line)
        if isinstance(doc.get("claims"), Seq):
            doc["claims"] = kept

    @staticmethod
    def _items(node: Node, key: str) -> list[tuple[Node, int]]:
        seq = node.get(key)
        if not isinstance(seq, Seq):
            return []
        return [(n, line) for n, line in zip(seq, seq.item_lines) if isinstance(n, Node)]

    def read_status(self) -> tuple[Article | None, DraftReading | None]:
        """The curated article (None while no sentence is reviewed) and the draft."""
        full = self.read()
        if full is None:
            return None, None
        draft = DraftReading(self.slug, full, self.marks, self.read_draft_claims(full), self.read_proposed(full),
                             self.drafter, self.ingest, curated=False)
        reviewed = [s for s in full.sentences if not draft.is_draft(f"sentence:{s.id}")]
        draft.curated = bool(reviewed)
        self.check_leans(full, draft)
        if not reviewed:
            return None, draft
        if full.publisher is None:
            self.problem(self._article_line("publisher"),
                         "article: publisher is null, but every built article names its publisher "
                         "(SHACL ArticleShape: schema:publisher, exactly one); write the register id of the outlet"
                         + (" (claimgraph review --accept the proposed entity adds it)" if draft.entities else ""))
        sentences = [replace(s, mentions=[m for m in s.mentions if not draft.is_draft(f"mention:{m.id}")])
                     for s in reviewed]
        curated = replace(full, sentences=sentences,
                          events=[e for e in full.events if not draft.is_draft(f"event:{e.id}")],
                          policies=[p for p in full.policies if not draft.is_draft(f"policy:{p.id}")])
        return curated, draft

    def _article_line(self, key: str) -> int:
        line, key_lines = self.article_lines
        return key_lines.get(key, line)

    def check_leans(self, full: Article, draft: DraftReading) -> None:
        """Nothing reviewed may stand on a draft sentence: its graph would point at nothing."""
        def sentence_at(span: Span | None) -> str | None:
            if span is None:
                return None
            return next((s.id for s in full.sentences if s.span.begin <= span.begin and span.end <= s.span.end), None)

        for c in full.claims:
            if draft.is_draft(f"sentence:{c.sentence}"):
                self.problem(self.marks[f"claim:{c.id}"].line, f"claim {c.id} is reviewed but its sentence {c.sentence} "
                             "is still draft: review the sentence first")
        for kind, things in (("event", full.events), ("policy", full.policies)):
            for t in things:
                sid = sentence_at(t.span)
                mark = self.marks.get(f"{kind}:{t.id}")
                if sid and mark and mark.status == "reviewed" and draft.is_draft(f"sentence:{sid}"):
                    self.problem(mark.line, f"{kind} {t.id} is reviewed but its words lie in sentence {sid}, "
                                 "which is still draft: review the sentence first")

    def read_draft_claims(self, full: Article) -> list[DraftClaim]:
        sentences = {s.id: s for s in full.sentences}
        out: list[DraftClaim] = []
        for node, line in self.claim_nodes:
            f = Fields(node, self.file, self.problems, "draft claim", line)
            f.allow(DRAFT_CLAIM_KEYS)
            cid, sid, words = f.str("id"), f.str("sentence"), f.str("quote")
            if cid is None or sid is None or words is None:
                continue
            f.what = f"draft claim {cid}"
            if not ITEM_ID.match(cid):
                f.problem(f"claim id {cid!r} is malformed", key="id")
                continue
            if sid not in sentences:
                f.problem(f"draft claim {cid}: unknown sentence {sid!r}", key="sentence")
                continue
            s = sentences[sid]
            span = locate(full.text, words, s.span.begin, s.span.end, f.int("occurrence"), f"sentence {sid}")
            if isinstance(span, str):
                f.problem(f"draft claim {cid}: {span}", key="quote")
                continue
            hedge = None
            for cue in f.strs("hedges"):  # the drafter proposes at most one cue; the first is kept
                found = locate(full.text, cue, span.begin, span.end, None, f"the quote of claim {cid}")
                if isinstance(found, str):
                    f.problem(f"draft claim {cid}: hedge {found}", key="hedges")
                elif hedge is None:
                    hedge = found
            claimant = f.str("claimant", required=False)
            if claimant not in (None, AUTHOR):
                self.entity_ref(f, "claimant", claimant)
            about = [a for a in f.strs("about") if self.entity_ref(f, "about", a)]
            kind = f.str("kind", required=False)
            if kind is not None and kind not in CLAIM_KINDS:
                f.problem(f"draft claim {cid}: kind {kind!r} is not one of {', '.join(CLAIM_KINDS)}", key="kind")
                kind = None
            attribution = f.str("attribution", required=False)
            if attribution is not None and attribution not in ATTRIBUTIONS:
                f.problem(f"draft claim {cid}: attribution {attribution!r} is not one of {', '.join(ATTRIBUTIONS)}",
                          key="attribution")
                attribution = None
            out.append(DraftClaim(cid, span, sid, self.marks[f"claim:{cid}"].rule, claimant,
                                  f.str("source", required=False), attribution, kind, about, hedge))
        return out

    def read_proposed(self, full: Article) -> list[ProposedEntity]:
        if self.proposed is None:
            return []
        top = Fields(self.proposed, self.file, self.problems, "proposed", getattr(self.proposed, "line", 1))
        top.allow(("entities",))
        out: list[ProposedEntity] = []
        for node, line in items(top.node.get("entities"), self.file, self.problems, "proposed entities", top.line("entities")):
            f = Fields(node, self.file, self.problems, "proposed entity", line)
            f.allow(("id", "type", "label", "aliases", "role", "status", "rule", "mentions", "note"))
            eid, label = f.str("id"), f.str("label")
            if eid is None or label is None:
                continue
            if not SLUG.match(eid):
                f.problem(f"proposed entity id {eid!r} must be a lowercase slug", key="id")
                continue
            etype = f.str("type", required=False)
            if etype is not None and etype not in ENTITY_TYPES:
                f.problem(f"proposed entity {eid}: type {etype!r} is not one of {', '.join(ENTITY_TYPES)}", key="type")
                etype = None
            mentions = []
            for m, mline in items(node.get("mentions"), self.file, self.problems, "mentions", line):
                mf = Fields(m, self.file, self.problems, f"mention of proposed entity {eid}", mline)
                sid, words = mf.str("sentence"), mf.str("text")
                s = next((x for x in full.sentences if x.id == sid), None)
                if s is None or words is None:
                    mf.problem(f"mention of proposed entity {eid}: unknown sentence {sid!r}", key="sentence")
                    continue
                span = locate(full.text, words, s.span.begin, s.span.end, mf.int("occurrence"), f"sentence {sid}")
                if isinstance(span, str):
                    mf.problem(f"mention of proposed entity {eid}: {span}", key="text")
                    continue
                mentions.append(span)
            status = f.str("status", required=False) or "draft"
            if status != "draft":
                f.problem(f"proposed entity {eid}: a proposed entity is always draft; "
                          f"claimgraph review --accept {eid} moves it into data/entities.yaml", key="status")
            out.append(ProposedEntity(eid, etype, label, f.strs("aliases"), f.str("role", required=False),
                                      f.str("rule", required=False), mentions))
        return out
