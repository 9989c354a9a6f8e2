"""Text and metadata out of a page, by libraries made for news pages (trafilatura, htmldate)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from importlib.metadata import version
from urllib.parse import urlsplit


class ExtractionFailed(Exception):
    pass


@dataclass
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    language: str | None = None
    url: str | None = None
    sitename: str | None = None
    hostname: str | None = None
    # which tool made the text and the metadata, with its version: recorded in the reading
    tools: dict[str, str] = field(default_factory=dict)


def _lines(text: str) -> str:
    """One paragraph per line (the reading format's paragraphs), no trailing spaces, one final newline.
    Nothing inside a line changes: offsets are counted on exactly this text from now on."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line) + "\n"


def from_plain(raw: bytes, shown: str) -> Extracted:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractionFailed(f"{shown}: not valid UTF-8 at byte {exc.start}; save the text as UTF-8") from None
    # A text file is the text: kept exactly (a byte-order mark aside), so its offsets are the file's.
    if not text.strip():
        raise ExtractionFailed(f"{shown}: the file holds no text")
    return Extracted(text=text, tools={"extractor": "plain text file (UTF-8, kept as is)"})


def _html_lang(html: bytes) -> str | None:
    m = re.search(rb"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", html[:4096], re.I)
    return m.group(1).decode().lower() if m else None


def from_html(raw: bytes, shown: str, url: str | None = None) -> Extracted:
    import htmldate
    import trafilatura

    doc = trafilatura.bare_extraction(raw, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=True)
    if doc is None or not (getattr(doc, "text", None) or "").strip():
        raise ExtractionFailed(f"{shown}: trafilatura found no article text in this page")
    # htmldate looks at more places than the metadata (URL path, visible dates); original_date
    # prefers the publication date over the last modification.
    date = htmldate.find_date(raw, original_date=True, url=url, extensive_search=False) or doc.date
    host = doc.hostname or (urlsplit(url).hostname if url else None)
    return Extracted(
        text=_lines(unicodedata.normalize("NFC", doc.text)),
        title=doc.title, author=doc.author, date=date,
        language=doc.language or _html_lang(raw), url=doc.url or url,
        sitename=doc.sitename, hostname=host,
        tools={"extractor": f"trafilatura {version('trafilatura')}", "dates": f"htmldate {version('htmldate')}"},
    )


def looks_like_html(raw: bytes, name: str = "", content_type: str = "") -> bool:
    if "html" in content_type.lower() or name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = raw[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head
