"""The query gate and its tokenizer: what is a string, a comment, an IRI; what
is refused and why; and that ordinary queries are never refused.

The SERVICE tricks are checked twice: the gate must refuse them, and
pyoxigraph itself (in this process, against a loopback listener we own) must
really dial out for them -- so each refusal here guards a real hole, and a
pyoxigraph upgrade that changes the parser shows up as a failing test.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from claimgraph.sparql.gate import GateError, Limits, allowed, check
from claimgraph.sparql.lexer import LexError, tokenize, unescape_codepoints
from support.liveserver import Listener

ROOT = Path(__file__).resolve().parents[1]


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def refused(text: str, status: int, code: str, **kw) -> GateError:  # noqa: ANN003
    with pytest.raises(GateError) as info:
        check(text, **kw)
    assert info.value.status == status, info.value
    assert info.value.code == code, info.value
    assert info.value.message
    return info.value


# -- the tokenizer ------------------------------------------------------------------

@pytest.mark.parametrize("literal", [
    '"a { b } ( [ SERVICE <http://x/> {"',
    "'a { b'",
    '"""multi\nline { {{ " "" }"""',
    "'''it's { ''' ",
    '"esc \\" { still inside"',
    '"\\u0022 { still inside, \\u0022 is a quote escaped in the string"',
])
def test_braces_and_keywords_inside_strings_are_not_code(literal: str) -> None:
    toks = tokenize(f"SELECT * WHERE {{ ?s ?p {literal} }}")
    strs = [t for t in toks if t.kind == "str"]
    assert [s.text for s in strs] == [literal.strip()]
    assert [t.text for t in toks if t.kind == "op"] == ["*", "{", "}"]
    assert not any(t.kind == "kw" and t.text == "SERVICE" for t in toks)


def test_comments_end_at_the_line_and_hide_what_they_hold() -> None:
    toks = kinds("SELECT * # { SERVICE <http://x/> {\nWHERE { ?s ?p ?o } # }}}")
    assert ("kw", "SERVICE") not in toks
    assert [t for t in toks if t[0] == "op"] == [("op", "*"), ("op", "{"), ("op", "}")]


def test_iris_with_hash_quote_and_parens_are_one_token() -> None:
    iri = "<http://dbpedia.org/resource/Paris_(France)#it's>"
    assert kinds(f"SELECT * {{ ?s {iri} ?o }}")[4] == ("iri", iri)


def test_braces_cannot_be_inside_an_iri_and_the_parser_agrees() -> None:
    q = "SELECT * WHERE { <http://e/{x}> ?p ?o }"
    assert not any(k == "iri" for k, _ in kinds(q))  # `{` ends the would-be IRI: it is code
    assert check(q).depth == 2  # counted as the nesting the parser sees
    with pytest.raises(SyntaxError):
        ox.Store().query(q)


def test_escaped_characters_in_prefixed_names_do_not_start_comments() -> None:
    toks = kinds("PREFIX ex: <http://e/> SELECT * { ?s ?p ex:a\\#b } SERVICE <http://x/> {}")
    assert ("pname", "ex:a\\#b") in toks
    assert ("kw", "SERVICE") in toks


def test_less_than_in_an_expression_is_an_operator() -> None:
    toks = kinds("SELECT * { ?s ?p ?o FILTER(?o<?s&&?s>?o) }")
    assert ("op", "<") in toks and ("op", "&&") in toks and not any(k == "iri" for k, _ in toks)
    # ...and an IRI everywhere an IRI can stand, even right after a variable.
    assert ("iri", "<http://e/p>") in kinds("SELECT * { ?s <http://e/p> ?o FILTER(?o = <http://e/x>) }")
    assert ("iri", "<http://e/x#y>") in kinds("SELECT * { VALUES (?a ?b) { (1 <http://e/x#y>) } }")
    ordered = kinds("SELECT * { ?s ?p ?o } ORDER BY ?s <http://www.w3.org/2001/XMLSchema#string>(?o)")
    assert ("iri", "<http://www.w3.org/2001/XMLSchema#string>") in ordered


def test_codepoint_escapes_follow_the_spec_pre_pass() -> None:
    assert unescape_codepoints("\\u0053ERVICE") == "SERVICE"
    assert unescape_codepoints("\\U0001F600") == "\U0001F600"
    assert unescape_codepoints("\\\\u0041") == "\\\\u0041"  # an escaped backslash starts no escape
    assert unescape_codepoints("\\u00ZZ\\u0041") == "\\u00ZZA"
    for bad in ("\\uD800", "\\uDFFF", "\\U00110000"):
        with pytest.raises(LexError):
            unescape_codepoints(bad)


# -- limits ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, text, status", [
    ("5000 nested groups", "SELECT * WHERE " + "{" * 5000 + "}" * 5000, 400),
    ("3000 nested OPTIONALs", "SELECT * WHERE {" + "OPTIONAL{" * 3000 + "}" * 3001, 400),
    ("10000-long UNION chain", "SELECT * WHERE {" + "{}UNION" * 9999 + "{}}", 413),
    ("10000-long && chain", "SELECT * WHERE { FILTER(?a" + "&&?a" * 10000 + ") }", 400),
    ("1000-step property path", "SELECT * { ?s " + "/".join(["<urn:p>"] * 1000) + " ?o }", 400),
    ("20 closures", "SELECT * { ?s " + "/".join(["<urn:p>*"] * 20) + " ?o }", 400),
    ("300 UNIONs", "SELECT * WHERE {" + "{?s ?p ?o}UNION" * 300 + "{}}", 400),
    ("200 OPTIONALs in a row", "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL{?s ?p ?o}" * 200 + "}", 400),
    ("deep parentheses", "SELECT * WHERE { FILTER(" + "(" * 60 + "1" + ")" * 60 + ") }", 400),
    ("a 100 KB literal", 'SELECT * WHERE { ?s ?p "' + "x" * 100_000 + '" }', 413),
])
def test_hostile_shapes_are_refused_before_parsing(name: str, text: str, status: int) -> None:
    err = refused(text, status, "query_too_large" if status == 413 else "query_too_complex")
    assert "limit" in err.message


