"""A synthetic corpus of readings for the scale benchmark: N copies of the seed reading.

Each copy is a real article folder (article.txt + reading.yaml), so the whole
build runs on it: reading, offsets, triples, SHACL, reasoning, loading. Copies
are labelled synthetic in their slug (`synthetic-00042`) and their title
("[synthetic copy 42] …"), and differ deterministically: copy i turns the
stance of a few claims (chosen by i) to the next one in a fixed cycle, so no
two copies are the same reading. The register and source context are the
seed's own (real states and organisations, as curated in data/).

    python tests/support/scale_corpus.py 200 /tmp/corpus/data
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository (this file is tests/support/)
SEED = "us-russia-reconfiguration"
CYCLE = {"critical": "favourable", "favourable": "mixed", "mixed": "neutral", "neutral": "critical"}
# The first stance of a claim's `stances: [{toward: x, stance: critical}, ...]` line.
STANCE = re.compile(r"^(\s*stances: \[\{toward: [a-z0-9-]+, stance: )(critical|favourable|mixed|neutral)(\}.*)$")
TITLE = re.compile(r'^(\s*title: ")(.*)$')


def slug(i: int) -> str:
    return f"synthetic-{i:05d}"


def variant(reading: str, i: int) -> str:
    """The seed reading as synthetic copy i (same line count, so file:line stays meaningful)."""
    lines = reading.split("\n")
    stances = [n for n, line in enumerate(lines) if STANCE.match(line)]
    turn = {stances[(i * 7 + k * 13) % len(stances)] for k in range(3)} if stances else set()
    titled = False
    for n, line in enumerate(lines):
        if not titled and (m := TITLE.match(line)):
            lines[n] = f"{m.group(1)}[synthetic copy {i}] {m.group(2)}"
            titled = True
        elif n in turn and (m := STANCE.match(line)):
            lines[n] = f"{m.group(1)}{CYCLE[m.group(2)]}{m.group(3)}"
    return "\n".join(lines)


def add_article(data: Path, i: int, seed_dir: Path | None = None) -> Path:
    seed_dir = seed_dir or ROOT / "data" / "articles" / SEED
    folder = data / "articles" / slug(i)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seed_dir / "article.txt", folder / "article.txt")
    (folder / "reading.yaml").write_text(variant((seed_dir / "reading.yaml").read_text(), i))
    return folder


def make_corpus(dest: Path, n: int, keep_seed: bool = False) -> Path:
    """data/ at `dest` with the seed's register and n synthetic articles (and the seed, if kept)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "articles").mkdir(parents=True)
    for name in ("entities.yaml", "source-context.yaml"):
        shutil.copyfile(ROOT / "data" / name, dest / name)
    if keep_seed:
        shutil.copytree(ROOT / "data" / "articles" / SEED, dest / "articles" / SEED)
    for i in range(1, n + 1):
        add_article(dest, i)
    return dest


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("articles", type=int)
    ap.add_argument("dest", type=Path)
    args = ap.parse_args()
    make_corpus(args.dest, args.articles)
    print(f"{args.articles} synthetic article(s) under {args.dest}")
