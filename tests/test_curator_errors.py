"""The mistakes a new curator made adding a ten-sentence article, each with the message it now gets:
in words, with file:line, and a way to fix it — at the reading stage, before any SHACL run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from claimgraph.build import BuildFailed, compile_dataset
from claimgraph.reading import load_corpus

ROOT = Path(__file__).resolve().parents[1]
SEED = "us-russia-reconfiguration"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    return d


def edit(data: Path, old: str, new: str) -> int:
    """Replace one exact string in the seed reading; return its line."""
    path = data / "articles" / SEED / "reading.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def problems(data: Path) -> list[str]:
    _, found = load_corpus(data, strict=False)
    return [str(p) for p in found]


def small_article(data: Path, text: str, reading: str) -> None:
    folder = data / "articles" / "small"
    folder.mkdir()
    (folder / "article.txt").write_text(text, encoding="utf-8")
    (folder / "reading.yaml").write_text(reading, encoding="utf-8")


HEAD = "article: {title: Small, publisher: strategic-culture-foundation, language: en}\n"


def test_europe_inside_european_is_not_a_second_occurrence(data: Path):
    small_article(data, "The European Commission spoke for Europe.\n", HEAD + (
        "sentences:\n"
        "  - id: s1\n"
        "    text: \"The European Commission spoke for Europe.\"\n"
        "    mentions:\n"
        "      - {text: \"Europe\", entity: europe}\n"))
    corpus, found = load_corpus(data, strict=False)
    assert not found, found
    mention = next(a for a in corpus.articles if a.slug == "small").sentences[0].mentions[0]
    assert (mention.span.begin, mention.span.end) == (34, 40)   # the word Europe, not "European"


def test_mention_found_only_inside_a_longer_word_says_so(data: Path):
    small_article(data, "The European Commission spoke.\n", HEAD + (
        "sentences:\n"
        "  - id: s1\n"
        "    text: \"The European Commission spoke.\"\n"
        "    mentions:\n"
        "      - {text: \"Europe\", entity: europe}\n"))
    assert ("data/articles/small/reading.yaml:6: mention in s1: 'Europe' not found in sentence s1 as a whole word: "
            "it occurs only inside a longer word ('The European Commiss'); mentions match whole words") in problems(data)


def test_straight_apostrophe_against_curly_is_named(data: Path):
    line = edit(data, 'quote: "the proposal to establish an economic partnership signals a subtle but significant shift in Washington’s strategy"',
                'quote: "the proposal to establish an economic partnership signals a subtle but significant shift in Washington\'s strategy"')
    found = [p for p in problems(data) if p.startswith(f"data/articles/{SEED}/reading.yaml:{line}: claim c5: ")]
    assert found and "the text has ’ (U+2019) where the quote has ' (U+0027); copy the words from article.txt" in found[0]


def test_hyphen_against_dash_is_named(data: Path):
    line = edit(data, 'text: "And most importantly — unlike in the 1990s, Moscow is in no hurry."\n    mentions:\n      - {text: "Moscow"',
                'text: "And most importantly — unlike in the 1990s, Moscow is in no hurry."\n    mentions:\n      - {text: "importantly - unlike"')
    found = [p for p in problems(data) if "importantly - unlike" in p]
    assert found and found[0].startswith(f"data/articles/{SEED}/reading.yaml:{line + 2}: ")
    assert "the text has — (U+2014) where the quote has - (U+002D)" in found[0]


def test_unknown_entity_typo_suggests_the_id(data: Path):
    line = edit(data, "about: [russia, china, india, iran]", "about: [russia, china, india, irann]")
    assert any(p.startswith(f"data/articles/{SEED}/reading.yaml:{line}: ") and "unknown entity 'irann' in about; "
               "did you mean iran (Iran)" in p for p in problems(data)), problems(data)


def test_null_publisher_is_caught_at_the_reading_stage_with_its_line(data: Path, settings_for, tmp_path: Path):
    line = edit(data, "  publisher: strategic-culture-foundation\n", "  publisher: null\n")
    settings = settings_for(tmp_path, data_dir=data, reasoner="none")
    with pytest.raises(BuildFailed) as failed:
        compile_dataset(settings)
    assert failed.value.stage == "reading"   # not "SHACL validation", which has no file:line
    assert any(p.startswith(f"data/articles/{SEED}/reading.yaml:{line}: article: publisher is null, but every "
                            "built article names its publisher") for p in failed.value.problems), failed.value.problems


def test_state_without_wikidata_is_caught_at_the_reading_stage(data: Path):
    path = data / "entities.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: ruritania\n    type: State\n    label: Ruritania\n",
                    encoding="utf-8")
    assert any(re.match(r"data/entities\.yaml:\d+: entity ruritania: a State needs its verified wikidata QID", p)
               for p in problems(data))


def _keys(value, out: set[str]) -> set[str]:  # noqa: ANN001
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def allowed_keys() -> set[str]:
    """Every key the reading stage accepts, read from the readers' own allow-lists."""
    keys: set[str] = set()
    for module in ("article.py", "status.py"):
        src = (ROOT / "service" / "claimgraph" / "reading" / module).read_text(encoding="utf-8")
        for group in re.findall(r"allow\(\(([^)]*)\)\)", src) + re.findall(r"_KEYS = \(([^)]*)\)", src):
            keys |= set(re.findall(r'"([A-Za-z]+)"', group))
    return keys


def test_every_key_the_build_reads_is_documented():
    doc = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    used = _keys(yaml.safe_load((ROOT / "data" / "articles" / SEED / "reading.yaml").read_text(encoding="utf-8")), set())
    keys = used | allowed_keys() | {"status", "rule", "proposed", "draft", "ingest"}
    assert {"published", "note", "sentence", "occurrence", "status", "source"} <= keys
    missing = sorted(k for k in keys if not re.search(rf"(^|[\s{{,`]){k}:", doc, re.M))
    assert not missing, f"keys the build reads but data/README.md does not show: {missing}"


def test_readme_example_is_the_seed_reading_verbatim():
    doc = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    block = doc.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("\n```", 1)[0]
    seed = (ROOT / "data" / "articles" / SEED / "reading.yaml").read_text(encoding="utf-8").split("\n")
    at = 0
    for line in block.split("\n"):
        if line.strip() and line not in ("sentences:", "claims:", "events:", "policies:"):
            at = seed.index(line, at) + 1   # every line is the seed's, in the seed's order
    parsed = yaml.safe_load(block)
    assert parsed["article"]["publisher"] == "strategic-culture-foundation"
    assert [s["id"] for s in parsed["sentences"]] == ["s1", "s2", "s3", "s4"]
    assert parsed["claims"] and parsed["events"] and parsed["policies"]
