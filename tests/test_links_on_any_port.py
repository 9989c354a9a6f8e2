"""Every link a browser or client follows stays on the server it is talking to, on any port;
minted IRIs stay what they are (identifiers under the base IRI, port 8000 by default)."""

from __future__ import annotations

import json
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from support.liveserver import start_server

DEFAULT = "127.0.0.1:8000"
ATTR = re.compile(r'(?:href|src|action)="([^"]*)"')


@pytest.fixture(scope="module")
def server(built_store, built_settings, tmp_path_factory):
    srv = start_server(built_settings.store, tmp_path_factory.mktemp("anyport"))
    assert not srv.url.endswith(":8000")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def proxied(built_store, built_settings, tmp_path_factory):
    srv = start_server(built_settings.store, tmp_path_factory.mktemp("proxied"),
                       env={"CLAIMGRAPH_TRUST_FORWARDED": "127.0.0.1"})
    yield srv
    srv.stop()


def _links(body: str, content_type: str) -> list[str]:
    if "html" in content_type:
        return [m.group(1).replace("&amp;", "&") for m in ATTR.finditer(body)]
    if "json" in content_type:
        found: list[str] = []

        def walk(node: object, key: str = "") -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, k)
            elif isinstance(node, list):
                for v in node:
                    walk(v, key)
            elif isinstance(node, str) and key in ("url", "service_url", "@context", "href", "next", "self",
                                                   "view", "preview", "turtle", "sparql"):
                found.append(node)
        walk(json.loads(body))
        return found
    return []


def _stray(body: str) -> list[str]:
    """Addresses of the default server that are not minted IRIs (those live under /id/)."""
    return [m.group(0) for m in re.finditer(r"https?://127\.0\.0\.1:8000(/[^\s\"'<>]*)?", body)
            if not (m.group(1) or "").startswith("/id/")]


def test_every_link_of_the_pages_and_documents_stays_on_this_port(server) -> None:
    origin = server.url
    start = ["/", "/entity/russia", "/read/us-russia-reconfiguration", "/id/article/us-russia-reconfiguration",
             "/id/entity/russia", "/reconcile", "/reconcile/preview?id=russia", "/dumps/", "/sparql",
             "/api/entities/russia", "/api/claims?limit=3", "/queries", "/timeline", "/compare"]
    queue = deque(start)
    seen: set[str] = set(start)
    bad: list[str] = []
    visited = 0
    with server.client(timeout=60) as c:
        while queue and visited < 160:
            path = queue.popleft()
            accept = "text/turtle" if path == "/sparql" else "application/ld+json" if path.startswith("/api/") \
                else "*/*" if path.startswith(("/reconcile", "/dumps")) else "text/html"
            r = c.get(path, headers={"Accept": accept})
            visited += 1
            assert r.status_code < 500, (path, r.status_code)
            if r.status_code != 200:
                continue
            ctype = r.headers.get("content-type", "")
            body = r.text if any(t in ctype for t in ("html", "json", "turtle")) else ""
            bad += [f"{path}: {s}" for s in _stray(body)]
            for link in _links(body, ctype):
                absolute = urljoin(origin + path, link)
                parts = urlsplit(absolute)
                if parts.hostname in ("127.0.0.1", "localhost"):
                    # A link is followed, so even one to a minted IRI must name this server.
                    if f"{parts.hostname}:{parts.port}" != urlsplit(origin).netloc:
                        bad.append(f"{path}: {link}")
                    local = parts.path + (f"?{parts.query}" if parts.query else "")
                    if (absolute.startswith(origin) and local not in seen and not parts.path.startswith(
                            ("/static/", "/dumps/claimgraph", "/exports/")) and len(seen) < 400):
                        seen.add(local)
                        queue.append(local)
    assert visited > 40, f"the crawl reached only {visited} pages"
    assert not bad, "links to another server:\n" + "\n".join(sorted(set(bad))[:30])


def test_the_reconciliation_manifest_and_preview_point_here(server) -> None:
    with server.client() as c:
        manifest = c.get("/reconcile").json()
        preview = c.get("/reconcile/preview", params={"id": "russia"}).text
    assert manifest["view"]["url"].startswith(server.url + "/")
    assert manifest["preview"]["url"].startswith(server.url + "/")
    # The identifier space is an identifier: it names the minted IRIs, whatever the port.
    assert manifest["identifierSpace"] == f"http://{DEFAULT}/id/entity/"
    assert f'href="{server.url}/id/entity/russia"' in preview


def test_forwarded_headers_count_only_from_a_named_proxy(server, proxied) -> None:
    fwd = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "claims.example.org", "X-Forwarded-Prefix": "/kg"}
    with proxied.client() as c:
        assert c.get("/reconcile", headers=fwd).json()["view"]["url"].startswith("https://claims.example.org/kg/")
        # A forwarded host that could break out of a link is not used.
        hostile = {**fwd, "X-Forwarded-Host": 'x.org"><script>'}
        assert c.get("/reconcile", headers=hostile).json()["view"]["url"].startswith(proxied.url + "/")
        sd = c.get("/sparql", headers={**fwd, "Accept": "text/turtle"}).text
        assert "https://claims.example.org/kg/sparql" in sd
    with server.client() as c:   # not configured: any client could send them, so they are ignored
        assert c.get("/reconcile", headers=fwd).json()["view"]["url"].startswith(server.url + "/")
