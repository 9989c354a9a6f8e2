"""How the entity view and the claims page cost as the corpus grows: the old query against
the new one, on the same built store, in the same run (median of repeated runs).

    python bench/serving_scale.py STORE [--entity russia]

  entity view   NODE_VIEW (every triple of the node, unordered cap) vs ENTITY_VIEW
  claims page   the keyset query sorting every claim vs the article walk (first 3 pages of 50)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from claimgraph.api.rest import claims
from claimgraph.api.rest.common import keyset_page
from claimgraph.api.rest.queries import claims_page
from claimgraph.api.rest.views import ENTITY_VIEW, NODE_VIEW

FILTERS = dict.fromkeys(["claimant", "subject", "topic", "kind", "stance", "hedged", "attribution", "article"])


class Engine:
    def __init__(self, store: ox.Store):
        self.store = store

    def run(self, q: str, subs: dict | None = None) -> list[dict]:
        kw = {"use_default_graph_as_union": True}
        if subs:
            kw["substitutions"] = {ox.Variable(k): v for k, v in subs.items()}
        r = self.store.query(q, **kw)
        names = [v.value for v in r.variables]
        return [{n: sol[n] for n in names} for sol in r]

    async def trusted(self, q: str, subs: dict | None = None) -> list[dict]:
        return self.run(q, subs)


class Ctx:
    def __init__(self, engine: Engine):
        self.engine = engine


def median_ms(fn, rounds: int = 7) -> float:  # noqa: ANN001
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


async def pages(walk) -> list[str]:  # noqa: ANN001
    out, cursor = [], None
    for _ in range(3):
        iris, cursor = await walk(cursor)
        out += iris
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--entity", default="russia")
    ap.add_argument("--base", default="http://127.0.0.1:8000/id/")
    args = ap.parse_args()
    store = ox.Store.read_only(str(args.store.resolve()))
    eng, ctx = Engine(store), Ctx(Engine(store))
    quads = sum(1 for _ in store.quads_for_pattern(None, None, None, None))
    node = ox.NamedNode(f"{args.base}entity/{args.entity}")
    graphs = {k: ox.NamedNode(f"{args.base}graph/{g}") for k, g in
              (("register", "entities"), ("links", "links"), ("inferred", "inferred"))}
    old_rows = eng.run(NODE_VIEW, {"s": node})
    new_rows = eng.run(ENTITY_VIEW, {"s": node, **graphs})
    has_id = any(r["p"].value.endswith("#registerId") for r in old_rows)
    old_v = median_ms(lambda: eng.run(NODE_VIEW, {"s": node}))
    new_v = median_ms(lambda: eng.run(ENTITY_VIEW, {"s": node, **graphs}))
    old_walk = lambda c: keyset_page(ctx, claims_page(frozenset()), {}, FILTERS, c, 50)  # noqa: E731
    new_walk = lambda c: claims.article_walk(ctx, FILTERS, c, 50)  # noqa: E731
    same = asyncio.run(pages(old_walk)) == asyncio.run(pages(new_walk))
    old_c = median_ms(lambda: asyncio.run(pages(old_walk)), 3) / 3
    new_c = median_ms(lambda: asyncio.run(pages(new_walk)), 3) / 3
    print(f"store {args.store}: {quads:,} quads")
    print("| what | before | after | before/after | note |\n|---|---:|---:|---:|---|")
    print(f"| entity view of {args.entity} | {old_v:.2f} ms | {new_v:.2f} ms | {old_v / new_v:.0f}× | "
          f"before: {len(old_rows)} rows, register id {'shown' if has_id else 'MISSING'}; "
          f"after: {len(new_rows)} rows |")
    print(f"| claims page (50) | {old_c:.1f} ms | {new_c:.1f} ms | {old_c / new_c:.0f}× | "
          f"first 3 pages {'identical' if same else 'DIFFER'} |")


if __name__ == "__main__":
    main()
