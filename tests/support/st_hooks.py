"""Schemathesis hooks for tests/test_openapi_conformance.py (loaded through SCHEMATHESIS_HOOKS).

- No stack trace, in any body, ever: an extra check.
- Paging cursors are opaque tokens the service issued (base64url of a position it signs with the
  list's filters); a schema cannot describe which strings are such tokens, so generated cursors
  are left out of positive tests rather than counted as "valid input rejected". Bad cursors are
  tested by hand in tests/test_rest_api.py and tests/test_named_queries.py.
"""

from __future__ import annotations

import json

import schemathesis


@schemathesis.check
def no_stack_trace(ctx, response, case):  # noqa: ANN001, ANN201
    text = response.text if isinstance(response.text, str) else ""
    assert "Traceback (most recent call last)" not in text, "a stack trace in the body"
    assert 'File "/' not in text, "a source path in the body"


@schemathesis.hook
def filter_query(ctx, query):  # noqa: ANN001, ANN201
    return not (isinstance(query, dict) and "cursor" in query)


# A SPARQL query's text has a grammar no JSON Schema can state: any string is "schema-valid", most are
# not queries. Generated texts for /sparql are replaced by real ones, so the other parameters (dataset,
# format, timeout) are still generated and checked; the gate's own refusals are tested in tests/test_gate.py.
QUERIES = ["SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "ASK { ?s ?p ?o }",
           "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"]
UPDATE = "INSERT DATA { <http://example.org/st/s> <http://example.org/st/p> 1 }"


def _on_sparql(ctx) -> bool:  # noqa: ANN001
    op = getattr(ctx, "operation", None)
    return op is not None and getattr(op, "path", None) == "/sparql"


def _valid(text) -> bool:  # noqa: ANN001
    return isinstance(text, str) and bool(text.strip())


@schemathesis.hook
def before_call(ctx, case, kwargs):  # noqa: ANN001, ANN201
    """Every phase (examples, coverage, fuzzing) goes through here just before the request is sent."""
    if isinstance(case.query, dict) and isinstance(case.query.get("cursor"), str) and len(case.query["cursor"]) <= 4096:
        del case.query["cursor"]  # an opaque token no generator can make: see the module docstring
    if getattr(case.operation, "path", None) == "/reconcile" and isinstance(case.body, dict):
        # The 0.2 protocol sends `queries` as JSON inside a form field: no schema can say "a JSON text".
        for key in ("queries", "extend"):
            if isinstance(case.body.get(key), str):
                try:
                    json.loads(case.body[key])
                except ValueError:
                    case.body[key] = json.dumps({"q0": {"query": "Russia"}}) if key == "queries" else \
                        json.dumps({"ids": ["russia"], "properties": [{"id": "type"}]})
    if getattr(case.operation, "path", None) != "/sparql":
        return
    fmt = case.query.get("format") if isinstance(case.query, dict) else None
    graph = isinstance(fmt, str) and not any(k in fmt for k in ("json", "xml", "csv", "tsv", "tab-")) or \
        fmt in ("jsonld", "application/ld+json", "rdfxml", "application/rdf+xml")

    def pick(text: str) -> str:  # a query whose result form fits the format asked for
        return QUERIES[2] if graph else QUERIES[len(text) % 2]

    if isinstance(case.query, dict) and _valid(case.query.get("query")):
        case.query["query"] = pick(case.query["query"])
    if isinstance(case.body, dict):
        if _valid(case.body.get("query")):
            case.body["query"] = pick(case.body["query"])
        if _valid(case.body.get("update")):
            case.body["update"] = UPDATE
