"""What FastAPI cannot see from the handlers, added to /openapi.json: every status and media type
the service really sends, and the SPARQL Protocol and Graph Store endpoints' parameters and bodies.

The handlers of /sparql and /store read the raw request (the protocols allow the same parameter in
the query string and the body, repeated parameters and several body types), so FastAPI documents
them as taking nothing and answering JSON. Clients generated from the document (and schemathesis,
tests/test_openapi_conformance.py) need the truth: the uniform error body for 400/404/406/413/
415/422/431/503 (401/403/409 on writes), RDF and SPARQL results media types, 201/204 on writes.
"""

from __future__ import annotations

from typing import Any

from ..namespaces import ENTITY_TYPES
from ..sparql.formats import GRAPH_ALIASES, GRAPH_FORMATS, SOLUTION_ALIASES, SOLUTION_FORMATS
from .reconcile.properties import BY_ID

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object", "required": ["ok", "error"],
    "properties": {
        "ok": {"type": "boolean", "enum": [False]},
        "error": {"type": "object", "required": ["status", "code", "message"],
                  "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                                 "message": {"type": "string"}, "parameter": {"type": "string"},
                                 "details": {"type": "array"}}},
    },
}
REASONS = {400: "Bad request (the message names the parameter, and line and column for a query)",
           401: "Updates need an Authorization: Bearer token", 403: "Forbidden (read-only, or not allowed)",
           404: "Not found", 406: "None of the accepted media types can be served",
           409: "Conflict (a graph the build owns)", 413: "Request or result too large",
           415: "Unsupported request body media type", 422: "Invalid parameter",
           431: "Request headers too large", 503: "Busy, or the query ran out of time (see Retry-After)"}
READ_ERRORS = (400, 404, 406, 413, 415, 422, 431, 503)
WRITE_ERRORS = READ_ERRORS + (401, 403, 409, 415)

RESULTS = [mt for mt, _ in SOLUTION_FORMATS.values()]
GRAPHS = [mt for mt, _ in GRAPH_FORMATS.values()]
ANY: dict[str, Any] = {}
TEXTUAL = {"type": "string"}
TEXT = {"type": "string", "pattern": r"\S"}  # not blank
# An absolute IRI in its URI form (RFC 3986 characters; other characters percent-encoded). The service
# also takes IRIs with non-ASCII characters, which a pattern cannot tell apart from invalid code points.
IRI = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9!#$&'()*+,./:;=?@_~-]|%[0-9A-Fa-f]{2})+$"}


def _content(types: list[str], json_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {mt: {"schema": json_schema if (json_schema is not None and "json" in mt and "+json" not in mt)
                 else (TEXTUAL if not mt.endswith("json") else ANY)} for mt in types}


def _media_for(path: str) -> list[str] | None:
    """What a successful answer on `path` may be (None: leave FastAPI's)."""
    if path == "/sparql":
        return RESULTS + GRAPHS + ["application/json", "text/html"]
    if path.startswith("/store"):
        return GRAPHS
    if path.startswith("/api/queries/") and path.endswith(".rq"):
        return ["application/sparql-query"]
    if path.startswith("/api/"):
        return ["application/json", "application/ld+json", "text/csv"]
    if path.startswith(("/id/", "/ontology")):
        return ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/json"]
    if path.startswith("/exports/"):
        return ["application/ld+json"] + GRAPHS
    if path in ("/dumps", "/dumps/"):
        return ["application/json", "text/turtle", "application/ld+json", "text/html"]
    if path == "/metrics":
        return ["text/plain"]
    if path == "/context.jsonld":
        return ["application/ld+json", "application/json"]
    if path.startswith("/dumps/{"):
        return ["application/gzip", "application/n-quads", "application/trig", "application/octet-stream"]
    return None


SPARQL_PARAMS = [
    {"name": "query", "in": "query", "schema": TEXT,
     "description": "A SPARQL 1.1 query (GET, or POST as a form field)."},
    {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": IRI},
     "style": "form", "explode": True, "description": "Graphs making up the default graph (repeatable)."},
    {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": IRI},
     "style": "form", "explode": True, "description": "Named graphs of the dataset (repeatable)."},
    {"name": "timeout", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0},
     "description": "Seconds; can only lower the service's deadline."},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": sorted(
        set(SOLUTION_FORMATS) | set(GRAPH_FORMATS) | set(SOLUTION_ALIASES) | set(GRAPH_ALIASES))},
     "description": "A result format name or media type, instead of Accept."},
]
SPARQL_BODY = {"content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "oneOf": [
        {"required": ["query"], "not": {"required": ["update"]}},
        {"required": ["update"], "not": {"required": ["query"]}}], "properties": {
        "query": TEXT, "update": TEXT,
        "default-graph-uri": {"type": "array", "items": IRI},
        "named-graph-uri": {"type": "array", "items": IRI},
        "using-graph-uri": {"type": "array", "items": IRI},
        "using-named-graph-uri": {"type": "array", "items": IRI}}}},
    "application/sparql-query": {"schema": TEXTUAL},
    "application/sparql-update": {"schema": TEXTUAL},
}}
# `?default` (the default graph) is the other way to name a graph; JSON Schema cannot say "graph or
# default, never both", so it is described in the operation, not declared as a parameter.
STORE_PARAMS = [
    {"name": "graph", "in": "query", "schema": IRI, "required": True,
     "description": "The graph's IRI (indirect identification); or `?default` (no value) for the default graph."},
]
STORE_BODY = {"content": {**{mt: {"schema": TEXTUAL} for mt in GRAPHS},
                          "multipart/form-data": {"schema": {"type": "object"}}}}


