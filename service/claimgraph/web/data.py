"""What the pages show, read through the REST API's own query layer (rest/queries.py, rest/records.py).

No page has a query of its own for anything the REST API already answers: the reader's claims
come from the same keyset page query as /api/claims?article=, its sentences and mentions from
/api/articles/{slug}/sentences, an entity from /api/entities/{id}. The only queries here are the
home page's counts, which no REST list answers. Rows are normalised once (`claim_card`) so the
templates keep working while the reading model grows (several hedges, several stance targets).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pyoxigraph as ox

from ..api.context import AppContext
from ..api.rest import records
from ..api.rest.articles import _article_item
from ..api.rest.common import addresses, keyset_page, unique_by_id
from ..api.rest.claims import about_page
from ..api.rest.entities import entity_item
from ..api.rest.envelope import MAX_LIMIT
from ..api.rest.queries import ARTICLES_PAGE, MENTIONS_IN_SENTENCE, NESTED_LIMIT, claims_page
from ..api.rest.views import PREFIX_BLOCK, load_views, node_view_rows, object_details, py

MAX_ITEMS = 5000  # a page never lists more than this many of anything
# The entity page lists the first claims made by and about the entity (the REST lists page through
# the rest): a state named in every article of 1,000 has thousands, and listing 5,000 of them made
# the page 2.7 MB and 49 s. The compare page still reads up to MAX_ITEMS.
ENTITY_CLAIMS = 200
ARTICLE_LIMIT = 200_000

# The REST API's node view and mentions-in-a-sentence queries, widened from one node to a whole
# article: the same patterns and columns (so the same row shapes), read in a few queries instead of
# one per claim and per sentence. Derived from the REST texts, so the two cannot drift apart. Each
# object's details (label, words, offsets) are read as the REST node views read them
# (api/rest/views.py object_details: a UNION of constant predicates per object), once per distinct
# object rather than once per triple: an article's claims have ~1400 triples but ~140 objects.
# (Five OPTIONALs after a subquery, as before, lost most offsets on Virtuoso 7.2.)
CLAIM_TRIPLES_OF_ARTICLE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?article ?s ?p ?o WHERE {{ ?article cg:hasClaim ?s . ?s ?p ?o }} LIMIT {ARTICLE_LIMIT}
"""
CLAIM_VIEWS_OF_ARTICLE = CLAIM_TRIPLES_OF_ARTICLE  # kept for readers of this module
MENTIONS_OF_ARTICLE = MENTIONS_IN_SENTENCE.replace("SELECT ?sentence ", "SELECT ?article ?sentence ", 1).replace(
    "  ?sentence cg:hasMention ?mention .", "  ?article cg:hasSentence ?sentence .\n  ?sentence cg:hasMention ?mention .",
    1).replace(f"LIMIT {NESTED_LIMIT + 1}", f"LIMIT {ARTICLE_LIMIT}")
assert MENTIONS_OF_ARTICLE != MENTIONS_IN_SENTENCE, "REST query texts changed"

COUNTS = {
    "claims_by_kind": PREFIX_BLOCK + "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a cg:Claim ; cg:claimKind ?k } "
                                     "GROUP BY ?k ORDER BY DESC(?n) ?k LIMIT 100",
    "claims_by_voice": PREFIX_BLOCK + "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a cg:Claim ; cg:attribution ?k } "
                                      "GROUP BY ?k ORDER BY DESC(?n) ?k LIMIT 100",
    "entities_by_type": PREFIX_BLOCK + "SELECT ?k (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e cg:registerId ?id ; "
                                       "cg:entityType ?k } GROUP BY ?k ORDER BY DESC(?n) ?k LIMIT 100",
}


async def every(ctx: AppContext, sparql: str, subs: dict[str, Any], filters: dict[str, Any]) -> list[str]:
    """All IRIs of a keyset list (page after page, as a REST client would), capped at MAX_ITEMS."""
    out: list[str] = []
    cursor = None
    while True:
        page, cursor = await keyset_page(ctx, sparql, subs, filters, cursor, MAX_LIMIT)
        out += page
        if cursor is None or len(out) >= MAX_ITEMS:
            return out[:MAX_ITEMS]


