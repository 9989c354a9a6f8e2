"""`claimgraph add`: a saved page, a text file, or a URL fetched from a real local HTTP server,
with the guards a fetch needs (loopback refused, redirects to private addresses refused always,
a size cap, a timeout, nothing fetched unless asked)."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from claimgraph.ingest.add import AddFailed, add_article
from claimgraph.ingest.fetch import FetchRefused, address_problem, fetch
from claimgraph.ingest.publisher import match_publisher
from claimgraph.reading.entities import load_entities

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "tests" / "fixtures" / "articles" / "lakeside-sanctions.html"
CLAIMGRAPH = ROOT / ".venv" / "bin" / "claimgraph"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    return d


def test_add_saved_html_page_writes_text_and_start_of_reading(data: Path):
    added = add_article(str(PAGE), data, slug="lakeside")
    folder = data / "articles" / "lakeside"
    text = (folder / "article.txt").read_bytes().decode("utf-8")
    # the article's paragraphs, one per line, without the page's navigation, byline or footer
    assert text.splitlines()[1].startswith("Three years of sanctions have not changed the Kremlin’s course.")
    assert "Subscribe" not in text and "All rights reserved" not in text and len(text.splitlines()) == 5
    reading = yaml.safe_load((folder / "reading.yaml").read_text(encoding="utf-8"))
    art = reading["article"]
    assert art["title"] == "Sanctions have not moved Moscow"
    assert art["published"] == "2025-03-02"
    assert art["language"] == "en"
    assert art["url"] == "https://lakeside-ledger.example/opinion/2025/03/02/sanctions-have-not-moved-moscow"
    assert art["genre"] == "OpinionNewsArticle"
    # the outlet is not in the register: proposed as a new entity, not guessed into publisher
    assert art["publisher"] is None and added.publisher is None
    proposed = {p["id"]: p for p in reading["proposed"]["entities"]}
    assert proposed["lakeside-ledger"]["type"] == "MediaOutlet"
    assert proposed["lakeside-ledger"]["aliases"] == ["lakeside-ledger.example"]
    assert proposed["mara-quill"]["type"] == "Person" and art["author"] is None
    # which program made the text, with its version, and the hash of exactly the stored bytes
    ingest = art["ingest"]
    assert ingest["extractor"].startswith("trafilatura ") and ingest["dates"].startswith("htmldate ")
    assert ingest["sha256"] == hashlib.sha256((folder / "article.txt").read_bytes()).hexdigest()


def test_add_plain_text_keeps_the_bytes_and_refuses_to_overwrite(tmp_path: Path, data: Path):
    src = tmp_path / "note.txt"
    body = "First paragraph with a curly ’ apostrophe.\n\nSecond — with a dash, no final newline".encode()
    src.write_bytes(b"\xef\xbb\xbf" + body)   # a byte-order mark is not text
    add_article(str(src), data, slug="note", title="A note")
    assert (data / "articles" / "note" / "article.txt").read_bytes() == body
    with pytest.raises(AddFailed, match="already exists; nothing was changed"):
        add_article(str(src), data, slug="note")


def test_publisher_matched_by_domain_or_by_name():
    entities, _ = load_entities(ROOT / "data" / "entities.yaml", "entities.yaml")
    by_domain = match_publisher(entities, "www.strategic-culture.su", None)
    assert by_domain.entity == "strategic-culture-foundation" and by_domain.rule.startswith("publisher-by-domain")
    by_name = match_publisher(entities, "unknown.example", "The National Interest")
    assert by_name.entity == "the-national-interest" and by_name.rule.startswith("publisher-by-name")
    new = match_publisher(entities, "news.example", "Example News")
    assert new.entity is None and new.proposed["id"] == "example-news"


@pytest.mark.parametrize("ip, refused", [("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.9", True),
                                         ("169.254.169.254", True), ("::1", True), ("::ffff:127.0.0.1", True),
                                         ("93.184.215.14", False), ("2606:4700::1", False)])
def test_address_classes(ip: str, refused: bool):
    assert (address_problem(ip) is not None) is refused


class Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/page.html":
            body = PAGE.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/redirect-to-"):
            self.send_response(302)
            self.send_header("Location", f"http://{self.path.removeprefix('/redirect-to-')}:{self.server.server_port}/page.html")
            self.end_headers()
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"<p>" + b"x" * 16384 + b"</p>")
        elif self.path == "/slow":
            time.sleep(3)
            self.send_response(200)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture()
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def test_url_is_fetched_only_when_asked(server: str, data: Path):
    with pytest.raises(AddFailed, match="is a URL: nothing is fetched unless asked; pass --fetch"):
        add_article(f"{server}/page.html", data)


def test_loopback_url_is_refused(server: str, data: Path):
    with pytest.raises(FetchRefused, match=r"refused to fetch the URL: 127\.0\.0\.1 resolves to 127\.0\.0\.1 is a loopback address"):
        add_article(f"{server}/page.html", data, fetch_url=True)
    assert not (data / "articles" / "sanctions-have-not-moved-moscow").exists()


def test_url_fetched_from_an_allowed_private_address(server: str, data: Path):
    added = add_article(f"{server}/page.html", data, fetch_url=True, allow_private=True, slug="fetched")
    reading = yaml.safe_load((added.folder / "reading.yaml").read_text(encoding="utf-8"))
    assert reading["article"]["ingest"]["fetched"] == f"{server}/page.html"
    assert (added.folder / "article.txt").read_text(encoding="utf-8").startswith("Sanctions have not moved Moscow\n")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_redirect_to_loopback_is_refused_even_when_the_start_may_be_private(server: str, host: str):
    with pytest.raises(FetchRefused, match=rf"refused to fetch the redirect to http://{host}:\d+/page.html: "
                                           rf"{host} resolves to .* is a loopback address"):
        fetch(f"{server}/redirect-to-{host}", allow_private_start=True)


def test_size_cap_and_timeout(server: str):
    with pytest.raises(FetchRefused, match="sent more than the cap of 100000 bytes; nothing kept"):
        fetch(f"{server}/huge", allow_private_start=True, max_bytes=100_000)
    started = time.monotonic()
    with pytest.raises(FetchRefused, match=r"no answer within 0.5 s"):
        fetch(f"{server}/slow", allow_private_start=True, timeout=0.5)
    assert time.monotonic() - started < 2.5


def test_cli_add_refuses_loopback_with_exit_2_and_no_trace(server: str, data: Path):
    r = subprocess.run([str(CLAIMGRAPH), "add", "--data", str(data), "--fetch", f"{server}/page.html"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "add: refused to fetch the URL: 127.0.0.1 resolves to 127.0.0.1 is a loopback address" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_added_article_waits_for_its_draft_with_one_clear_message(data: Path):
    from claimgraph.reading import load_corpus

    add_article(str(PAGE), data, slug="lakeside")
    _, problems = load_corpus(data, strict=False)
    mine = [str(p) for p in problems if "lakeside" in p.file]
    assert mine == ["data/articles/lakeside/reading.yaml:26: reading: no sentences (claimgraph draft lakeside proposes them)"]
