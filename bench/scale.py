"""Scale benchmark: building 1 … N articles, against `oxigraph load` of the same quads.

For each corpus size it makes N synthetic readings (tests/support/scale_corpus.py) in a
temporary data dir and runs real `claimgraph build` processes:

  cold      first build, empty cache
  warm      the same data again (nothing changed)
  add one   one new article folder, then build
  change    one claim's stance changed in one article, then build

Peak RSS is sampled over the build process and all its children (workers,
and HermiT's JVM where it runs). The reference is `oxigraph load` (the
oxigraph PyPI package's binary) of the built store's quads dumped to one
N-Quads file, timed in the same run; "load" is the build's own loading stage
(bulk_load of the cached N-Quads files into the new version).

`--before DIR` also builds with older code (DIR holds its `claimgraph`
package, e.g. `git archive 952f89d service | tar -x -C DIR`, then DIR/service)
up to `--before-max` articles, as the "before" rows.

    python bench/scale.py --sizes 1,50,200,1000 [--before /tmp/old/service --before-max 50]

Writes bench/out/scale.jsonl and bench/SCALE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))  # the corpus maker the tests share
import scale_corpus  # noqa: E402

sys.path.insert(0, str(HERE))
from proc_tree import timed  # noqa: E402
import scale_serving  # noqa: E402

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
CHILD = """
import json, sys
from claimgraph.build import build
from claimgraph.config import Settings
r = build(Settings())
print(json.dumps({"seconds": r.seconds, "triples": sum(r.triples_per_graph.values()),
                  "compiled": getattr(r, "compiled", None), "reasoner": r.reasoner}))
