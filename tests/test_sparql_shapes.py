"""Query shapes (sparql/shapes.py): a query that differs from a remembered one only in its IRIs
must get exactly the verdict and the inline plan the full gate and classifier give it.

The central test is a differential fuzz: random query texts built from
tricky fragments (strings, comments, `<` as less-than, SERVICE, PREFIX,
nested groups, ...), the memo warmed with one text and asked about the same
text with other IRIs in its holes; every answer is compared with
gate.check + cheap.classify run from scratch on that text.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from claimgraph.sparql import cheap
from claimgraph.sparql.gate import GateError, Limits, check
from claimgraph.sparql.shapes import UNKNOWN, ShapeMemo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from scenarios import scenarios  # noqa: E402

BASE = "http://127.0.0.1:8000/id/"
ALLOWED = ("https://query.wikidata.org/sparql",)
LIMITS = Limits(max_bytes=4000)
HOLE = re.compile(r"<[^<>\"'{}|^`\\\x00-\x20]*>")

# What a hole may be filled with: every one matches the hole regex.
FILLERS = ["<urn:a>", "<urn:b:c>", "<http://x.example/p#q>", f"<{BASE}article/syn-00001>", "<rel>", "<>",
           "<=x>", "<http://127.0.0.1:9/sparql>", "<https://query.wikidata.org/sparql>", "<urn:\u00e9\u4e2d>",
           "<urn:\ud800>", "<urn:" + "x" * 3990 + ">", "<?x>", "<urn:a?b=c&d>", "<urn:(x)>", "<urn:'q'>",
           "<urn:#frag>", "<urn:a.b;c,d>", "<SERVICE>", "<urn:SERVICE:x>"]

FRAGMENTS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "*", "?s", "?p", "?o", "?x", "$y", "WHERE", "{", "}", "(",
             ")", "[", "]", ".", ";", ",", "a", "FILTER", "OPTIONAL", "UNION", "MINUS", "BIND", "AS", "VALUES",
             "SERVICE", "SILENT", "PREFIX", "ex:", "ex:a", "BASE", "<", ">", "<=", ">=", "=", "!=", "&&", "||",
             "!", "+", "-", "/", "^", "|", "'s'", '"t"', "'''<urn:in-string>'''", '"<urn:x>"', "#c <urn:y>\n",
             "\n", " ", "1", "2.5", "@en", "^^", "<urn:a>", "<urn:p>", "<urn:o>", "<http://h/p>", "LIMIT",
             "ORDER", "BY", "DESC", "STR", "GRAPH", "FROM", "NAMED", "_:b", "<<", ">>", "TRUE", "?o<?x>3",
             "SERVICE<urn:s>", "ex:a<urn:t>", "'", '"', "#", "\x00"]

TEMPLATES = [s.template for s in scenarios(BASE, 3)] + [
    "SELECT ?p ?o WHERE { <H> ?p ?o }",
    "PREFIX ex: <H> SELECT * WHERE { ex:a ex:p ?o . ?o ex:q ?z }",
    "PREFIX ex: <H> SELECT * WHERE { <H> a ex:Thing ; ex:p ?o FILTER(?o != <H>) } LIMIT 3",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<?x>3) }",
    "SELECT * WHERE { <H> ?p ?o FILTER(STR(?o) < '<H>') }",
    "SELECT * WHERE { SERVICE <H> { ?s ?p ?o } }",
    "SELECT * WHERE { <H> <H>/<H>* ?o }",
    "ASK { <H> <H> <H> }",
    "SELECT * WHERE { <H> ?p 'text' . # comment <H>\n }",
    "SELECT * WHERE { { <H> ?p ?o } UNION { <H> ?p ?o } }",
    "SELECT * FROM <H> WHERE { <H> ?p ?o }",
    "SELECT * WHERE { <H> ?p ?o } ORDER BY DESC(?o) LIMIT 10",
]


def reference(text: str) -> tuple:
    """What the full gate and classifier say about `text`, from scratch."""
    try:
        v = check(text, LIMITS, ALLOWED)
    except GateError as exc:
        return ("refused", exc.status, exc.code, exc.message)
    return ("ok", v.text, v.form, v.services, v.loads, v.tokens, v.depth, cheap.classify(text, 8, v.lexed))


def memoized(memo: ShapeMemo, text: str) -> tuple:
    try:
        v, plan = memo.check(text)
    except GateError as exc:
        return ("refused", exc.status, exc.code, exc.message)
    if plan is UNKNOWN:
        plan = cheap.classify(text, 8, v.lexed)
    return ("ok", v.text, v.form, v.services, v.loads, v.tokens, v.depth, plan)


def refill(text: str, rng: random.Random) -> str:
    return HOLE.sub(lambda _m: rng.choice(FILLERS), text)


def test_the_benchmark_templates_reuse_one_shape_with_the_plan_classify_gives() -> None:
    memo = ShapeMemo(LIMITS, ALLOWED, 8)
    for scenario in scenarios(BASE, 5):
        for k in range(5):
            text = scenario.text(k, f"n{k}")
            assert memoized(memo, text) == reference(text)
    # Each never-repeated template: the first is learnt, the other four reuse it. A repeated one sends
    # the same text five times: the memo's last answer, no reuse counted.
    assert memo.reused == 3 * 4


@pytest.mark.parametrize("seed", range(4))
def test_refilled_holes_get_exactly_the_full_gates_answer(seed: int) -> None:
    rng = random.Random(seed)
    memo = ShapeMemo(LIMITS, ALLOWED, 8)
    reused_before = 0
    for _ in range(1500):
        if rng.random() < 0.5:
            base = rng.choice(TEMPLATES).replace("<H>", rng.choice(FILLERS)).replace("{S}", BASE + "x") \
                .replace("{N}", str(rng.random()))
        else:
            base = " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(3, 30)))
        memoized(memo, base)  # learn its shape, if it has one worth keeping
        for _ in range(3):
            text = refill(base, rng)
            assert memoized(memo, text) == reference(text), text[:300]
    reused_before = memo.reused
    assert reused_before > 500  # the property was tested on reused shapes, not only on fresh ones


def test_a_service_shape_is_never_reused_so_its_target_is_always_checked() -> None:
    memo = ShapeMemo(LIMITS, ALLOWED, 8)
    allowed = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    assert memo.check(allowed)[0].services == ["https://query.wikidata.org/sparql"]
    with pytest.raises(GateError) as refused:
        memo.check(allowed.replace("https://query.wikidata.org/sparql", "http://127.0.0.1:9/"))
    assert refused.value.status == 403 and memo.reused == 0


def test_what_an_iri_alone_can_break_is_checked_on_every_text() -> None:
    memo = ShapeMemo(LIMITS, ALLOWED, 8)
    memo.check("SELECT ?p ?o WHERE { <urn:a> ?p ?o }")
    with pytest.raises(GateError) as surrogate:
        memo.check("SELECT ?p ?o WHERE { <urn:\ud800> ?p ?o }")
    assert surrogate.value.code == "malformed_query" and "surrogate" in surrogate.value.message
    with pytest.raises(GateError) as big:
        memo.check("SELECT ?p ?o WHERE { <urn:" + "x" * 5000 + "> ?p ?o }")
    assert big.value.status == 413
    verdict, plan = memo.check("SELECT ?p ?o WHERE { <relative> ?p ?o }")
    assert verdict.form == "SELECT" and plan is None  # a relative IRI: classify refuses it, so must the memo
    assert memo.reused == 1


def test_an_iri_lookalike_in_a_string_or_a_comparison_keeps_no_shape() -> None:
    memo = ShapeMemo(LIMITS, ALLOWED, 8)
    for text in ("SELECT * WHERE { ?s ?p '<urn:a>' }", "SELECT * WHERE { ?s ?p ?o FILTER(?o<?x>3) }",
                 "SELECT * WHERE { ?s ?p ?o } # <urn:a>"):
        memo.check(text)
        memo.check(text.replace("urn:a", "urn:b").replace("?x", "?y"))
    assert memo.reused == 0


def test_the_memo_is_bounded() -> None:
    memo = ShapeMemo(LIMITS, ALLOWED, 8, entries=10)
    for k in range(25):
        memo.check(f"SELECT ?p ?o WHERE {{ <urn:a> ?p ?o }} LIMIT {k}")
    assert len(memo._shapes) <= 10


def test_asking_about_the_same_text_twice_in_a_row_is_one_reuse() -> None:
    """The protocol lane and then the ASGI path may look at one query back to back: counted once."""
    memo = ShapeMemo(LIMITS, ALLOWED, 8)
    memo.check("SELECT ?p ?o WHERE { <urn:a> ?p ?o }")
    text = "SELECT ?p ?o WHERE { <urn:b> ?p ?o }"
    first = memo.check(text)
    assert memo.check("".join(text)) == first and memo.reused == 1
    with pytest.raises(GateError):
        memo.check("SELECT ?p ?o WHERE { <urn:\ud800> ?p ?o }")
    assert memo.check(text) == first and memo.reused == 1
