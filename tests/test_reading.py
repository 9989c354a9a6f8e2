"""The reading of the seed article: the stored text is the seed, and every
offset the loader computes points at exactly the words the curator wrote.

Expected offsets are derived here independently (own sentence splitter,
plain str.find over the text), never copied from the loader's output.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
import re

import pytest

from claimgraph.reading import load_corpus

from conftest import DATA, SEED_BYTES, SEED_SHA256, SLUG

# Sentence-final punctuation (optionally followed by closing quotes) before whitespace.
_END = re.compile(r"[.!?][”’\"')]*(?=\s|$)")
# "U.S." and the like: single capitals with dots end an abbreviation, not a sentence.
_ABBREV = re.compile(r"(?:^|[\s(“\"])(?:[A-Z]\.){2,}$")


def split_sentences(text: str) -> list[tuple[int, int, str]]:
    """Sentence units as (begin, end, words): split at line breaks and at
    sentence-final punctuation followed by whitespace, not after "U.S."."""
    units: list[tuple[int, int, str]] = []
    offset = 0
    for line in text.split("\n"):
        start = len(line) - len(line.lstrip())
        for m in _END.finditer(line):
            if _ABBREV.search(line[: m.end()]):
                continue
            units.append((offset + start, offset + m.end(), line[start : m.end()]))
            start = m.end() + (len(line[m.end():]) - len(line[m.end():].lstrip()))
        rest = line[start:].rstrip()
        if rest:
            units.append((offset + start, offset + start + len(rest), rest))
        offset += len(line) + 1
    return units


def occurrence_at(haystack: str, needle: str, n: int) -> int:
    """Index of the n-th (1-based, overlapping) occurrence of needle, or -1."""
    hits = [m.start() for m in re.finditer(f"(?={re.escape(needle)})", haystack)]
    return hits[n - 1] if len(hits) >= n else -1


@pytest.fixture(scope="module")
def article():
    corpus, problems = load_corpus(DATA, strict=True)
    assert problems == []
    [a] = [a for a in corpus.articles if a.slug == SLUG]
    return a


@pytest.fixture(scope="module")
def units(article_text):
    return split_sentences(article_text)


# --- the text -------------------------------------------------------------

def test_stored_text_is_byte_identical_to_the_seed(article_bytes):
    assert len(article_bytes) == SEED_BYTES
    assert hashlib.sha256(article_bytes).hexdigest() == SEED_SHA256
    seed = Path(__file__).resolve().parents[2] / "shared" / "seed" / "article.txt"
    if seed.exists():  # beside the project's own checkout: the recorded checksum is the seed's
        assert hashlib.sha256(seed.read_bytes()).hexdigest() == SEED_SHA256


def test_loader_keeps_the_text_verbatim(article, article_bytes, article_text):
    assert article.text == article_text
    assert article.sha256 == hashlib.sha256(article_bytes).hexdigest()


def test_splitter_does_not_split_abbreviations():
    units = split_sentences("Ties with the U.S. matter. The U.S.-Russia talks went on!\nNext line")
    assert [u[2] for u in units] == ["Ties with the U.S. matter.", "The U.S.-Russia talks went on!", "Next line"]


# --- sentences --------------------------------------------------------------

def test_every_sentence_unit_is_a_sentence_with_exact_offsets(article, units, article_text):
    got = [(s.span.begin, s.span.end, s.span.text) for s in article.sentences]
    assert got == units
    for b, e, words in got:
        assert article_text[b:e] == words


def test_yaml_lists_the_sentence_units_in_order(reading, units):
    assert [s["text"] for s in reading["sentences"]] == [u[2] for u in units]
    ids = [s["id"] for s in reading["sentences"]]
    assert len(set(ids)) == len(ids)


def test_sentences_cover_the_whole_text(article, article_text):
    spans = [s.span for s in article.sentences]
    assert article_text[: spans[0].begin].strip() == ""
    assert article_text[spans[-1].end :].strip() == ""
    for prev, nxt in zip(spans, spans[1:]):
        assert prev.end <= nxt.begin
        assert article_text[prev.end : nxt.begin].strip() == "", (prev, nxt)
    covered = [False] * len(article_text)
    for sp in spans:
        covered[sp.begin : sp.end] = [True] * (sp.end - sp.begin)
    assert all(ch.isspace() for ch, c in zip(article_text, covered) if not c)


def test_sentence_positions_roles_and_paragraphs(article, reading, article_text):
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", article_text) if m.group().strip()]
    for index, (s, y) in enumerate(zip(article.sentences, reading["sentences"]), 1):
        assert (s.id, s.index) == (y["id"], index)
        assert s.role == y.get("role", "body")
        para = next(i for i, (b, e) in enumerate(lines, 1) if b <= s.span.begin and s.span.end <= e)
        assert s.paragraph == para
    assert [p.text for p in article.paragraphs] == [article_text[b:e].strip() for b, e in lines]


# --- claims, mentions, hedges, events, policies ------------------------------

def test_every_claim_quote_reproduces_the_text(article, reading, article_text):
    sentences = {s["id"]: s["text"] for s in reading["sentences"]}
    starts = {s.id: s.span.begin for s in article.sentences}
    claims = {c.id: c for c in article.claims}
    assert list(claims) == [c["id"] for c in reading["claims"]]
    for y in reading["claims"]:
        c = claims[y["id"]]
        assert c.span.text == y["quote"]
        assert article_text[c.span.begin : c.span.end] == y["quote"]
        sid = y.get("sentence")
        if sid is None:  # the loader found the sentence; the quote must be unique in the text
            assert article_text.count(y["quote"]) == 1
            b = article_text.find(y["quote"])
        else:
            assert c.sentence == sid
            b = starts[sid] + occurrence_at(sentences[sid], y["quote"], y.get("occurrence", 1))
        assert (c.span.begin, c.span.end) == (b, b + len(y["quote"])), y["id"]


def test_claim_quotes_lie_inside_their_sentence(article):
    by_id = {s.id: s.span for s in article.sentences}
    for c in article.claims:
        s = by_id[c.sentence]
        assert s.begin <= c.span.begin < c.span.end <= s.end, c.id


def test_every_mention_has_exact_offsets_inside_its_sentence(article, reading, article_text):
    for s, y in zip(article.sentences, reading["sentences"]):
        wanted = y.get("mentions") or []
        assert len(s.mentions) == len(wanted), s.id
        for m, ym in zip(s.mentions, wanted):
            at = occurrence_at(y["text"], ym["text"], ym.get("occurrence", 1))
            assert at >= 0
            b = s.span.begin + at
            assert (m.span.begin, m.span.end) == (b, b + len(ym["text"])), (s.id, ym)
            assert article_text[m.span.begin : m.span.end] == ym["text"]
            assert (m.entity, m.role) == (ym["entity"], ym.get("role", "other"))


def test_unpinned_mentions_are_unambiguous_in_their_sentence(reading):
    for y in reading["sentences"]:
        for ym in y.get("mentions") or []:
            if "occurrence" not in ym:
                assert occurrence_at(y["text"], ym["text"], 2) < 0, (y["id"], ym["text"])


def test_hedge_cues_are_exact_words_of_their_sentence(article, reading, article_text):
    claims = {c.id: c for c in article.claims}
    sentences = {s.id: s.span for s in article.sentences}
    hedged = [y for y in reading["claims"] if y["hedges"]]
    assert hedged, "the reading marks some hedges"
    for y in hedged:
        c = claims[y["id"]]
        assert sorted(article_text[h.begin:h.end] for h in c.hedges) == sorted(y["hedges"])
        s = sentences[c.sentence]
        assert all(s.begin <= h.begin and h.end <= s.end for h in c.hedges)
    assert all(claims[y["id"]].hedges == [] for y in reading["claims"] if not y["hedges"])


def test_event_and_policy_anchors_are_exact(article, reading, article_text):
    sentences = {s["id"]: s["text"] for s in reading["sentences"]}
    starts = {s.id: s.span.begin for s in article.sentences}
    events = {e.id: e for e in article.events}
    for y in reading["events"]:
        e = events[y["id"]]
        b = starts[y["sentence"]] + occurrence_at(sentences[y["sentence"]], y["mention"], y.get("occurrence", 1))
        assert (e.span.begin, e.span.end, e.span.text) == (b, b + len(y["mention"]), y["mention"])
        words = (y.get("when") or {}).get("text")
        if words:
            assert e.when.span is not None
            assert article_text[e.when.span.begin : e.when.span.end] == words
            assert words in sentences[y["sentence"]]
    policies = {p.id: p for p in article.policies}
    for y in reading["policies"]:
        p = policies[y["id"]]
        b = starts[y["sentence"]] + occurrence_at(sentences[y["sentence"]], y["mention"], y.get("occurrence", 1))
        assert (p.span.begin, p.span.end) == (b, b + len(y["mention"]))
        assert article_text[p.span.begin : p.span.end] == y["mention"]


def test_offsets_count_code_points_not_bytes(article, article_text):
    # The text has curly quotes and dashes; a byte-offset bug would shift every later span.
    assert len(article_text.encode("utf-8")) > len(article_text)
    last = article.sentences[-1]
    assert last.span.end == len(article_text.rstrip())
