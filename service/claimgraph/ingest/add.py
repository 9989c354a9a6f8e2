"""`claimgraph add`: a new article folder with its text and the start of its reading."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..reading.entities import load_entities
from ..reading.fields import SLUG
from ..reading.model import Entity
from .extract import Extracted, from_html, from_plain, looks_like_html
from .fetch import MAX_BYTES, TIMEOUT_S, fetch
from .publisher import match_publisher, slugify
from .yamlfile_out import reading_start


class AddFailed(Exception):
    """Nothing was written; the message says why."""


@dataclass
class Added:
    slug: str
    folder: Path
    extracted: Extracted
    publisher: str | None
    proposed: list[dict]


def is_url(source: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source))


def choose_slug(ex: Extracted, source: str) -> str:
    if ex.title:
        return slugify(ex.title)[:60].strip("-")
    if ex.url and urlsplit(ex.url).path.strip("/"):
        return slugify(urlsplit(ex.url).path.strip("/").split("/")[-1].rsplit(".", 1)[0])
    return slugify(Path(source).stem)


def match_author(entities: dict[str, Entity], byline: str | None) -> tuple[str | None, dict | None]:
    if not byline:
        return None, None
    name = byline.strip()
    for e in entities.values():
        if e.type == "Person" and name.casefold() in {n.casefold() for n in [e.label, *e.aliases]}:
            return e.id, None
    return None, {"id": slugify(name), "type": "Person", "label": name, "role": "author"}


def add_article(source: str, data_dir: Path, *, slug: str | None = None, fetch_url: bool = False,
                allow_private: bool = False, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES,
                title: str | None = None) -> Added:
    entities, problems = load_entities(data_dir / "entities.yaml", "entities.yaml")
    if problems:
        raise AddFailed("the register has problems; run claimgraph validate first:\n" + "\n".join(map(str, problems)))
    retrieved = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    if is_url(source):
        if not fetch_url:
            raise AddFailed(f"{source} is a URL: nothing is fetched unless asked; pass --fetch to fetch it "
                            "(or save the page and add the file)")
        page = fetch(source, timeout=timeout, max_bytes=max_bytes, allow_private_start=allow_private)
        if looks_like_html(page.body, "", page.content_type):
            ex = from_html(page.body, page.url, url=page.url)
        else:
            ex = from_plain(page.body, page.url)
            ex.url = page.url
        origin = {"fetched": page.url, "requested": source} if page.redirects else {"fetched": page.url}
    else:
        path = Path(source)
        if not path.is_file():
            raise AddFailed(f"{source}: no such file")
        raw = path.read_bytes()
        if len(raw) > max_bytes:
            raise AddFailed(f"{source}: {len(raw)} bytes, over the cap of {max_bytes} bytes")
        ex = from_html(raw, source) if looks_like_html(raw, path.name) else from_plain(raw, source)
        origin = {"file": path.name}
    if title:
        ex.title = title
    slug = slug or choose_slug(ex, source)
    if not SLUG.match(slug):
        raise AddFailed(f"slug {slug!r} must be lowercase letters, digits and dashes (pass --slug)")
    folder = data_dir / "articles" / slug
    if folder.exists():
        raise AddFailed(f"{folder} already exists; nothing was changed (pass another --slug)")
    pub = match_publisher(entities, ex.hostname, ex.sitename)
    author, author_proposed = match_author(entities, ex.author)
    proposed = [p for p in (pub.proposed, author_proposed) if p]
    text_bytes = ex.text.encode("utf-8")
    ingest = {**origin, "retrieved": retrieved, **ex.tools, "sha256": hashlib.sha256(text_bytes).hexdigest(),
              "publisher": pub.rule}
    if ex.author:
        ingest["byline"] = ex.author
    reading = reading_start(slug, ex, pub.entity, author, ingest, proposed, source)
    # Build the folder beside and rename it in: an interrupted add leaves no half folder behind.
    tmp = data_dir / "articles" / f".{slug}.adding-{os.getpid()}"
    tmp.mkdir(parents=True)
    try:
        (tmp / "article.txt").write_bytes(text_bytes)
        (tmp / "reading.yaml").write_text(reading, encoding="utf-8")
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Added(slug, folder, ex, pub.entity, proposed)
