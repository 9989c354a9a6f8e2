"""The protocol and Graph Store manifests' HTTP exchanges (ht:Request lists), replayed on a server.

protocol/manifest.ttl and graph-store-protocol/manifest-{direct,indirect}.ttl describe each test
as requests in the W3C HTTP vocabulary with the expected status, boolean, result format, headers
and body. The path `/sparql/` is mapped to the server's query or update endpoint (the manifest
allows that), `/gsp` to its Graph Store. `$LOCATION$` is the Location of an earlier 201.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF

from . import compare
from .evaluation import Driver, Outcome, _ntriples
from .manifest import MF, UT, Case

HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404}}
RESULT_TYPES = {"boolean": ("application/sparql-results+", "text/csv", "text/tab-separated-values"),
                "tabular": ("application/sparql-results+", "text/csv", "text/tab-separated-values"),
                "RDF": ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json",
                        "application/n-quads", "application/trig", "text/plain")}


def _allowed(codes: list[str]) -> set[int]:
    out: set[int] = set()
    for c in codes:
        name = c.split("#")[-1]
        if name.startswith("StatusCode") and name.endswith("xx"):
            base = int(name[len("StatusCode")]) * 100
            out |= set(range(base, base + 100))
        else:
            out |= STATUS[name]
    return out


def _is_update(method: str, path: str, ctype: str, body: str) -> bool:
    if ctype.startswith("application/sparql-update"):
        return True
    pairs = dict(parse_qsl(path.partition("?")[2])) | (dict(parse_qsl(body)) if "urlencoded" in ctype else {})
    return "update" in pairs


def _url(d: Driver, method: str, path: str, ctype: str, body: str) -> str:
    if path.startswith("/sparql"):
        rest = path[len("/sparql/"):] if path.startswith("/sparql/") else path[len("/sparql"):]
        endpoint = d.s.update_path if _is_update(method, path, ctype, body) else d.s.query_path
        return d.s.url + endpoint + rest
    if path.startswith("/gsp"):
        return d.s.url + d.s.store_path + path[len("/gsp"):]
    raise ValueError(f"unknown path {path}")


def _check_result(fmt: str | None, boolean: object, resp: httpx.Response) -> str | None:
    media = resp.headers.get("content-type", "").split(";")[0].strip()
    if fmt is not None and not media.startswith(RESULT_TYPES[fmt]):
        return f"expected a {fmt} result, got Content-Type {media!r}"
    if boolean is not None:
        rfmt = {"application/sparql-results+xml": compare.ox.QueryResultsFormat.XML,
                "text/csv": compare.ox.QueryResultsFormat.CSV,
                "text/tab-separated-values": compare.ox.QueryResultsFormat.TSV}.get(
                    media, compare.ox.QueryResultsFormat.JSON)
        got = compare.solutions_from(resp.content, rfmt)
        if got is not (str(boolean) == "true"):
            return f"expected boolean {boolean}, got {got}"
    return None


def run_exchange(d: Driver, case: Case) -> Outcome:
    try:
        return _exchange(d, case)
    except (httpx.HTTPError, RuntimeError, ValueError, SyntaxError, OSError) as exc:
        return Outcome(case, False, f"{type(exc).__name__}: {exc}")


def _exchange(d: Driver, case: Case) -> Outcome:
    g, entry = case.graph, case.node
    assert g is not None and entry is not None
    d.reset()
    for graph_iri, file in case.graph_data:
        d.put(graph_iri, _ntriples(file))
    action = g.value(entry, MF.action)
    variables: dict[str, str] = {}
    for n, req in enumerate(Collection(g, g.value(action, HT.requests)), start=1):
        method = str(g.value(req, HT.methodName))
        path = str(g.value(req, HT.absolutePath))
        headers = {}
        for h in Collection(g, g.value(req, HT.headers)) if g.value(req, HT.headers) is not None else []:
            headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
        body_node = g.value(req, HT.body)
        body = str(g.value(body_node, CNT.chars)) if body_node is not None else ""
        for k, v in variables.items():
            path = path.replace(k, v)
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8") if body_node is not None else "UTF-8"
        raw = body.encode(encoding)  # as the manifest declares it: the non-UTF-8 tests send UTF-16
        url = _url(d, method, path, ctype, body)
        extra = {"Connection": "close"} if method == "HEAD" else {}  # a server that sends a HEAD body
        # (oxigraph serve on a 404) would otherwise garble the next answer on the same connection
        resp = d.c.request(method, url, content=raw if body_node is not None else None,
                           headers={**d.s.headers, **headers, **extra})
        expect = g.value(req, HT.resp)
        allowed = _allowed([str(c) for c in g.objects(expect, MF.expectedStatus)])
        where = f"request {n} ({method} {path[:80]})"
        if resp.status_code not in allowed:
            return Outcome(case, False, f"{where}: status {resp.status_code}, expected {sorted(allowed)[:3]}…: "
                           f"{resp.text[:200]}")
        problem = _check_result(
            str(g.value(expect, MF.expectedFormat)) if g.value(expect, MF.expectedFormat) is not None else None,
            g.value(expect, MF.expectedBoolean), resp)
        if problem:
            return Outcome(case, False, f"{where}: {problem}")
        location = g.value(expect, MF.expectedLocation)
        if location is not None:
            if "location" not in resp.headers:
                return Outcome(case, False, f"{where}: no Location header")
            variables[str(location)] = str(httpx.URL(url).join(resp.headers["location"]))
        for h in Collection(g, g.value(expect, HT.headers)) if g.value(expect, HT.headers) is not None else []:
            name, value = str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue))
            got = resp.headers.get(name, "")
            if name.lower() == "content-type":
                got, value = got.split(";")[0].strip(), value.split(";")[0].strip()
            if got != value:
                return Outcome(case, False, f"{where}: header {name} is {got!r}, expected {value!r}")
        expected_body = g.value(expect, HT.body)
        if expected_body is not None:
            want = set(compare.parse_triples(str(g.value(expected_body, CNT.chars)).encode(),
                                             compare.ox.RdfFormat.TURTLE))
            media = resp.headers.get("content-type", "").split(";")[0].strip()
            fmt = {"text/turtle": compare.ox.RdfFormat.TURTLE, "application/n-triples": compare.ox.RdfFormat.N_TRIPLES,
                   "application/rdf+xml": compare.ox.RdfFormat.RDF_XML}.get(media)
            if fmt is None:
                return Outcome(case, False, f"{where}: body in {media!r}, not a graph format")
            got_triples = set(compare.parse_triples(resp.content, fmt))
            if not compare.same_graph(want, got_triples):
                return Outcome(case, False, f"{where}: graph differs: {sorted(got_triples)[:3]}")
    return Outcome(case, True)


def graph_data(case: Case) -> None:
    """Protocol tests name their data as ut:graphData [ut:graph <file>; rdfs:label "graph IRI"]."""
    g, entry = case.graph, case.node
    assert g is not None
    case.graph_data = []
    for gd in g.objects(entry, UT.graphData):
        case.graph_data.append((str(g.value(gd, rdflib.RDFS.label)), str(g.value(gd, UT.graph))))


def cases(load) -> list[Case]:  # noqa: ANN001 - manifest.load
    out = load("protocol") + load("graph-store-protocol", "manifest-indirect.ttl", unlisted=True) + \
        load("graph-store-protocol", "manifest-direct.ttl", unlisted=True)
    for c in out:
        graph_data(c)
    return out


__all__ = ["run_exchange", "cases", "RDF"]


# -- the 18 prose tests of http-rdf-update/manifest.ttl ------------------------------------------
# Deprecated by the structured manifests above, but still the Graph Store suite most runners cite.
# Each test's rdfs:comment holds a raw HTTP request and the expected response; the tests run in
# order on one store (a GET checks what the PUT before it wrote). "200 OK" after a PUT, POST or
# DELETE is read as GSP §5 words it: "200 OK or 204 No Content".

def prose_cases(load) -> list[Case]:  # noqa: ANN001 - manifest.load
    return load("http-rdf-update")


def _block(lines: list[str]) -> tuple[str, dict[str, str], str]:
    """First line, headers and body of an indented HTTP message."""
    text = [ln[4:] if ln.startswith("    ") else ln.strip() for ln in lines]
    while text and not text[0].strip():
        text.pop(0)
    first, headers, i = text[0].strip(), {}, 1
    while i < len(text) and text[i].strip():
        name, _, value = text[i].partition(":")
        headers[name.strip()] = value.strip()
        i += 1
    return first, headers, "\n".join(text[i + 1:]).strip("\n")


def _parse_prose(comment: str) -> tuple[tuple[str, dict, str], tuple[str, dict, str]]:
    request_part = comment.split("#### Request", 1)[1].split("#### Response", 1)[0]
    response_part = comment.split("#### Response", 1)[1]
    return _block(request_part.split("\n")), _block(response_part.split("\n"))


def run_prose(d: Driver, case: Case, state: dict[str, str]) -> Outcome:
    try:
        return _prose(d, case, state)
    except (httpx.HTTPError, RuntimeError, ValueError, SyntaxError, OSError, IndexError) as exc:
        return Outcome(case, False, f"{type(exc).__name__}: {exc}")


def _prose(d: Driver, case: Case, state: dict[str, str]) -> Outcome:
    g = case.graph
    assert g is not None
    comment = next(str(c) for c in g.objects(case.node, rdflib.RDFS.comment) if "#### Request" in str(c))
    host = httpx.URL(d.s.url).netloc.decode()

    def fill(text: str) -> str:
        text = text.replace("$HOST$/$GRAPHSTORE$", host + d.s.store_path).replace("$GRAPHSTORE$", d.s.store_path)
        text = text.replace("$HOST$", host)
        for k, v in state.items():
            text = text.replace(k, v)
        return text

    (first, headers, body), (status_line, want_headers, want_body) = _parse_prose(comment)
    method, target, _version = fill(first).split()
    headers = {k: fill(v) for k, v in headers.items() if k.lower() != "host"}
    if "multipart" in headers.get("Content-Type", ""):
        body = body.replace("\n", "\r\n")
    extra = {"Connection": "close"} if method == "HEAD" else {}
    url = str(httpx.URL(d.s.url).join(target))
    resp = d.c.request(method, url, content=fill(body).encode() if body else None,
                       headers={**d.s.headers, **headers, **extra})
    code = int(status_line.split()[0])
    allowed = {200, 204} if code == 200 and method in ("PUT", "POST", "DELETE") else {code}
    if resp.status_code not in allowed:
        return Outcome(case, False, f"{method} {target}: status {resp.status_code}, expected {status_line}: "
                       f"{resp.text[:200]}")
    for name, value in want_headers.items():
        if name.lower() == "location":
            if "location" not in resp.headers:
                return Outcome(case, False, f"{method} {target}: no Location header")
            state[value] = str(httpx.URL(url).join(resp.headers["location"]).raw_path.decode())
        elif name.lower() == "content-type":
            got = resp.headers.get("content-type", "").split(";")[0].strip()
            if got != value.split(";")[0].strip():
                return Outcome(case, False, f"{method} {target}: Content-Type {got!r}, expected {value!r}")
    if want_body.strip() and method != "HEAD":
        want = set(compare.parse_triples(fill(want_body).encode(), compare.ox.RdfFormat.TURTLE))
        got_triples = set(compare.parse_triples(resp.content, compare.ox.RdfFormat.TURTLE))
        if not compare.same_graph(want, got_triples):
            return Outcome(case, False, f"{method} {target}: graph differs, got {sorted(got_triples)[:4]}")
    return Outcome(case, True)