ID = {"name": "id", "in": "query", "required": True, "schema": {"type": "string", "pattern": r"\S"},
      "description": "An entity id, e.g. russia (or its IRI)."}
PAGING = [{"name": "prefix", "in": "query", "schema": {"type": "string", "maxLength": 500}},
          {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(ENTITY_TYPES)}},
          {"name": "offset", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]*$"}},
          {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]*$"}},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}]
CALLBACK = {"name": "callback", "in": "query", "schema": {"type": "string", "pattern": "^[A-Za-z_$][A-Za-z0-9_$.]*$"},
            "description": "JSONP: wrap the answer in this function call."}
# Reconciliation routes read their parameters from the query string themselves (GET and POST forms).
RECONCILE_PARAMS = {
    "/reconcile/preview": [ID], "/reconcile/v1/preview": [ID],
    "/reconcile/flyout/entity": [ID, CALLBACK],
    "/reconcile/suggest/{kind}": PAGING + [CALLBACK], "/reconcile/v1/suggest/{kind}": PAGING + [CALLBACK],
}
HTML_PATHS = ("/reconcile/preview", "/reconcile/v1/preview")
NAME = {"type": "string", "pattern": r"\S", "maxLength": 500}
VALUES = {"oneOf": [NAME, {"type": "array", "items": NAME, "minItems": 1, "maxItems": 50}]}
SCALAR = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
PROP_VALUES = {"oneOf": [SCALAR, {"type": "array", "items": SCALAR, "minItems": 1, "maxItems": 50}]}
TYPE = {"oneOf": [{"type": "string", "enum": list(ENTITY_TYPES)},
                  {"type": "object", "required": ["id"], "properties": {"id": {"enum": list(ENTITY_TYPES)}}},
                  {"type": "null"}]}
CONDITION = {"oneOf": [
    {"type": "object", "required": ["matchType", "propertyValue"],
     "properties": {"matchType": {"enum": ["name", "id"]}, "propertyValue": VALUES}},
    {"type": "object", "required": ["matchType", "propertyId", "propertyValue"],
     "properties": {"matchType": {"enum": ["property"]}, "propertyId": {"enum": list(BY_ID)},
                    "propertyValue": PROP_VALUES, "required": {"type": "boolean"},
                    "matchQuantifier": {"enum": ["any", "all", "none"]}}},
]}
# What the reconciliation protocols take as a limit: a positive whole number, also as text or as 5.0;
# null means the default; more than 100 are capped at 100.
LIMIT = {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
                   {"type": "null"}], "description": "candidates wanted (capped at 100)"}