def test_limits_are_configurable_and_counted_exactly() -> None:
    q = "SELECT * WHERE { " + "{ " * 10 + "}" * 10 + " }"
    assert check(q).depth == 11
    refused(q, 400, "query_too_complex", limits=Limits(max_depth=10))
    assert check("SELECT * { ?s " + "/".join(["<urn:p>"] * 129) + " ?o }",
                 limits=Limits(max_path_ops=128)).tokens > 0
    refused("SELECT * { ?s " + "/".join(["<urn:p>"] * 130) + " ?o }", 400, "query_too_complex")


def test_the_gate_costs_little_even_on_adversarial_text() -> None:
    worst = [
        "SELECT * { ?s ?p '''" + "a'" * 30000 + "}",
        "SELECT * { " + '"""a' * 15000 + " }",
        "SELECT * { " + "<aaaaaaaaaaaaaaaaaaaa" * 3000 + "}",
        "SELECT * { ?s ?p " + "a" * 60000 + " }",
        "SELECT * { " + "\\u0041" * 10000 + " }",
    ]
    for text in worst:
        started = time.perf_counter()
        try:
            check(text)
        except GateError as exc:
            assert exc.status in (400, 413)
        # Linear, bounded by the token limit: well under a second even on a loaded machine.
        assert time.perf_counter() - started < 1.5, text[:40]


# -- SERVICE and LOAD -----------------------------------------------------------------



@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


