"""The build's loading stage alone, against `oxigraph load` of the same quads, in one run.

Takes the first N cached parts of a built store (`<store>.cache/parts`), loads them into a fresh
store the way the build does (stream/assemble.py bulk_load_files, batches of --batch-mb), then
dumps the same files into one N-Quads file and times `oxigraph load` of it (the oxigraph PyPI
package's binary). Peak RSS of each side is sampled over its process.

    python bench/bulk_load.py STORE.cache [--articles 1000] [--batch-mb 384]

Each side runs in its own process, one after the other; scratch stores are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from proc_tree import timed  # noqa: E402

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
OURS = """
import sys
from pathlib import Path
import pyoxigraph as ox
from claimgraph.stream import assemble
assemble.LOAD_BATCH_BYTES = int(sys.argv[3]) << 20
files = [Path(line) for line in Path(sys.argv[1]).read_text().split()]
store = ox.Store(sys.argv[2])
assemble.bulk_load_files(store, files)
store.flush()
print(len(store))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cache", type=Path, help="a built store's cache directory (<store>.cache)")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--batch-mb", type=int, default=384)
    ap.add_argument("--work", type=Path, help="scratch directory (default: a temporary one beside the cache)")
    args = ap.parse_args()
    parts = sorted(p for p in (args.cache / "parts").iterdir() if not p.name.startswith("."))[:args.articles]
    files = [p / name for p in parts for name in ("asserted.nq", "inferred.nq")]
    work = Path(tempfile.mkdtemp(prefix="bulk-load-", dir=args.work or args.cache.parent))
    try:
        listing = work / "files.txt"
        listing.write_text("\n".join(map(str, files)))
        ours_s, ours_rss, out = timed([sys.executable, "-c", OURS, str(listing), str(work / "ours"), str(args.batch_mb)])
        quads = int(out.split()[-1])
        shutil.rmtree(work / "ours")
        dump = work / "all.nq"
        with open(dump, "wb") as f:
            for p in files:
                f.write(p.read_bytes())
        ref_s, ref_rss, _ = timed([str(OXIGRAPH), "load", "--location", str(work / "ref"), "--file", str(dump)])
        row = {"articles": len(parts), "quads": quads, "bytes": dump.stat().st_size, "batch_mb": args.batch_mb,
               "claimgraph_s": round(ours_s, 1), "claimgraph_rss_gb": round(ours_rss / 2**30, 2),
               "oxigraph_load_s": round(ref_s, 1), "oxigraph_rss_gb": round(ref_rss / 2**30, 2),
               "ratio": round(ours_s / ref_s, 2)}
        print(json.dumps(row))
        print(f"{row['articles']} articles, {quads:,} quads: claimgraph {ours_s:.1f} s ({row['claimgraph_rss_gb']} GB), "
              f"oxigraph load {ref_s:.1f} s ({row['oxigraph_rss_gb']} GB): {row['ratio']}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
