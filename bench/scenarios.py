"""What the benchmark asks: the queries, how they vary, and how answers are compared.

A scenario is a query template. `repeated` ones send the same text every
time (what a dashboard or a crawler does, and what an answer cache is for);
`unique` ones change the query text on every request so that no cache can
answer them: the varying part is a real term of the query (a subject IRI
and an IRI in a FILTER that never matches), not a comment a smarter cache
could strip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

PREFIXES = ("PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
            "PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> "
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ")
NONCE = "urn:x-bench:nonce-"
# Placeholders in templates: {S} a subject IRI from `subjects`, {N} a per-request nonce.


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    template: str
    subjects: tuple[str, ...] = ()
    unique: bool = False

    def text(self, subject_index: int = 0, nonce: str = "check") -> str:
        q = self.template
        if "{S}" in q:
            q = q.replace("{S}", self.subjects[subject_index % len(self.subjects)])
        return q.replace("{N}", nonce)


def scenarios(base: str, articles: int) -> list[Scenario]:
    """The benchmark's scenarios over a corpus of `articles` synthetic articles under `base`."""
    art = f"{base}article/syn-"
    first = f"{art}00001"
    sentences = tuple(f"{art}{n:05d}/sentence/s{k}" for n in range(1, articles + 1) for k in (1, 2, 3, 5, 8))
    articles_iris = tuple(f"{art}{n:05d}" for n in range(1, articles + 1))
    point = "SELECT ?p ?o WHERE { <{S}> ?p ?o }"
    join = (PREFIXES + "SELECT ?claim ?kind ?claimantLabel ?sentence WHERE { <{S}> cg:hasClaim ?claim . "
            "?claim cg:claimKind ?kind ; cg:claimant ?claimant ; cg:inSentence ?s . "
            "?claimant rdfs:label ?claimantLabel . ?s nif:anchorOf ?sentence . {F}} ORDER BY ?claim")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o {F}}"
    nonce_filter = f"FILTER(?p != <{NONCE}{{N}}>) "
    return [
        Scenario("point", "small SELECT, point lookup, repeated", point, (f"{first}/sentence/s2",)),
        Scenario("point-unique", "small SELECT, never repeated", point.replace(" }", " " + nonce_filter + "}"),
                 sentences, unique=True),
        Scenario("join", "join: claims + claimant label + sentence, repeated", join.replace("{F}", ""),
                 (first,)),
        Scenario("join-unique", "join, never repeated", join.replace("{F}", nonce_filter.replace("?p", "?claim")),
                 articles_iris, unique=True),
        Scenario("count", "COUNT(*) over the union graph, repeated", count.replace("{F}", ""), ()),
        Scenario("count-unique", "COUNT(*), never repeated", count.replace("{F}", nonce_filter), (), unique=True),
    ]


def normalize(body: bytes) -> list[tuple[tuple[str, str, str, str], ...]]:
    """SPARQL JSON results as a sorted list of rows, each a sorted tuple of (var, type, value, dt/lang).

    Peers differ in harmless ways (rdflib writes "typed-literal", some omit
    xsd:string); those are folded so only real differences remain.
    """
    data: dict[str, Any] = json.loads(body)
    if "boolean" in data:
        return [(("boolean", "", str(data["boolean"]).lower(), ""),)]
    rows = []
    for b in data["results"]["bindings"]:
        row = []
        for var, term in b.items():
            kind = term.get("type", "")
            kind = "literal" if kind == "typed-literal" else kind
            extra = term.get("xml:lang", "") or term.get("datatype", "")
            if extra == "http://www.w3.org/2001/XMLSchema#string":
                extra = ""
            value = term.get("value", "")
            if kind == "bnode":
                value = "_"
            row.append((var, kind, value, extra))
        rows.append(tuple(sorted(row)))
    return sorted(rows)


def _lua_str(value: str) -> str:
    return "[==[" + value + "]==]"


def lua_script(scenario: Scenario, path: str, accept: str, run_id: str = "0") -> str:
    """A wrk script: GET `path`?query=..., fixed for repeated scenarios, varied per request for unique ones.

    URL-encoding happens here, once; per request Lua only concatenates
    pre-encoded pieces, so wrk stays far faster than the servers it measures.
    `run_id` must differ between wrk runs (warm-up, measurement, servers),
    or a later run would repeat an earlier run's "unique" queries.
    """
    header = f'wrk.method = "GET"\nwrk.headers["Accept"] = {_lua_str(accept)}\n'
    done = (
        "function done(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        "  io.write(string.format('BENCH {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"err_connect\":%d,"
        "\"err_read\":%d,\"err_write\":%d,\"err_status\":%d,\"err_timeout\":%d,\"p50_us\":%d,\"p90_us\":%d,"
        "\"p99_us\":%d,\"mean_us\":%.1f}\\n', summary.requests, summary.duration, summary.bytes, e.connect, e.read,"
        " e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),"
        " latency.mean))\n"
        "end\n"
    )
    if not scenario.unique:
        full = path + "?query=" + quote(scenario.text(), safe="")
        return header + f"wrk.path = {_lua_str(full)}\n" + done
    marker_s, marker_n = "\x01S\x01", "\x01N\x01"
    template = scenario.template.replace("{S}", marker_s).replace("{N}", marker_n)
    encoded = quote(template, safe="\x01")
    pieces = encoded.replace(marker_s, "\x00").replace(marker_n, "\x00").split("\x00")
    order = [m for m in _markers(template, marker_s, marker_n)]
    subjects = ",\n".join(_lua_str(quote(s, safe="")) for s in scenario.subjects) or _lua_str("")
    parts = []
    for i, piece in enumerate(pieces):
        parts.append(_lua_str(piece))
        if i < len(order):
            parts.append("subjects[(counter + tid * 7919) % #subjects + 1]" if order[i] == "S"
                         else f'{_lua_str(run_id + "-")} .. tid .. "-" .. counter')
    body = (
        f"local subjects = {{\n{subjects}\n}}\n"
        "local counter = 0\n"
        "local threads_seen = 0\n"
        "function setup(thread)\n  threads_seen = threads_seen + 1\n  thread:set(\"tid\", threads_seen)\nend\n"
        "function request()\n  counter = counter + 1\n"
        f"  local q = {' .. '.join(parts)}\n"
        f"  return wrk.format(nil, {_lua_str(path + '?query=')} .. q)\nend\n"
    )
    return header + body + done


def _markers(template: str, ms: str, mn: str) -> list[str]:
    found = []
    i = 0
    while True:
        a, b = template.find(ms, i), template.find(mn, i)
        if a < 0 and b < 0:
            return found
        if b < 0 or (0 <= a < b):
            found.append("S")
            i = a + len(ms)
        else:
            found.append("N")
            i = b + len(mn)