async def cached(ctx: AppContext, key: tuple[Any, ...], build: Any, size: int = 256_000) -> Any:
    """What `build()` returns, kept per store version in the engine's answer cache (every write or
    swap empties it, as for the REST answers): a page reads the store once per version, not per view."""
    engine = ctx.engine
    full = ("web",) + key + (str(engine.locator.current()), engine.generation)
    hit = engine.cache.get(full, counted=False)
    if hit is not None:
        return hit
    value = await build()
    if value is not None:
        engine.cache.put(full, value, size)
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _stances(row: dict[str, Any]) -> list[dict[str, Any]]:
    """[{stance, toward}] from a row with one stance and one target, one stance and several targets,
    or a list of stances each with its own target (the reading model's second edition)."""
    out = []
    for st in _as_list(row.get("stances")):
        if isinstance(st, dict):
            out.append({"stance": st.get("stance") or st.get("stanceValue"),
                        "toward": st.get("toward") or st.get("stanceToward")})
    if out:
        return out
    words = [w if isinstance(w, str) else (w or {}).get("stance") for w in _as_list(row.get("stance"))]
    towards = [t for t in _as_list(row.get("stanceToward")) if t]
    if towards and len(words) == len(towards):
        return [{"stance": w, "toward": t} for w, t in zip(words, towards)]
    if towards:
        return [{"stance": t.get("stance") or (words[0] if words else None), "toward": t} for t in towards]
    return [{"stance": w, "toward": None} for w in words]


def claim_card(row: dict[str, Any]) -> dict[str, Any]:
    """A claim row with list-valued hedges and stance targets whatever shape the REST row has."""
    card = dict(row)
    card["hedges"] = [h for h in _as_list(row.get("hedges")) or _as_list(row.get("hedge")) if h]
    card["stances"] = _stances(row)
    card["stance_words"] = sorted({st["stance"] for st in card["stances"] if st["stance"]})
    if not isinstance(row.get("stance"), str):
        words = card["stance_words"]
        card["stance"] = words[0] if len(words) == 1 else ("mixed" if words else None)
    card["towards"] = [st["toward"] for st in card["stances"] if st["toward"]]
    card["voice"] = row.get("attribution") or "unknown"
    card["short"] = str(row.get("claimId", "")).rsplit("/", 1)[-1]
    related = {r["id"] for r in _as_list(row.get("about")) + card["towards"] + _as_list(row.get("topics")) if r}
    if row.get("claimant"):
        related.add(row["claimant"]["id"])
    card["related"] = sorted(related)
    return card


# -- home ------------------------------------------------------------------------------------------

