"""The reading file `claimgraph add` starts: the article's metadata and what is proposed."""

from __future__ import annotations

from .extract import Extracted
from .yamlout import block, flow


def genre_of(ex: Extracted) -> str:
    # The one signal a page gives reliably: an opinion section in its URL.
    return "OpinionNewsArticle" if ex.url and "/opinion" in ex.url.lower() else "NewsArticle"


def reading_start(slug: str, ex: Extracted, publisher: str | None, author: str | None, ingest: dict,
                  proposed: list[dict], source: str) -> str:
    article = {
        "title": ex.title or slug,
        "genre": genre_of(ex),
        "publisher": publisher,
        "author": author,
        "language": ex.language or "en",
        "url": ex.url,
        "published": ex.date,
        "ingest": ingest,
    }
    lines = [
        f"# Started by `claimgraph add` from {source}. Format: data/README.md.",
        "# The article block is what the page says about itself (its own markup, read by the extractor",
        "# named under ingest:): check it. Then `claimgraph draft " + slug + "` proposes the reading.",
        *block({"article": article}),
    ]
    if proposed:
        lines += ["", "proposed:               # new register entries to review (claimgraph review --accept ID)",
                  "  entities:"]
        for p in proposed:
            lines.append(f"    - {flow({**p, 'status': 'draft', 'rule': 'ingest'})}")
    lines += ["", "sentences: []"]
    return "\n".join(lines) + "\n"