def service_tricks(base: str) -> dict[str, str]:
    host = base.split("//")[1].rstrip("/")
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{base}sparql> {{ ?s ?p ?o }} }}",
        "lower case": f"select * where {{ service <{base}sparql> {{ ?s ?p ?o }} }}",
        "SILENT": f"SELECT * WHERE {{ SERVICE SILENT <{base}sparql> {{ ?s ?p ?o }} }}",
        "prefixed name": f"PREFIX e: <{base}> SELECT * WHERE {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
        "BASE-relative": f"BASE <{base}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        "scheme-relative": f"BASE <http://e.example/> SELECT * WHERE {{ SERVICE <//{host}/x> {{ ?s ?p ?o }} }}",
        "escape in the IRI": f"SELECT * WHERE {{ SERVICE <{base}\\u0073parql> {{ ?s ?p ?o }} }}",
        "glued to an empty prefix": f"PREFIX : <{base}> SELECT * WHERE {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
        "SILENT glued": f"PREFIX : <{base}> SELECT * WHERE {{ SERVICE SILENT:sparql {{ ?s ?p ?o }} }}",
        "glued to a prefix": f"PREFIX ex: <{base}> SELECT * WHERE {{ SERVICEex:sparql {{ ?s ?p ?o }} }}",
        "a prefix named service": f"PREFIX service: <http://e.example/> PREFIX : <{base}> "
                                  f"SELECT * WHERE {{ service:x {{ ?s ?p ?o }} }}",
        "after a triple": f"PREFIX : <{base}> SELECT * WHERE {{ ?s ?p ?o SERVICE:sparql {{ ?s ?p ?o }} }}",
        "inside EXISTS": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{base}> {{ ?s ?p ?o }} }} }}",
    }


@pytest.mark.parametrize("trick", list(service_tricks("http://h/")))
def test_service_tricks_are_refused_and_are_real(trick: str, listener: Listener) -> None:
    base = f"http://127.0.0.1:{listener.port}/"
    text = service_tricks(base)[trick]
    err = refused(text, 403, "service_refused")
    assert f"127.0.0.1:{listener.port}" in err.message
    # The danger is real: pyoxigraph, unguarded, dials our listener for this text.
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e.example/s"), ox.NamedNode("http://e.example/p"), ox.Literal("o")))
    before = listener.connections
    try:
        list(store.query(text))
    except (OSError, SyntaxError, RuntimeError):
        pass
    deadline = time.time() + 2
    while listener.connections == before and time.time() < deadline:
        time.sleep(0.02)
    assert listener.connections > before, f"pyoxigraph no longer dials out for {trick!r}"