def _counts(ctx: AppContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sparql in COUNTS.items():
        rows = ctx.engine.run_trusted(sparql)
        words = records.ATTRIBUTIONS if name == "claims_by_voice" else {}
        out[name] = [(words.get(py(r["k"]), py(r["k"])), py(r["n"])) for r in rows]
    return out


async def home(ctx: AppContext) -> dict[str, Any]:
    return await cached(ctx, ("home",), lambda: _home(ctx), 64_000)


async def _home(ctx: AppContext) -> dict[str, Any]:
    addr = addresses(ctx)
    iris = await every(ctx, ARTICLES_PAGE, {"publisher": None}, {"publisher": None})
    articles = [records.article_row(v, addr) for v in await asyncio.to_thread(load_views, ctx.engine, iris)]
    counts = await asyncio.to_thread(_counts, ctx)
    counts["articles"] = len(articles)
    counts["claims"] = sum(n for _k, n in counts["claims_by_kind"])
    counts["entities"] = sum(n for _k, n in counts["entities_by_type"])
    return {"articles": articles, "counts": counts}


# -- the reader --------------------------------------------------------------------------------------

async def reader(ctx: AppContext, slug: str) -> dict[str, Any] | None:
    return await cached(ctx, ("reader", slug), lambda: _reader(ctx, slug))


async def _reader(ctx: AppContext, slug: str) -> dict[str, Any] | None:
    iri = ctx.mint.article(slug)
    article = await asyncio.to_thread(_article_item, ctx, iri)
    if article is None:
        return None
    addr = addresses(ctx)
    node = ox.NamedNode(iri)

    def read_claims() -> list[dict[str, Any]]:
        triples = ctx.engine.run_trusted(CLAIM_TRIPLES_OF_ARTICLE, {"article": node})
        details = object_details(ctx.engine, [r["o"] for r in triples])
        by_claim: dict[str, list[dict[str, Any]]] = {}
        for r in triples:
            # One node-view row per (triple, detail row), as the REST node view would give it.
            for d in details.get(r["o"], [{}]):
                by_claim.setdefault(r["s"].value, []).append({**d, **r})
        views = [node_view_rows(rs, iri) for iri, rs in by_claim.items()]
        cards = [claim_card(records.claim_row(v, addr)) for v in views]
        return sorted(cards, key=lambda c: ((c.get("quote") or {}).get("begin", 0), c["id"]))

    def read_mentions() -> list[dict[str, Any]]:
        rows = ctx.engine.run_trusted(MENTIONS_OF_ARTICLE, {"article": node})
        return unique_by_id(records.mention_row(r, addr) for r in rows)

    # The two halves read the store independently: on two cores they overlap.
    claims, mentions = await asyncio.gather(asyncio.to_thread(read_claims), asyncio.to_thread(read_mentions))
    return {"article": article, "claims": claims, "mentions": mentions,
            "text": (article.get("content") or {}).get("string") or ""}


def facets(claims: list[dict[str, Any]], mentions: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, int]]]:
    """The filter choices a reader offers: (value, label, number of claims) for each facet."""
    def tally(pairs: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
        counts: dict[str, list[Any]] = {}
        for value, label in pairs:
            counts.setdefault(value, [label, 0])[1] += 1
        return sorted(((v, lab, n) for v, (lab, n) in counts.items()), key=lambda t: (-t[2], t[1].lower()))

    entity_pairs = []
    for c in claims:
        labels = {r["id"]: r.get("label") or r["id"] for r in _as_list(c.get("about")) + c["towards"]
                  + ([c["claimant"]] if c.get("claimant") else [])}
        entity_pairs += [(short_entity(i), lab) for i, lab in labels.items() if short_entity(i)]
    return {
        "entity": tally(entity_pairs),
        "topic": tally([(short_entity(t["id"]), t.get("label") or t["id"]) for c in claims
                        for t in _as_list(c.get("topics")) if short_entity(t["id"])]),
        "kind": tally([(c["kind"], c["kind"]) for c in claims if c.get("kind")]),
        "stance": tally([(w, w) for c in claims for w in c["stance_words"]]),
        "voice": tally([(c["voice"], c["voice"]) for c in claims]),
        "hedged": tally([("yes" if c.get("hedged") else "no", "hedged" if c.get("hedged") else "not hedged")
                         for c in claims]),
    }


def short_entity(iri: str) -> str:
    """The register id of an entity IRI (…/entity/<id>), else ''."""
    head, _, tail = iri.rpartition("/entity/")
    return tail if head and "/" not in tail else ""


# -- entity pages ------------------------------------------------------------------------------------

async def entity(ctx: AppContext, entity_id: str, limit: int = ENTITY_CLAIMS) -> dict[str, Any] | None:
    """An entity's item and the claims made by and about it: the first `limit` of each (in the claims
    list's order), `more` saying which list has more."""
    return await cached(ctx, ("entity", entity_id, limit), lambda: _entity(ctx, entity_id, limit))


async def _first(ctx: AppContext, sparql: str, subs: dict[str, Any], filters: dict[str, Any],
                 limit: int) -> tuple[list[str], bool]:
    if limit > MAX_LIMIT:
        found = await every(ctx, sparql, subs, filters)
        return found[:limit], len(found) > limit
    page, cursor = await keyset_page(ctx, sparql, subs, filters, None, limit)
    return page, cursor is not None


async def _entity(ctx: AppContext, entity_id: str, limit: int) -> dict[str, Any] | None:
    iri = ctx.mint.entity(entity_id)
    item = await asyncio.to_thread(entity_item, ctx, iri)
    if item is None:
        return None
    addr = addresses(ctx)
    node = ox.NamedNode(iri)
    made, more_made = await _first(ctx, claims_page(frozenset({"claimant"})), {"claimant": node},
                                   {"claimant": entity_id}, limit)
    if limit <= MAX_LIMIT:  # one page of the claims list by subject, as /api/claims?subject= reads it
        about, cursor = await about_page(ctx, node, {"subject": entity_id}, None, limit)
        more_about = cursor is not None
    else:
        about, more_about = await _first(ctx, claims_page(frozenset({"subject"})), {"subject": node},
                                         {"subject": entity_id}, limit)
    views = await asyncio.to_thread(load_views, ctx.engine, list(dict.fromkeys(made + about)))
    cards = {v.iri: claim_card(records.claim_row(v, addr)) for v in views}
    return {"entity": item, "made": [cards[i] for i in made], "about": [cards[i] for i in about],
            "more": {"made": more_made, "about": more_about}}


__all__ = ["home", "reader", "entity", "facets", "claim_card", "short_entity", "every"]
