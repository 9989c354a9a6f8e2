"""The build refuses broken readings, pointing at file:line, and leaves the
live store alone.

Each case breaks one thing in a copy of data/ and expects the problem at the
line of the key it edited (the line is found in the edited file itself).
These builds stop while reading, before SHACL or the reasoner run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from claimgraph.build import BuildFailed, build
from claimgraph.reading import load_corpus
from claimgraph.store.embedded import EmbeddedStore
from claimgraph.store.swap import versions_dir

from conftest import SLUG, DataCopy


def overlapping_count(haystack: str, needle: str) -> int:
    return len(re.findall(f"(?={re.escape(needle)})", haystack))


@dataclass
class Expect:
    which: str  # "reading" | "entities"
    line: int
    message: str  # regex the message part must match (after "file:line: ")


# Each case edits a DataCopy and says where and what the problem must be.

def quote_not_found(d: DataCopy, text: str) -> Expect:
    d.replace('quote: "sanctions not only failed', 'quote: "sanctions utterly failed', within="  - id: c25")
    return Expect("reading", d.line_of("quote:", within="  - id: c25"),
                  r"^claim c25: 'sanctions utterly failed to alter Moscow’s stance' not found in sentence s15; "
                  r"nearest in sentence s15: 'sanctions not only failed to alter Moscow’s stance'$")


def ambiguous_mention(d: DataCopy, text: str) -> Expect:
    s29 = next(line for line in text.split("\n") if line.startswith("If Washington truly wants"))
    s29 = s29[: s29.index("power.") + len("power.")]
    n = overlapping_count(s29, "it")
    assert n > 1
    d.replace('{text: "it", occurrence: 1, entity: united-states', '{text: "it", entity: united-states', within="  - id: s29")
    return Expect("reading", d.line_of('{text: "it", entity: united-states', within="  - id: s29"),
                  rf"^mention in s29: 'it' is ambiguous: it occurs {n} times in sentence s29; add occurrence: N$")


def ambiguous_quote(d: DataCopy, text: str) -> Expect:
    n = overlapping_count(text, "Moscow")
    assert n > 1
    d.replace('quote: "Moscow negotiates from a strengthened position"', 'quote: "Moscow"', within="  - id: c17")
    d.replace("    sentence: s10\n", "", within="  - id: c17")
    return Expect("reading", d.line_of("quote:", within="  - id: c17"),
                  rf"^claim c17: 'Moscow' is ambiguous: it occurs {n} times in the text; add occurrence: N$")


def unknown_entity_in_claim(d: DataCopy, text: str) -> Expect:
    d.replace("about: [russia, china, india, iran]", "about: [russia, china, india, atlantis]", within="  - id: c28")
    return Expect("reading", d.line_of("about:", within="  - id: c28"),
                  r"^claim c28: unknown entity 'atlantis' in about; did you mean nato \(alias “Atlantic Alliance”\)")


def unknown_entity_in_mention(d: DataCopy, text: str) -> Expect:
    d.replace('{text: "Iran", entity: iran,', '{text: "Iran", entity: persia,', within="  - id: s16")
    return Expect("reading", d.line_of('{text: "Iran"', within="  - id: s16"),
                  r"^mention in s16: unknown entity 'persia' in entity; (did you mean|see data/entities.yaml)")


def missing_claimant(d: DataCopy, text: str) -> Expect:
    d.replace("    claimant: author\n", "", within="  - id: c25")
    # A missing key is reported at its mapping: the claim's first line.
    return Expect("reading", d.line_of("  - id: c25\n"), r"^claim c25: missing claimant$")


def bad_event_date(d: DataCopy, text: str) -> Expect:
    d.replace('start: "1991"', 'start: "1991-12-32"', within="  - id: e-soviet-collapse")
    return Expect("reading", d.line_of("start:", within="  - id: e-soviet-collapse"),
                  r"^event e-soviet-collapse: start: bad date '1991-12-32'")


def bad_publication_date(d: DataCopy, text: str) -> Expect:
    d.replace('published: "2025-04-15"', 'published: "15 April 2025"')
    return Expect("reading", d.line_of("published:"), r"^article: published: bad date '15 April 2025'")


def yaml_syntax_error(d: DataCopy, text: str) -> Expect:
    d.replace("    kind: causal\n", "    kind: causal: or evaluative\n", within="  - id: c25")
    return Expect("reading", d.line_of("kind: causal: or evaluative"), r"^YAML syntax error: ")


def reported_claim_by_author(d: DataCopy, text: str) -> Expect:
    d.replace("attribution: own-voice", "attribution: reported", within="  - id: c9")
    return Expect("reading", d.line_of("attribution:", within="  - id: c9"),
                  r"^claim c9: a reported claim needs the claimant whose view is reported, not the author$")


def own_voice_claim_by_other(d: DataCopy, text: str) -> Expect:
    d.replace("attribution: reported", "attribution: own-voice", within="  - id: c32")
    return Expect("reading", d.line_of("attribution:", within="  - id: c32"),
                  r"^claim c32: own-voice claims are the author's; claimant must be 'author'$")


def malformed_qid(value: str) -> Callable[[DataCopy, str], Expect]:
    def case(d: DataCopy, text: str) -> Expect:
        d.replace("wikidata: Q159\n", f"wikidata: {value}\n", which="entities", within="  - id: russia")
        shown = value.strip('"')
        return Expect("entities", d.line_of("wikidata:", which="entities", within="  - id: russia"),
                      rf"^entity russia: wikidata {re.escape(repr(shown))} is not a QID like Q159$")
    case.__name__ = f"malformed_qid_{value}"
    return case


def sentence_leaves_text_uncovered(d: DataCopy, text: str) -> Expect:
    d.replace('text: "And this time, it’s not Moscow', 'text: "it’s not Moscow', within="  - id: s31")
    t = d.read()  # and the framing device anchored in the words left out
    d.write(t.replace(next(ln for ln in t.splitlines(keepends=True) if "id: f-this-time" in ln), ""))
    return Expect("reading", d.line_of("    text: ", within="  - id: s31"),
                  r"^sentence s31: text before it is not covered by any sentence: 'And this time,'$")


def text_after_last_sentence_uncovered(d: DataCopy, text: str) -> Expect:
    # Drop the last sentence (and the claim pinned to it) entirely.
    lo, hi = d.block("  - id: s31")
    t = d.read()
    d.write(t[:lo] + t[hi:])
    lo, hi = d.block("  - id: c53")
    t = d.read()
    d.write(t[:lo] + t[hi:])
    t = d.read()  # and the framing device anchored in it
    line = next(ln for ln in t.splitlines(keepends=True) if "id: f-this-time" in ln)
    d.write(t.replace(line, ""))
    return Expect("reading", d.line_of("  - id: s30\n"),
                  r"^text after the last sentence is not covered: 'And this time, it’s not Moscow")


CASES = [
    quote_not_found, ambiguous_mention, ambiguous_quote, unknown_entity_in_claim, unknown_entity_in_mention,
    missing_claimant, bad_event_date, bad_publication_date, yaml_syntax_error, reported_claim_by_author,
    own_voice_claim_by_other, malformed_qid("Q159x"), malformed_qid('"159"'), malformed_qid("Q0159"),
    sentence_leaves_text_uncovered, text_after_last_sentence_uncovered,
]


@pytest.fixture(scope="module")
def live(built_store, tmp_path_factory):
    """A live store (the session's build) at a path of its own, so a wrongly
    successful build here could never touch the store other tests read."""
    path = tmp_path_factory.mktemp("live") / "store"
    os.symlink(built_store.dir, path)
    return path


def snapshot(store_path: Path) -> tuple[str, dict[str, int], bool]:
    s = EmbeddedStore(store_path)
    try:
        return os.readlink(store_path), s.triple_counts(), versions_dir(store_path).exists()
    finally:
        s.close()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_build_rejects_with_file_line_and_message(case, broken_data, settings_for, live, article_text):
    before = snapshot(live)
    assert sum(before[1].values()) > 0
    expect = case(broken_data, article_text)
    settings = settings_for(broken_data.path.parent, data_dir=broken_data.path, reasoner="none").with_overrides(store=live)

    with pytest.raises(BuildFailed) as failed:
        build(settings)

    assert failed.value.stage == "reading"
    prefix = f"{broken_data.shown(expect.which)}:{expect.line}: "
    hits = [p for p in failed.value.problems if p.startswith(prefix) and re.search(expect.message, p[len(prefix):])]
    assert hits, f"expected {prefix}{expect.message}\ngot:\n" + "\n".join(failed.value.problems)
    # One edit, one problem: the build does not bury it under consequences.
    assert len(failed.value.problems) == 1, failed.value.problems
    assert snapshot(live) == before


def test_problem_paths_are_relative_to_the_folder_holding_data(broken_data):
    assert broken_data.shown() == f"data/articles/{SLUG}/reading.yaml"
    assert broken_data.shown("entities") == "data/entities.yaml"


def test_every_problem_is_reported_not_just_the_first(broken_data, settings_for, live, article_text):
    before = snapshot(live)
    expects = [quote_not_found(broken_data, article_text), malformed_qid("Q159x")(broken_data, article_text),
               unknown_entity_in_claim(broken_data, article_text)]
    settings = settings_for(broken_data.path.parent, data_dir=broken_data.path, reasoner="none").with_overrides(store=live)
    with pytest.raises(BuildFailed) as failed:
        build(settings)
    problems = failed.value.problems
    assert len(problems) == len(expects)
    for e in expects:
        prefix = f"{broken_data.shown(e.which)}:{e.line}: "
        assert any(p.startswith(prefix) and re.search(e.message, p[len(prefix):]) for p in problems), (e, problems)
    assert snapshot(live) == before


def test_occurrence_resolves_an_ambiguous_quote(broken_data, article_text):
    d = broken_data
    d.replace('quote: "Moscow negotiates from a strengthened position"', 'quote: "Moscow"\n    occurrence: 3', within="  - id: c17")
    d.replace("    sentence: s10\n", "", within="  - id: c17")
    corpus, problems = load_corpus(d.path, strict=False)
    assert problems == []
    [c17] = [c for c in corpus.articles[0].claims if c.id == "c17"]
    third = [m.start() for m in re.finditer("Moscow", article_text)][2]
    assert (c17.span.begin, c17.span.end) == (third, third + len("Moscow"))
    sentence = next(s for s in corpus.articles[0].sentences if s.id == c17.sentence)
    assert sentence.span.begin <= third < sentence.span.end


def test_occurrence_beyond_the_last_is_rejected(broken_data):
    d = broken_data
    d.replace('{text: "it", occurrence: 1,', '{text: "it", occurrence: 9,', within="  - id: s29")
    _corpus, problems = load_corpus(d.path, strict=False)
    assert [(p.file, p.line) for p in problems] == [(d.shown(), d.line_of('{text: "it", occurrence: 9,'))]
    assert "occurrence 9" in problems[0].message


# --- the command line ---------------------------------------------------------

def test_validate_exits_1_and_lists_every_problem(cli, broken_data, article_text):
    expects = [quote_not_found(broken_data, article_text), malformed_qid("Q159x")(broken_data, article_text)]
    r = cli("validate", "--no-reasoner", "--data", broken_data.path)
    assert r.returncode == 1, r.stderr.decode()
    out = r.stdout.decode().splitlines()
    assert len(out) == 2, out
    for e in expects:
        prefix = f"{broken_data.shown(e.which)}:{e.line}: "
        assert any(line.startswith(prefix) and re.search(e.message, line[len(prefix):]) for line in out), (e, out)
    assert "2 problem(s)" in r.stderr.decode()


def test_cli_build_refuses_and_says_the_live_store_is_unchanged(cli, broken_data, live, article_text):
    before = snapshot(live)
    e = missing_claimant(broken_data, article_text)
    r = cli("build", "--no-reasoner", "--data", broken_data.path, "--store", live)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert f"{broken_data.shown()}:{e.line}: claim c25: missing claimant" in err
    assert "unchanged" in err and str(live) in err
    assert snapshot(live) == before