@pytest.mark.parametrize("text, code", [
    ("SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "service_refused"),
    ("SELECT * WHERE { \\u0073\\u0065rvice <http://127.0.0.1:9/> { ?s ?p ?o } }", "service_refused"),
    ("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } VALUES ?endpoint { <http://127.0.0.1:9/> } }",
     "service_refused"),
    ("SELECT * WHERE { SERVICE SILENT $e { ?s ?p ?o } }", "service_refused"),
])
def test_escaped_keywords_and_variable_endpoints_are_refused(text: str, code: str) -> None:
    refused(text, 403, code)


def test_comparison_glued_to_a_string_cannot_hide_a_service() -> None:
    # pyoxigraph reads `?s < ')> '` then a real SERVICE call; a naive lexer reads the IRI <')>.
    text = "SELECT * { ?s ?p ?o FILTER(?s<')> ') SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } #'\n}"
    assert refused(text, 400, "malformed_query").message.startswith("`<` at character")


@pytest.mark.parametrize("text", [
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://e.example/g>",
    "PREFIX ex: <http://127.0.0.1:9/> LOADex:data.ttl",
    "PREFIX : <http://127.0.0.1:9/> LOAD SILENT:data.ttl",
    "INSERT DATA { <http://e/a> <http://e/b> 1 } ; LOAD <http://127.0.0.1:9/x>",
])
def test_load_is_refused_off_the_allow_list(text: str) -> None:
    refused(text, 403, "load_refused", update=True)


def test_service_in_an_update_is_refused() -> None:
    refused("INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 403,
            "service_refused", update=True)


def test_prefixes_and_base_apply_from_where_they_are_declared() -> None:
    ok = ("http://ok.example/sparql",)
    v = check("PREFIX e: <http://ok.example/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }", allowlist=ok)
    assert v.services == ["http://ok.example/sparql"]
    v = check("BASE <http://ok.example/x/> SELECT * WHERE { SERVICE <../sparql> { ?s ?p ?o } }", allowlist=ok)
    assert v.services == ["http://ok.example/sparql"]
    # A relative IRI resolves against BASE, so a BASE change cannot smuggle another host in.
    refused("BASE <http://127.0.0.1:9/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }", 403,
            "service_refused", allowlist=ok)
    refused("PREFIX e: <http://ok.example/> PREFIX e: <http://127.0.0.1:9/> "
            "SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }", 403, "service_refused", allowlist=ok)


def test_allow_list_entries_match_exactly_or_as_a_folder() -> None:
    assert allowed("https://query.wikidata.org/sparql", ("https://query.wikidata.org/sparql",))
    assert not allowed("https://query.wikidata.org/sparql2", ("https://query.wikidata.org/sparql",))
    assert not allowed("https://query.wikidata.org.evil.example/sparql", ("https://query.wikidata.org",))
    assert allowed("http://ok.example/a/b", ("http://ok.example/",))
    assert not allowed("http://ok.example.evil/a", ("http://ok.example/",))


# -- no false positives ------------------------------------------------------------------

ORDINARY = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
    "PREFIX cg: <https://w3id.org/claimgraph/ontology#> SELECT ?c ?q WHERE { ?c a cg:Claim ; cg:quote/"
    "<http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#anchorOf> ?q "
    "FILTER(CONTAINS(LCASE(?q), \"sanction\") && STRLEN(?q) > 10 || ?q < \"b\") } ORDER BY DESC(?q)",
    "PREFIX ex: <http://e/> SELECT ?s WHERE { ?s ex:a/ex:b/ex:c ?o . OPTIONAL { ?s ex:d ?d } "
    "OPTIONAL { ?s ex:e ?e FILTER(?e<5) } MINUS { ?s ex:f ?f } }",
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type HAVING (COUNT(?s) > 1) ORDER BY DESC(?n)",
    "SELECT * WHERE { { SELECT ?s (MAX(?o) AS ?m) WHERE { ?s ?p ?o } GROUP BY ?s } }",
    "ASK { ?s <http://www.w3.org/ns/sparql-service-description#endpoint> ?o }",
    "SELECT * WHERE { ?s ?p \"call the SERVICE desk\" } # a SERVICE mentioned in a comment",
    "SELECT * WHERE { ?s ?p 'LOAD <http://127.0.0.1:9/>' }",
    "SELECT * WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#subClassOf>+ ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } VALUES ?g { <http://e/g#1> } }",
    "DESCRIBE <http://127.0.0.1:8000/id/entity/russia>",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (<http://e/a#x>, <http://e/b>)) BIND(<http://e/c#y> AS ?c) }",
    'SELECT ("caf\\u00e9" AS ?x) ("a\\u0022b" AS ?y) {}',
    "SELECT * WHERE { ?s <http://e/p> (1 <http://e/q#r>) }",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_queries_pass_the_gate_and_parse(text: str) -> None:
    verdict = check(text)
    assert verdict.text == text  # what runs is what was sent
    assert verdict.services == []
    ox.Store().query(text)  # and the engine accepts it: the sample is real SPARQL


def test_every_named_query_passes_the_gate() -> None:
    named = sorted((ROOT / "queries").glob("*.rq"))
    assert named, "queries/*.rq is empty"
    for path in named:
        text = path.read_text(encoding="utf-8")
        verdict = check(text)
        assert verdict.form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"), path.name
        assert verdict.services == [], path.name


def test_allow_listed_service_passes_and_is_reported() -> None:
    v = check("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }",
              allowlist=("https://query.wikidata.org/sparql",))
    assert v.services == ["https://query.wikidata.org/sparql"]


def test_updates_in_a_query_and_empty_forms_are_400() -> None:
    refused("INSERT DATA { <http://e/a> <http://e/b> 1 }", 400, "update_in_query")
    refused("PREFIX e: <http://e/>", 400, "malformed_query")
    refused("SELECT * WHERE { ?s ?p ?o \x00 }", 400, "malformed_query")
