"""One article folder: article.txt + reading.yaml -> an Article with computed offsets."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from .claims import ClaimSection
from .fields import ITEM_ID, SLUG, Fields, items
from .locate import locate
from .model import AUTHOR, MENTION_ROLES, PRECISIONS, SENTENCE_ROLES, TIME_BASES, Article, Entity, Mention, Sentence, Span, When
from .references import ReferenceSections
from .problems import Problem
from .yamlfile import Node, load_yaml

DATE = re.compile(r"^(-?[0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
GENRES = ("OpinionNewsArticle", "NewsArticle", "AnalysisNewsArticle", "ReportageNewsArticle", "Article")


def paragraphs_of(text: str) -> list[Span]:
    spans, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            b = pos + line.index(stripped)
            spans.append(Span(b, b + len(stripped), stripped))
        pos += len(line) + 1
    return spans


def check_date(value: str) -> str | None:
    m = DATE.match(value)
    if not m:
        return f"bad date {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)"
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        dt.date(max(int(year), 1), int(month or 1), int(day or 1))
    except ValueError:
        return f"bad date {value!r}: no such day"
    return None


class ArticleReader(ClaimSection, ReferenceSections):
    """Validates one reading against its text and the register, collecting every problem."""

    def __init__(self, folder: Path, shown_dir: str, entities: dict[str, Entity]):
        self.folder = folder
        self.slug = folder.name
        self.text_file = f"{shown_dir}/article.txt"
        self.file = f"{shown_dir}/reading.yaml"
        self.entities = entities
        self.problems: list[Problem] = []
        self.pending_refs: list = []  # (fields, claim, key, ids) resolved once every section is read
        self.declared: set[str] = set()

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def entity_ref(self, f: Fields, key: str, value: str | None, allow_author: bool = False) -> bool:
        if value is None:
            return False
        if allow_author and value == AUTHOR:
            return True
        if value not in self.entities:
            from .hints import suggest_entities

            f.problem(f"{f.what}: unknown entity {value!r} in {key}{suggest_entities(value, self.entities)}", key=key)
            return False
        return True

    def load_doc(self):  # noqa: ANN201 - (YAML tree, problems); a subclass may take keys out first
        return load_yaml(self.folder / "reading.yaml", self.file)

    def read(self) -> Article | None:
        if not SLUG.match(self.slug):
            self.problem(0, f"article folder name {self.slug!r} must be a lowercase slug")
        try:
            raw = (self.folder / "article.txt").read_bytes()
        except FileNotFoundError:
            self.problems.append(Problem(self.text_file, 0, "file not found"))
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(Problem(self.text_file, 1, f"not valid UTF-8 at byte {exc.start}"))
            return None
        doc, errs = self.load_doc()
        if errs:
            self.problems.extend(errs)
            return None
        top = Fields(doc, self.file, self.problems, "reading")
        top.allow(("article", "sentences", "claims", "events", "policies", "framing"))
        meta = Fields(top.mapping("article") or Node(), self.file, self.problems, "article", top.line("article"))
        if "article" not in top.node:
            self.problem(1, "reading: missing article")
        meta.allow(("title", "genre", "publisher", "author", "language", "url", "note", "published"))
        publisher = meta.str("publisher", required=False)
        self.entity_ref(meta, "publisher", publisher)
        author = meta.str("author", required=False)
        self.entity_ref(meta, "author", author)
        paragraphs = paragraphs_of(text)
        sentences = self.read_sentences(top, text, paragraphs)
        by_id = {s.id: s for s in sentences}
        claims = self.read_claims(top, text, by_id)
        events = self.read_events(top, text, by_id)
        policies = self.read_policies(top, text, by_id)
        framings = self.read_framings(top, text, by_id)
        self.resolve_refs(claims, events, policies)
        return Article(
            slug=self.slug,
            text=text,
            sha256=hashlib.sha256(raw).hexdigest(),
            title=meta.str("title") or self.slug,
            genre=meta.choice("genre", GENRES, default="NewsArticle") or "NewsArticle",
            publisher=publisher,
            author=author,
            language=meta.str("language", required=False, default="en") or "en",
            url=self.read_url(meta),
            published=self.read_published(meta),
            note=meta.str("note", required=False),
            paragraphs=paragraphs,
            sentences=sentences,
            claims=claims,
            events=events,
            policies=policies,
            framings=framings,
        )

    def read_url(self, meta: Fields) -> str | None:
        url = meta.str("url", required=False)
        if url is not None and not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", url):
            meta.problem(f"article: url must be an http(s) URL, got {url!r}", key="url")
            return None
        return url

    def read_published(self, meta: Fields) -> str | None:
        published = meta.str("published", required=False)
        if published is not None and (err := check_date(published)):
            meta.problem(f"article: published: {err}", key="published")
            return None
        return published

    def read_sentences(self, top: Fields, text: str, paragraphs: list[Span]) -> list[Sentence]:
        out: list[Sentence] = []
        pos = 0
        last_line = top.line("sentences")
        for index, (node, line) in enumerate(items(top.node.get("sentences"), self.file, self.problems, "sentences", last_line)):
            last_line = line
            f = Fields(node, self.file, self.problems, "sentence", line)
            f.allow(("id", "text", "role", "mentions", "note"))
            sid, words = f.str("id"), f.str("text")
            role = f.choice("role", SENTENCE_ROLES, default="body") or "body"
            if sid is None or words is None:
                continue
            if not ITEM_ID.match(sid) or sid in {s.id for s in out}:
                f.problem(f"sentence id {sid!r} is malformed or repeated", key="id")
                continue
            if not words.strip() or words != words.strip():
                f.problem(f"sentence {sid}: text must not be empty or start/end with whitespace", key="text")
                continue
            at = text.find(words, pos)
            if at < 0:
                where = "anywhere in the text" if text.find(words) < 0 else "after the previous sentence"
                f.problem(f"sentence {sid}: text {words[:60]!r} not found {where}", key="text")
                continue
            gap = text[pos:at]
            if gap.strip():
                f.problem(f"sentence {sid}: text before it is not covered by any sentence: {gap.strip()[:60]!r}", key="text")
            span = Span(at, at + len(words), words)
            para = next((i for i, p in enumerate(paragraphs, 1) if p.begin <= span.begin and span.end <= p.end), 0)
            if not para:
                f.problem(f"sentence {sid}: crosses a paragraph boundary", key="text")
            sentence = Sentence(sid, index + 1, span, role, para)
            sentence.mentions = self.read_mentions(f, text, sentence)
            out.append(sentence)
            pos = span.end
        if out and text[pos:].strip() and not any(p.file == self.file for p in self.problems):
            self.problem(last_line, f"text after the last sentence is not covered: {text[pos:].strip()[:60]!r}")
        if not out:
            self.problem(top.line("sentences"), f"reading: no sentences (claimgraph draft {self.slug} proposes them)")
        return out

    def read_mentions(self, sf: Fields, text: str, sentence: Sentence) -> list[Mention]:
        out = []
        for k, (node, line) in enumerate(items(sf.node.get("mentions"), self.file, self.problems, "mentions", sf.line("mentions")), 1):
            f = Fields(node, self.file, self.problems, f"mention in {sentence.id}", line)
            f.allow(("text", "entity", "role", "occurrence", "note"))
            words, entity = f.str("text"), f.str("entity")
            role = f.choice("role", MENTION_ROLES, default="other") or "other"
            if words is None or not self.entity_ref(f, "entity", entity):
                continue
            span = locate(text, words, sentence.span.begin, sentence.span.end, f.int("occurrence"), f"sentence {sentence.id}",
                          whole_words=True)
            if isinstance(span, str):
                f.problem(f"mention in {sentence.id}: {span}", key="text")
                continue
            out.append(Mention(f"{sentence.id}-m{k}", span, entity, role, sentence.id))
        return out

    def containing(self, span: Span, sentences: dict[str, Sentence]) -> Sentence | None:
        return next((s for s in sentences.values() if s.span.begin <= span.begin and span.end <= s.span.end), None)

    def scoped(self, f: Fields, text: str, key: str, sentences: dict[str, Sentence], sid: str | None) -> Span | None:
        words = f.str(key, required=False)
        if words is None:
            return None
        if sid is not None:
            if sid not in sentences:
                f.problem(f"{f.what}: unknown sentence {sid!r}", key="sentence")
                return None
            s = sentences[sid]
            span = locate(text, words, s.span.begin, s.span.end, f.int("occurrence"), f"sentence {sid}")
        else:
            span = locate(text, words, 0, len(text), f.int("occurrence"), "the text")
        if isinstance(span, str):
            f.problem(f"{f.what}: {span}", key=key)
            return None
        return span

    def read_when(self, f: Fields, text: str, sentences: dict[str, Sentence], sid: str | None) -> When | None:
        node = f.mapping("when")
        if node is None:
            return None
        w = Fields(node, self.file, self.problems, f"{f.what} when")
        w.allow(("text", "start", "end", "precision", "basis", "sentence", "occurrence"))
        start, end = w.str("start", required=False), w.str("end", required=False)
        for key, value in (("start", start), ("end", end)):
            if value is not None and (err := check_date(value)):
                w.problem(f"{f.what}: {key}: {err}", key=key)
                return None
        if start and end and _pad(start, low=True) > _pad(end, low=False):
            w.problem(f"{f.what}: start {start} is after end {end}", key="end")
            return None
        precision = w.choice("precision", PRECISIONS)
        basis = w.choice("basis", TIME_BASES, default="text") or "text"
        span = self.scoped(w, text, "text", sentences, w.str("sentence", required=False) or sid)
        if precision is None:
            return None
        return When(start, end, precision, basis, span)


def _pad(date: str, low: bool) -> str:
    parts = date.split("-") if not date.startswith("-") else date[1:].split("-")
    parts += ["01" if low else "12", "01" if low else "31"][len(parts) - 1:]
    return "-".join(parts[:3])
