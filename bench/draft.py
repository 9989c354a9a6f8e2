"""How the machine draft compares with curated readings (the gold standard).

    .venv/bin/python bench/draft.py            # prints the table (markdown)

Articles: the seed article against its curated reading (data/articles/*/reading.yaml), and three
short texts written for the tests (tests/fixtures/articles/*.txt) against readings curated by hand
(bench/gold/*.yaml). Figures:

- sentence units: drafted units whose text equals a gold unit, over the gold units;
- mentions: (sentence, register entity) pairs, drafted against gold: precision and recall;
- claims: a drafted claim matches a gold claim of the same sentence when their quotes overlap by
  at least half of the gold quote (each gold claim matched at most once); recall over gold claims,
  precision over drafted ones; then, over the matched pairs, agreement on attribution, kind and
  hedge (both none, or the same words).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))

from claimgraph.draft.compose import draft_reading  # noqa: E402
from claimgraph.draft.segment import sentence_units  # noqa: E402
from claimgraph.reading.entities import load_entities  # noqa: E402


@dataclass
class Gold:
    name: str
    text: str
    published: str | None
    sentences: list[str]
    mentions: set[tuple[int, str]]                 # (sentence index, entity)
    claims: list[dict] = field(default_factory=list)  # sentence (1-based), quote, attribution, kind, hedge


def seed_gold(folder: Path) -> Gold:
    r = yaml.safe_load((folder / "reading.yaml").read_text(encoding="utf-8"))
    index = {s["id"]: n for n, s in enumerate(r["sentences"], 1)}
    mentions = {(index[s["id"]], m["entity"]) for s in r["sentences"] for m in s.get("mentions") or []}
    text = (folder / "article.txt").read_bytes().decode("utf-8")
    claims = []
    for c in r.get("claims") or []:
        sid = c.get("sentence") or next(s["id"] for s in r["sentences"] if c["quote"] in s["text"])
        claims.append({"sentence": index[sid], "quote": c["quote"], "attribution": c["attribution"],
                       "kind": c["kind"], "hedges": c.get("hedges") or []})
    return Gold(f"seed: {folder.name}", text, str(r["article"].get("published") or "") or None,
                [s["text"] for s in r["sentences"]], mentions, claims)


def fixture_gold(gold_file: Path) -> Gold:
    g = yaml.safe_load(gold_file.read_text(encoding="utf-8"))
    text = (ROOT / "tests" / "fixtures" / "articles" / f"{gold_file.stem}.txt").read_text(encoding="utf-8")
    mentions = {(n, e) for n, s in enumerate(g["sentences"], 1) for e in s.get("mentions") or []}
    return Gold(f"test: {gold_file.stem}", text, g.get("published"), [s["text"] for s in g["sentences"]],
                mentions, g.get("claims") or [])


def _cues(claim: dict) -> set[str]:
    """A claim's hedge cues, lowercased: `hedges` (the reading format) or `hedge` (the gold files)."""
    cues = claim.get("hedges") or ([claim["hedge"]] if claim.get("hedge") else [])
    return {str(c).lower() for c in cues}


def _agree(drafted: dict, gold: dict) -> bool:
    """Both unhedged, or the drafter's cue is one of the curator's (it proposes at most one)."""
    d, g = _cues(drafted), _cues(gold)
    return d == g if not d or not g else d <= g


def overlap(a_b: int, a_e: int, b_b: int, b_e: int) -> int:
    return max(0, min(a_e, b_e) - max(a_b, b_b))


def ratio(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "–"


def measure(g: Gold, entities: dict) -> dict[str, str]:
    units = sentence_units(g.text)
    d = draft_reading(g.text, units, entities, None, g.published, "pysbd")
    exact = sum(1 for u in units if u.text in set(g.sentences))
    # Sentence numbers of the draft, mapped to the gold's by text (units that differ map to none).
    gold_index = {t: n for n, t in enumerate(g.sentences, 1)}
    to_gold = {s["id"]: gold_index.get(s["text"]) for s in d.sentences}
    drafted = {(to_gold[s["id"]], m["entity"]) for s in d.sentences for m in s["mentions"] if to_gold[s["id"]]}
    hit = len(drafted & g.mentions)
    # Claims: positions within the sentence text, to measure quote overlap.
    matched, used = [], set()
    for c in d.claims:
        n = to_gold.get(c["sentence"])
        if not n:
            continue
        sent = g.sentences[n - 1]
        cb = sent.find(c["quote"])
        for k, gc in enumerate(g.claims):
            if k in used or gc["sentence"] != n:
                continue
            gb = sent.find(gc["quote"])
            if gb < 0:
                continue
            if overlap(cb, cb + len(c["quote"]), gb, gb + len(gc["quote"])) >= 0.5 * len(gc["quote"]):
                used.add(k)
                matched.append((c, gc))
                break
    same = lambda key: sum(1 for c, gc in matched if (c.get(key) or None) == (gc.get(key) or None))  # noqa: E731
    hedge = sum(1 for c, gc in matched if _agree(c, gc))
    return {
        "article": g.name,
        "sentence units exact": ratio(exact, len(g.sentences)),
        "mention precision": ratio(hit, len(drafted)),
        "mention recall": ratio(hit, len(g.mentions)),
        "claim recall": ratio(len(matched), len(g.claims)),
        "claim precision": ratio(len(matched), len(d.claims)),
        "attribution agrees": ratio(same("attribution"), len(matched)),
        "kind agrees": ratio(same("kind"), len(matched)),
        "hedge agrees": ratio(hedge, len(matched)),
    }


def main() -> int:
    entities, problems = load_entities(ROOT / "data" / "entities.yaml", "entities.yaml")
    if problems:
        print("\n".join(map(str, problems)))
        return 1
    golds = [seed_gold(f) for f in sorted((ROOT / "data" / "articles").iterdir()) if (f / "reading.yaml").exists()]
    golds += [fixture_gold(f) for f in sorted((ROOT / "bench" / "gold").glob("*.yaml"))]
    rows = [measure(g, entities) for g in golds]
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(r[c] for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
