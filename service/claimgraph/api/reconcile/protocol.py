"""Reading reconciliation requests off the wire: 0.1, 0.2 and 1.0-draft shapes.

Every malformed piece is answered 400 in the one error shape, naming the
parameter down to the query and field ("queries.q3.limit"), so a person
looking at OpenRefine's log can find the cell at fault.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from ...namespaces import CG
from ...namespaces import ENTITY_TYPES
from ..errors import ApiError
from ..protocol import read_body
from .manifest import BATCH_SIZE
from .matching import Condition, Query
from .properties import BY_ID

MAX_LIMIT = 100
MAX_TEXT = 500
STRICT = ("any", "all", "should")
QUANTIFIERS = ("any", "all", "none")


def bad(message: str, parameter: str, code: str = "invalid_parameter", status: int = 400) -> ApiError:
    return ApiError(status, code, message, parameter=parameter)


async def params(request: Request, body_limit: int) -> dict[str, str]:
    """Query-string and form parameters (urlencoded or multipart), each given at most once."""
    pairs = list(parse_qsl(request.url.query, keep_blank_values=True))
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            form = await request.form()
            pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        elif media in ("application/x-www-form-urlencoded", ""):
            raw = await read_body(request, body_limit)
            try:
                pairs += parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
            except (UnicodeDecodeError, ValueError):
                raise bad("the form body is not valid UTF-8 urlencoded data", "body", "bad_encoding") from None
        else:
            raise ApiError(415, "unsupported_media_type",
                           f"send reconciliation requests as application/x-www-form-urlencoded, not {media}",
                           parameter="Content-Type")
    out: dict[str, str] = {}
    for k, v in pairs:
        if k in out:
            raise bad(f"{k} was given more than once", k, "multiple_values")
        out[k] = v
    return out


def load_json(raw: str | bytes, parameter: str) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad(f"{parameter} is not valid JSON: {exc}", parameter, "invalid_json") from None


def type_id(value: Any, where: str) -> str:
    """A register type from its name, cg: CURIE or full ontology IRI."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str):
        raise bad(f"{where}: a type is a string like \"State\"", where)
    v = value.strip()
    for prefix in (str(CG), "cg:"):
        if v.startswith(prefix):
            v = v[len(prefix):]
    if v not in ENTITY_TYPES:
        raise bad(f"{where}: unknown type {value!r}; types are {', '.join(ENTITY_TYPES)}", where, "unknown_type")
    return v