"""


def build(data: Path, store: Path, code: Path | None = None) -> dict:
    env = {**os.environ, "CLAIMGRAPH_DATA": str(data), "CLAIMGRAPH_STORE": str(store)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    wall, peak, out = timed([sys.executable, "-c", CHILD], env)
    info = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "rss": peak, **info}


def oxigraph_load(store: Path, work: Path) -> dict | None:
    """`oxigraph load` of the store's quads, dumped: None (and said) when the disk cannot hold the
    dump and a second store beside this one (the 10,000-article run of 2026-12-04 13:27 died there)."""
    need = 2.2 * du(store)
    free = shutil.disk_usage(work).free
    if free < need:
        print(f"skipping the reference `oxigraph load`: {free / 1e9:.1f} GB free, ~{need / 1e9:.1f} GB needed",
              file=sys.stderr, flush=True)
        return None
    dump = work / "dump.nq"
    subprocess.run([str(OXIGRAPH), "dump", "--location", str(store.resolve()), "--file", str(dump)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = work / "oxload"
    shutil.rmtree(target, ignore_errors=True)
    wall, peak, _ = timed([str(OXIGRAPH), "load", "--location", str(target), "--file", str(dump)])
    size = dump.stat().st_size
    dump.unlink()
    shutil.rmtree(target, ignore_errors=True)
    return {"wall": wall, "rss": peak, "bytes": size}


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.resolve().rglob("*") if f.is_file())


def change_one(data: Path) -> None:
    reading = data / "articles" / scale_corpus.slug(1) / "reading.yaml"
    text = reading.read_text()
    for old, new in (("stance: favourable", "stance: neutral"), ("stance: neutral", "stance: favourable")):
        if old in text:
            reading.write_text(text.replace(old, new, 1))
            return


def run_size(n: int, work: Path, before: Path | None, before_max: int, current: Path | None = None,
             serving: int = 0) -> list[dict]:
    data = work / "data"
    rows = []
    for label, code in (("claimgraph", current), ("claimgraph before", before)):
        if label != "claimgraph" and (code is None or n > before_max):
            continue
        scale_corpus.make_corpus(work / "data", n)
        store = work / f"store-{label.replace(' ', '-')}"
        row: dict = {"articles": n, "code": label}
        cold = build(data, store, code)
        row.update(triples=cold["triples"], cold=cold["wall"], cold_rss=cold["rss"],
                   load=cold["seconds"].get("load", cold["seconds"].get("store")), reasoner=cold["reasoner"])
        row["store_bytes"] = du(store)
        if label == "claimgraph":
            row["oxigraph_load"] = oxigraph_load(store, work)
            if serving:
                row["serving"] = scale_serving.measure(store, serving)
        warm = build(data, store, code)
        row.update(warm=warm["wall"], warm_rss=warm["rss"])
        scale_corpus.add_article(data, n + 1)
        add = build(data, store, code)
        row.update(add=add["wall"], add_rss=add["rss"], add_compiled=add["compiled"])
        change_one(data)
        change = build(data, store, code)
        row.update(change=change["wall"], change_compiled=change["compiled"])
        row["peak_rss"] = max(row["cold_rss"], row["warm_rss"], row["add_rss"], change["rss"])
        print(json.dumps(row), flush=True)
        rows.append(row)
        shutil.rmtree(store.with_name(store.name + ".versions"), ignore_errors=True)
        shutil.rmtree(store.with_name(store.name + ".cache"), ignore_errors=True)
        store.unlink(missing_ok=True)
    return rows


def table(rows: list[dict]) -> str:
    gb = 1024 ** 3
    out = ["| articles | code | quads | cold build | warm rebuild | add one | change one | peak RSS | "
           "loading stage | `oxigraph load` (same quads) | load ratio | oxigraph peak RSS | store size |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ox_ = r.get("oxigraph_load")
        ratio = f"{r['load'] / ox_['wall']:.2f}×" if ox_ and r.get("load") else "–"
        out.append(
            f"| {r['articles']:,} | {r['code']} | {r['triples']:,} | {r['cold']:.1f} s | {r['warm']:.1f} s | "
            f"{r['add']:.1f} s | {r['change']:.1f} s | {r['peak_rss'] / gb:.2f} GB | "
            + (f"{r['load']:.1f} s | " if r.get("load") else "– | ")
            + (f"{ox_['wall']:.1f} s | {ratio} | {ox_['rss'] / gb:.2f} GB | " if ox_ else "– | – | – | ")
            + f"{r['store_bytes'] / 1024 ** 2:,.0f} MB |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,50,200,1000")
    ap.add_argument("--before", type=Path, help="a directory holding older claimgraph code, for 'before' rows")
    ap.add_argument("--before-max", type=int, default=50)
    ap.add_argument("--code", type=Path, help="run this claimgraph code (default: the installed one); a frozen "
                                              "copy keeps edits made during a long run out of it")
    ap.add_argument("--work", type=Path, help="scratch directory (default: a temporary one)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/SCALE.md alone")
    ap.add_argument("--serving", type=int, default=60, help="requests of each kind against the served store "
                                                            "(claimgraph and oxigraph serve; 0: skip)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="claimgraph-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    (HERE / "out").mkdir(exist_ok=True)
    rows: list[dict] = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for n in (int(x) for x in args.sizes.split(",")):
        rows += run_size(n, work, args.before, args.before_max, args.code, args.serving)
        with open(HERE / "out" / "scale.jsonl", "a") as f:
            for r in rows[-2:]:
                if r["articles"] == n:
                    f.write(json.dumps(r) + "\n")
        served = [r for r in rows if r.get("serving")]
        text = (f"# claimgraph scale benchmark\n\n{started} · {os.uname().machine}, {os.cpu_count()} CPUs · "
                f"`python bench/scale.py --sizes {args.sizes}`\n\n## Building\n\n{table(rows)}\n")
        if served:
            text += ("\n## Serving (never-repeated requests, sequential, one connection per server)\n\n"
                     f"{scale_serving.table(served)}\n")
        print(text, flush=True)
        if not args.no_write:
            (HERE / "SCALE.md").write_text(text)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