MATCH_BODY = {"type": "object", "required": ["queries"], "properties": {"queries": {
    "type": "array", "maxItems": 50, "items": {
        "type": "object", "required": ["conditions"],
        "properties": {"type": TYPE, "limit": LIMIT,
                       "conditions": {"type": "array", "minItems": 1, "maxItems": 20, "items": CONDITION}}}}}}
EXTEND_BODY = {"type": "object", "required": ["ids", "properties"], "properties": {
    "ids": {"type": "array", "maxItems": 500, "items": {"type": "string"}},
    "properties": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
        "type": "object", "required": ["id"], "properties": {"id": {"enum": list(BY_ID)}}}}}}
FORM_0_2 = {"type": "object", "additionalProperties": {"type": "string"}, "properties": {
    "queries": {"type": "string", "description": "a JSON object of queries, as the 0.2 protocol sends it"},
    "extend": {"type": "string", "description": "a JSON data-extension request"}}}


def complete(schema: dict[str, Any]) -> None:
    """Add the statuses, media types, parameters and bodies listed above to a generated document."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    # /sparql is a plain route (api/routes.py PROTOCOL_ROUTES) that FastAPI does not see: first, as before.
    ok = {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {}}}}}
    sparql = {"get": {"summary": "SPARQL 1.1 query", "operationId": "sparql_get", "responses": dict(ok)},
              "post": {"summary": "SPARQL 1.1 query or update", "operationId": "sparql_post",
                       "responses": dict(ok)}}
    schema["paths"] = {"/sparql": sparql, **{k: v for k, v in schema.get("paths", {}).items() if k != "/sparql"}}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            media = _media_for(path)
            writes = method in ("put", "post", "delete") and (path.startswith("/store") or
                                                              (path == "/sparql" and method == "post"))
            if path == "/sparql":
                op["parameters"] = [p for p in SPARQL_PARAMS if method == "get" or p["name"] != "query"]
                if method == "post":
                    op["requestBody"] = SPARQL_BODY
                    responses["204"] = {"description": "The update was applied"}
            if path.startswith("/store"):
                existing = [p for p in op.get("parameters", []) if p.get("in") == "path"]
                op["parameters"] = existing + (STORE_PARAMS if path == "/store" else [])
                if method in ("put", "post"):
                    op["requestBody"] = STORE_BODY
                if method in ("put", "post", "delete"):
                    responses.pop("200", None)
                    responses["204"] = {"description": "Done; the graph existed"}
                    if method != "delete":
                        responses["201"] = {"description": "Created; Location names the graph",
                                            "headers": {"Location": {"schema": {"type": "string"}}}}
            if path in RECONCILE_PARAMS:
                existing = [p for p in op.get("parameters", []) if p.get("in") == "path"]
                if path.endswith("{kind}"):
                    for p in existing:
                        if p["name"] == "kind":
                            p["schema"] = {"type": "string", "enum": ["entity", "type", "property"]}
                op["parameters"] = existing + RECONCILE_PARAMS[path]
            if path == "/reconcile" and method == "post":
                op["requestBody"] = {"content": {"application/x-www-form-urlencoded": {"schema": FORM_0_2}}}
            if path in ("/reconcile/v1/match", "/reconcile/v1/extend"):
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": MATCH_BODY if path.endswith("match") else EXTEND_BODY}}}
            if path in HTML_PATHS:
                media = ["text/html"]
            elif path.startswith("/reconcile") and media is None:
                media = ["application/json", "application/javascript"]
            ok = responses.get("200")
            if ok is not None and media is not None:
                if method == "head":
                    ok.pop("content", None)
                else:
                    known = ok.get("content", {}).get("application/json", {}).get("schema")
                    ok["content"] = _content(media, known)
            for status in (WRITE_ERRORS if writes else READ_ERRORS):
                key = str(status)
                if key in responses and status != 422:
                    continue
                body = {"description": REASONS[status]}
                if method != "head":
                    body["content"] = {"application/json": {"schema": ERROR_REF}}
                if status == 503:
                    body["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
                responses[key] = body