def limit_of(value: Any, where: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise bad(f"{where} must be a positive integer", where)
    try:
        n = float(value)
    except ValueError:
        raise bad(f"{where} must be a positive integer, got {value!r}", where) from None
    if n != int(n) or n < 1:
        raise bad(f"{where} must be a positive integer, got {value!r}", where)
    return min(int(n), MAX_LIMIT)


def text_of(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise bad(f"{where} must be a string", where)
    if len(value) > MAX_TEXT:
        raise bad(f"{where} is longer than {MAX_TEXT} characters", where)
    return value


def pid_of(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in BY_ID:
        raise bad(f"{where}: unknown property {value!r}; properties are {', '.join(BY_ID)}", where, "unknown_property")
    return value


def values_of(value: Any, where: str) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if isinstance(item, dict):
            if not isinstance(item.get("id"), str):
                raise bad(f"{where}[{i}]: an entity value needs an \"id\" string", where)
        elif not isinstance(item, (str, int, float, bool)):
            raise bad(f"{where}[{i}] must be a string, number, boolean or {{id, name}}", where)
    if not items:
        raise bad(f"{where} must not be empty", where)
    return items


def query_v02(obj: Any, where: str) -> Query:
    """One 0.1/0.2 reconciliation query object."""
    if not isinstance(obj, dict):
        raise bad(f"{where} must be an object with a \"query\" string", where)
    unknown = set(obj) - {"query", "type", "limit", "properties", "type_strict"}
    if unknown:
        raise bad(f"{where}: unknown field(s) {', '.join(sorted(unknown))}", f"{where}.{sorted(unknown)[0]}")
    q = Query()
    if "query" in obj:
        q.text = text_of(obj["query"], f"{where}.query")
    raw_types = obj.get("type")
    if raw_types is not None:
        listed = raw_types if isinstance(raw_types, list) else [raw_types]
        q.types = [type_id(t, f"{where}.type") for t in listed]
    strict = obj.get("type_strict", "any")
    if strict not in STRICT:
        raise bad(f"{where}.type_strict must be one of {', '.join(STRICT)}", f"{where}.type_strict")
    q.type_strict = strict
    q.limit = limit_of(obj.get("limit"), f"{where}.limit", q.limit)
    props = obj.get("properties", [])
    if not isinstance(props, list):
        raise bad(f"{where}.properties must be a list of {{pid, v}}", f"{where}.properties")
    for i, p in enumerate(props):
        at = f"{where}.properties[{i}]"
        if not isinstance(p, dict) or "v" not in p:
            raise bad(f"{at} must be an object with \"pid\" and \"v\"", at)
        q.conditions.append(Condition(pid_of(p.get("pid"), f"{at}.pid"), values_of(p["v"], f"{at}.v")))
    if not (q.text and q.text.strip()) and not q.conditions:
        raise bad(f"{where} needs a non-empty \"query\" or at least one property", where, "empty_query")
    return q


def batch_v02(raw: str) -> dict[str, Query]:
    doc = load_json(raw, "queries")
    if not isinstance(doc, dict):
        raise bad("queries must be a JSON object mapping keys (q0, q1, …) to queries", "queries")
    if len(doc) > BATCH_SIZE:
        raise bad(f"queries holds {len(doc)} queries; the batch size is {BATCH_SIZE}", "queries", "too_many_queries", 413)
    return {str(k): query_v02(v, f"queries.{k}") for k, v in doc.items()}


def single_v01(raw: str) -> Query:
    """0.1's single `query` parameter: a bare name, or one query object as JSON."""
    if raw.lstrip().startswith("{"):
        return query_v02(load_json(raw, "query"), "query")
    q = Query(text=text_of(raw, "query"))
    if not q.text.strip():
        raise bad("query must not be empty", "query", "empty_query")
    return q


def query_v1(obj: Any, where: str) -> Query:
    """One 1.0-draft query: {type?, limit?, conditions: [{matchType, propertyValue, …}]}."""
    if not isinstance(obj, dict):
        raise bad(f"{where} must be an object with \"conditions\"", where)
    q = Query()
    if obj.get("type") is not None:
        q.types = [type_id(obj["type"], f"{where}.type")]
    q.limit = limit_of(obj.get("limit"), f"{where}.limit", q.limit)
    conditions = obj.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise bad(f"{where}.conditions must be a non-empty list", f"{where}.conditions")
    names: list[str] = []
    for i, c in enumerate(conditions):
        at = f"{where}.conditions[{i}]"
        if not isinstance(c, dict) or "propertyValue" not in c:
            raise bad(f"{at} must be an object with \"matchType\" and \"propertyValue\"", at)
        kind = c.get("matchType")
        if kind == "name":
            names += [text_of(v, f"{at}.propertyValue") for v in values_of(c["propertyValue"], f"{at}.propertyValue")]
        elif kind == "id":
            q.ids += [str(v.get("id") if isinstance(v, dict) else v)
                      for v in values_of(c["propertyValue"], f"{at}.propertyValue")]
        elif kind == "property":
            quantifier = c.get("matchQuantifier", "any")
            if quantifier not in QUANTIFIERS:
                raise bad(f"{at}.matchQuantifier must be one of {', '.join(QUANTIFIERS)}", f"{at}.matchQuantifier")
            required = c.get("required", False)
            if not isinstance(required, bool):
                raise bad(f"{at}.required must be true or false", f"{at}.required")
            q.conditions.append(Condition(pid_of(c.get("propertyId"), f"{at}.propertyId"),
                                          values_of(c["propertyValue"], f"{at}.propertyValue"), required, quantifier))
        else:
            raise bad(f"{at}.matchType must be name, id or property", f"{at}.matchType")
    # Several name conditions read as one name in several spellings: the best counts.
    q.text = max(names, key=len) if names else None
    if not (q.text and q.text.strip()) and not q.conditions and not q.ids:
        raise bad(f"{where} needs a non-empty name, id or property condition", where, "empty_query")
    return q


def batch_v1(doc: Any) -> list[Query]:
    if not isinstance(doc, dict) or not isinstance(doc.get("queries"), list):
        raise bad("the body must be a JSON object {\"queries\": [...]}", "queries")
    if len(doc["queries"]) > BATCH_SIZE:
        raise bad(f"queries holds {len(doc['queries'])} queries; the batch size is {BATCH_SIZE}", "queries",
                  "too_many_queries", 413)
    return [query_v1(q, f"queries[{i}]") for i, q in enumerate(doc["queries"])]


def extend_request(doc: Any, where: str) -> tuple[list[str], list[tuple[str, int]]]:
    """A data extension query: (entity ids, [(property id, value limit)])."""
    if not isinstance(doc, dict):
        raise bad(f"{where} must be an object {{ids, properties}}", where)
    ids = doc.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad(f"{where}.ids must be a list of entity id strings", f"{where}.ids")
    if len(ids) > BATCH_SIZE * 10:
        raise bad(f"{where}.ids holds {len(ids)} ids; the limit is {BATCH_SIZE * 10}", f"{where}.ids",
                  "too_many_ids", 413)
    props = doc.get("properties")
    if not isinstance(props, list) or not props:
        raise bad(f"{where}.properties must be a non-empty list of {{id, settings}}", f"{where}.properties")
    out: list[tuple[str, int]] = []
    for i, p in enumerate(props):
        at = f"{where}.properties[{i}]"
        if not isinstance(p, dict):
            raise bad(f"{at} must be an object with an \"id\"", at)
        pid = pid_of(p.get("id"), f"{at}.id")
        settings = p.get("settings") or {}
        if not isinstance(settings, dict):
            raise bad(f"{at}.settings must be an object", f"{at}.settings")
        raw_limit = settings.get("limit", 0)
        limit = 0 if raw_limit in (0, "0", "", None) else limit_of(raw_limit, f"{at}.settings.limit", 0)
        out.append((pid, limit))
    return ids, out
