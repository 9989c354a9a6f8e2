"""No client value changes a query's structure, and none gets a 500.

Every parameter of every REST and named-query operation the OpenAPI document
lists (and every path segment of the Linked Data routes) receives a corpus of
hostile values: quotes, brackets, braces, newlines, comments, SPARQL codepoint
escapes, IRIs, very long values. Each answer is either the uniform error naming
that parameter, or a normal answer in which the value was bound as one RDF term.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest


SLUG = "us-russia-reconfiguration"
PAYLOADS = [
    '"', "'", '">', "'}", "}", "{", "<", ">", "\\",
    '" } UNION { ?s ?p ?o } #',
    "' . } SELECT * WHERE { ?s ?p ?o } #",
    '"^^<http://www.w3.org/2001/XMLSchema#integer>',
    "<http://evil.example/x> ?p ?o",
    "russia> ; ?p ?o . #",
    "russia\n} ?s ?p ?o {",
    "line one\r\nline two",
    "# comment",
    "\\u0022 } \\u003E \\u007D",
    "\\U0000003E",
    "%22%3E%7D",
    "'''", '"""',
    "?x", "$x", "*",
    "1 OR 1=1", "-1", "1e309", "0x10", "true", "null", "[]",
    "../../etc/passwd",
    "ü Ω 漢字 😀 \u202e",
    "\x00",
    "x" * 5000,
    "russia" + "\"'" * 2000,
]
# Valid values for the parameters an operation needs before the injected one can be reached.
PATH_VALUES = {"entity_id": "russia", "article": SLUG, "claim": "c8", "slug": SLUG, "sentence": "s4", "name": "claims-about"}
REQUIRED = {"q": "russia"}


@pytest.fixture(scope="module")
def operations(http) -> list[tuple[str, list[dict], dict]]:
    """(path, parameters, valid values for required ones) of every GET under /api/."""
    doc = http.get("/openapi.json").json()
    examples = {f"/api/queries/{q['name']}": q["example"] for q in http.get("/api/queries").json()["rows"]}
    out = []
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/") or "get" not in ops:
            continue
        params = ops["get"].get("parameters", [])
        valid = {**REQUIRED, **{k: v for k, v in examples.get(path, {}).items() if v is not None}}
        out.append((path, params, valid))
    assert len(out) >= 25  # REST lookups and every named query
    return out


def _fill(path: str, overrides: dict[str, str] | None = None) -> str:
    values = {**PATH_VALUES, **(overrides or {})}
    return re.sub(r"{(\w+)}", lambda m: quote(str(values[m.group(1)]), safe=""), path)


def _check(r: httpx.Response, parameter: str, where: str) -> None:
    assert r.status_code < 500, (where, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/json"), where
        err = r.json()
        assert err["ok"] is False and err["error"]["status"] == r.status_code and err["error"]["message"], where
        assert err["error"].get("parameter") == parameter, (where, err)
        assert "Traceback" not in r.text


def _baseline(http) -> dict:
    a = http.get(f"/api/articles/{SLUG}").json()["item"]["counts"]
    q = http.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                 headers={"Accept": "application/sparql-results+json"}).json()
    return {**a, "triples": q["results"]["bindings"][0]["n"]["value"]}


def test_every_query_parameter_takes_hostile_values_safely(http, server, operations):
    before = _baseline(http)
    checked = 0
    for path, params, valid in operations:
        url = _fill(path)
        for p in params:
            if p["in"] != "query":
                continue
            name = p["name"]
            required = {k: v for k, v in valid.items()
                        if any(q["name"] == k and q.get("required") for q in params) and k != name}
            for payload in PAYLOADS:
                r = http.get(url, params={**required, name: payload})
                _check(r, name, f"{path}?{name}={payload[:40]!r}")
                if r.status_code == 200 and path.startswith("/api/queries/"):
                    # The value went in as one RDF term: the echoed binding is exactly that term.
                    bound = r.json()["bindings"].get(name)
                    if bound is not None:
                        (triple,) = ox.parse(f"<urn:s> <urn:p> {bound} .", format=ox.RdfFormat.N_TRIPLES)
                        term = triple.object
                        assert term.value == payload or (isinstance(term, ox.NamedNode)
                                                         and term.value.endswith("/" + payload)), (path, name, bound)
                checked += 1
    assert checked > 1000
    assert _baseline(http) == before and server.alive()
    assert "internal error" not in server.log_text() and "Traceback" not in server.log_text()


def test_a_string_parameter_matches_only_its_literal_text(http):
    """`text` of claims-containing is the one free-text parameter that reaches SPARQL: a value built to
    break out of its string must match nothing, where a broken-out query would match every claim."""
    for payload in ['sanctions") || true || CONTAINS("', "sanctions' || true || '", '") } UNION { ?claim ?p ?o } #']:
        body = http.get("/api/queries/claims-containing", params={"text": payload}).json()
        assert body["ok"] is True and body["rows"] == [], payload
        assert body["bindings"]["text"] == str(ox.Literal(payload))
    assert http.get("/api/queries/claims-containing", params={"text": "sanctions"}).json()["count"] > 0


def test_every_path_parameter_takes_hostile_values_safely(http, operations):
    for path, params, _valid in operations:
        for p in params:
            if p["in"] != "path":
                continue
            for payload in PAYLOADS:
                if payload == "\x00":
                    continue  # not representable in a URL path
                r = http.get(_fill(path, {p["name"]: payload}))
                assert r.status_code < 500, (path, p["name"], payload[:40], r.text[:200])
                if r.status_code >= 400:
                    assert r.json()["ok"] is False and "Traceback" not in r.text


@pytest.mark.parametrize("prefix", ["/id/entity/", "/id/article/", f"/id/article/{SLUG}/claim/", "/id/graph/",
                                    "/id/fact/", "/id/dataset/", "/ontology/"])
def test_linked_data_paths_take_hostile_values_safely(http, prefix):
    for payload in PAYLOADS:
        if payload == "\x00":
            continue
        for accept in ("text/turtle", "text/html", "application/ld+json"):
            r = http.get(prefix + quote(payload, safe=""), headers={"Accept": accept})
            assert r.status_code == 404, (prefix, payload[:40], r.status_code)
            assert r.json()["ok"] is False and r.json()["error"]["status"] == 404


def test_hostile_accept_and_format_values(http):
    for accept in ['text/html;q="1', "*/*;q=NaN", ",,,", "a" * 5000, "text/turtle;q=-1", "\u00e9/\u00e9"]:
        for url in ("/api/entities", "/id/entity/russia", "/api/queries/hedged-claims"):
            r = http.get(url, headers={"Accept": accept.encode("utf-8")})
            assert r.status_code in (200, 406), (url, accept[:20], r.status_code)
            if r.status_code == 406:
                assert r.json()["error"]["parameter"] == "Accept"
