"""Query and update evaluation tests (and syntax tests), each as HTTP exchanges with a server.

Per test: empty the store (DROP ALL), load its data with Graph Store PUTs (N-Triples the runner
parsed itself, so both servers get the same triples), send the query or update over the
SPARQL protocol, and compare what comes back, or, for updates, the state read back.

Datasets: claimgraph's default graph is the union of all graphs (sd:UnionDefaultGraph; the
protocol lets a service define its dataset). A query test whose data has named graphs and whose
query names no dataset of its own is therefore sent with the dataset in the protocol: its
default-graph data in a graph <urn:x-w3c-suite:default>, `default-graph-uri` naming that graph
and `named-graph-uri` each named graph. Both servers get exactly the same requests.
Updates act on the store's own default graph on both; the runner reads it back with
`COPY DEFAULT TO <urn:x-w3c-suite:default>` and a Graph Store GET of that graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from . import compare
from .manifest import Case, local
from .servers import Server

DEFAULT_AS_NAMED = "urn:x-w3c-suite:default"
ACCEPT_RESULTS = {"srx": "application/sparql-results+xml", "srj": "application/sparql-results+json",
                  "tsv": "text/tab-separated-values", "csv": "text/csv"}
_DATASET = re.compile(r"\bFROM\b", re.IGNORECASE)
_BASE = re.compile(r"^\s*BASE\b", re.IGNORECASE | re.MULTILINE)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


@dataclass
class Outcome:
    case: Case
    passed: bool
    detail: str = ""


def _text(iri: str) -> str:
    text = local(iri).read_text(encoding="utf-8")
    # The document's base IRI is where it lives (RFC 3986 §5.1.3), as the suite's runners read it.
    return text if _BASE.search(text) else f"BASE <{iri}>\n{text}"


def _ntriples(iri: str) -> bytes:
    path = local(iri)
    fmt = compare.RDF_FORMATS[path.suffix[1:]]
    return "\n".join(compare.parse_triples(path.read_bytes(), fmt, iri)).encode() + b"\n"


class Driver:
    def __init__(self, server: Server, client: httpx.Client):
        self.s, self.c = server, client

    def update(self, text: str, params: dict | None = None) -> httpx.Response:
        return self.c.post(self.s.url + self.s.update_path, content=text.encode(), params=params,
                           headers={**self.s.headers, "Content-Type": "application/sparql-update"})

    def reset(self) -> None:
        r = self.update("DROP ALL")
        if r.status_code >= 300:
            raise RuntimeError(f"{self.s.name}: DROP ALL answered {r.status_code}: {r.text[:200]}")

    def put(self, graph: str | None, data: bytes) -> None:
        params = {"graph": graph} if graph else {"default": ""}
        r = self.c.put(self.s.url + self.s.store_path, params=params, content=data,
                       headers={**self.s.headers, "Content-Type": "application/n-triples"})
        if r.status_code >= 300:
            raise RuntimeError(f"{self.s.name}: PUT {graph or 'default'} answered {r.status_code}: {r.text[:200]}")

    def query(self, text: str, accept: str, params: list[tuple[str, str]]) -> httpx.Response:
        return self.c.post(self.s.url + self.s.query_path, content=text.encode(), params=params,
                           headers={**self.s.headers, "Content-Type": "application/sparql-query", "Accept": accept})

    def graph(self, iri: str) -> set[str]:
        r = self.c.get(self.s.url + self.s.store_path, params={"graph": iri},
                       headers={**self.s.headers, "Accept": "application/n-triples"})
        if r.status_code == 404:
            return set()
        r.raise_for_status()
        return set(compare.parse_triples(r.content, compare.ox.RdfFormat.N_TRIPLES))


def run_query(d: Driver, case: Case) -> Outcome:
    d.reset()
    text = _text(case.query)
    params: list[tuple[str, str]] = []
    if case.graph_data and not _DATASET.search(text):
        for f in case.data:
            d.put(DEFAULT_AS_NAMED, _ntriples(f))
        params = [("default-graph-uri", DEFAULT_AS_NAMED)] + [("named-graph-uri", g) for g, _ in case.graph_data]
    else:
        for f in case.data:
            d.put(None, _ntriples(f))
    for g, f in case.graph_data:
        d.put(g, _ntriples(f))
    if case.result is None:
        return Outcome(case, False, "no expected result")
    ext = case.result.rsplit(".", 1)[-1]
    form = (_FORM.search(re.sub(r"#[^\n]*", "", text)) or re.match("", "")).group(0).upper()
    graph = form in ("CONSTRUCT", "DESCRIBE")
    accept = "application/n-triples" if graph else ACCEPT_RESULTS.get(ext, "application/sparql-results+json")
    r = d.query(text, accept, params)
    if r.status_code != 200:
        return Outcome(case, False, f"{r.status_code}: {r.text[:300]}")
    expected = compare.expected_result(local(case.result), case.result)
    media = r.headers.get("content-type", "").split(";")[0].strip()
    if graph:
        actual: object = set(compare.parse_triples(r.content, compare.ox.RdfFormat.N_TRIPLES))
    elif media == "text/csv":
        actual = ("csv", r.content)
    else:
        fmt = {"application/sparql-results+xml": compare.ox.QueryResultsFormat.XML,
               "text/tab-separated-values": compare.ox.QueryResultsFormat.TSV}.get(
                   media, compare.ox.QueryResultsFormat.JSON)
        actual = compare.solutions_from(r.content, fmt)
    ordered = bool(re.search(r"\bORDER\s+BY\b", text, re.IGNORECASE)) and ext in ("srx", "srj")
    if compare.same_result(expected, actual, ordered):
        return Outcome(case, True)
    return Outcome(case, False, f"expected {str(expected)[:300]}\n  got {str(actual)[:300]}")


def _file_triples(iri: str) -> set[str]:
    return set(compare.parse_triples(local(iri).read_bytes(), compare.RDF_FORMATS[iri.rsplit(".", 1)[-1]], iri))


def run_update(d: Driver, case: Case) -> Outcome:
    d.reset()
    for f in case.data:
        d.put(None, _ntriples(f))
    for g, f in case.graph_data:
        d.put(g, _ntriples(f))
    r = d.update(_text(case.query))
    if r.status_code >= 300:
        return Outcome(case, False, f"{r.status_code}: {r.text[:300]}")
    # The named graphs as they are now, then the default graph through a copy of it.
    rows = d.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "application/sparql-results+json", [])
    names = {row["g"][1:-1] for row in compare.solutions_from(rows.content, compare.ox.QueryResultsFormat.JSON)}
    actual = {g: d.graph(g) for g in names}
    r = d.update(f"COPY DEFAULT TO <{DEFAULT_AS_NAMED}>")
    if r.status_code >= 300:
        return Outcome(case, False, f"reading the default graph back: {r.status_code}: {r.text[:200]}")
    default = d.graph(DEFAULT_AS_NAMED)
    expected_default: set[str] = set()
    for f in case.result_data:
        expected_default |= _file_triples(f)
    expected: dict[str, set[str]] = {}
    for g, f in case.result_graphs:
        triples = _file_triples(f)
        if triples:
            expected[g] = expected.get(g, set()) | triples
    problems = []
    if not compare.same_graph(expected_default, default):
        problems.append(f"default graph: expected {len(expected_default)} triples, got {len(default)}")
    if set(expected) != set(actual):
        problems.append(f"named graphs: expected {sorted(expected)}, got {sorted(actual)}")
    else:
        problems += [f"graph {g} differs" for g in expected if not compare.same_graph(expected[g], actual[g])]
    return Outcome(case, not problems, "; ".join(problems))


def run_syntax(d: Driver, case: Case) -> Outcome:
    """Positive: not refused as a syntax error (an update may still fail to run: LOAD of an address
    on the internet, DROP of a graph that is not there). Negative: refused as a syntax error."""
    text = _text(case.query)
    update = "Update" in case.kind or (case.query or "").endswith(".ru")
    if update:
        d.reset()
        r = d.update(text)
    else:
        r = d.query(text, "application/sparql-results+json, application/n-triples;q=0.9", [])
    syntax_error = d.s.syntax_error(r.status_code, r.text)
    ok = not syntax_error if case.kind.startswith("Positive") else syntax_error
    return Outcome(case, ok, "" if ok else f"{r.status_code}: {r.text[:300]}")


def run(d: Driver, case: Case) -> Outcome:
    try:
        if case.kind in ("QueryEvaluationTest", "CSVResultFormatTest"):
            return run_query(d, case)
        if case.kind == "UpdateEvaluationTest":
            return run_update(d, case)
        return run_syntax(d, case)
    except (httpx.HTTPError, RuntimeError, ValueError, SyntaxError, OSError) as exc:
        return Outcome(case, False, f"{type(exc).__name__}: {exc}")
