"""Coverage-guided fuzzing (atheris, libFuzzer) of what judges a query before it runs.

    python bench/fuzz_query_gate.py [libFuzzer options] [corpus dirs]
    make fuzz-gate            # 20 minutes;  tests/test_fuzz_gate.py runs 45 s of it in CI

Each input, decoded as UTF-8 (invalid bytes become lone surrogates, which the
gate must refuse cleanly), goes through the lexer, the safety gate, the
bounded-query prover and the parse probe. A crash is any exception a caller
does not expect, or a broken invariant:

- lexer: every token is the slice of the text at its position (keywords up to
  case), positions increase, and only whitespace and comments lie between
  tokens (nothing is dropped that pyoxigraph would read);
- gate: a Verdict of one of the four forms, or a GateError with a 4xx
  status; with an empty allow-list never a SERVICE target; Verdict.form_at
  points at the form's keyword;
- prover: a query it calls bounded, with pyoxigraph on a store with hubs of
  out- and in-edges, returns no more rows than the proven bound (and a wrong
  proof shows as a libFuzzer timeout: -timeout);
- parse probe: refuses exactly what pyoxigraph's parser refuses (an ASK is
  probed as a SELECT: a false refusal would be a 400 to a valid query).

The seed corpus is written from the hostile-query tests, the named queries and
the benchmark's queries (seed_corpus()); libFuzzer adds what it finds to the
first corpus directory given.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "service"), str(ROOT / "tests"), str(ROOT)]

with atheris.instrument_imports(include=["claimgraph.sparql"]):
    from claimgraph.sparql import bounded
    from claimgraph.sparql.gate import QUERY_FORMS, GateError, Limits, check
    from claimgraph.sparql.lexer import LexError, tokenize
    from claimgraph.sparql.parse_probe import syntax_error

import pyoxigraph as ox

LIMITS = Limits(max_bytes=64 * 1024)
_GAP = re.compile(r"(?:\s|#[^\n\r]*)*")
HUB = 2_000


def _store() -> tuple[ox.Store, dict[str, int]]:
    n = ox.NamedNode
    g = n("urn:g")
    quads = [ox.Quad(n("urn:a"), n(f"urn:p{i % 3}"), n(f"urn:c{i}"), g) for i in range(6)]
    quads += [ox.Quad(n(f"urn:c{i}"), n("urn:label"), ox.Literal(f"c {i}", language="en"), g) for i in range(6)]
    quads += [ox.Quad(n(f"urn:x{i}"), n("urn:type"), n("urn:Hub"), g) for i in range(HUB)]
    quads += [ox.Quad(n("urn:big"), n("urn:has"), n(f"urn:x{i}"), g) for i in range(HUB)]
    quads += [ox.Quad(n(f"urn:x{i}"), n("urn:p0"), n("urn:a"), n(f"urn:g{i % 7}")) for i in range(HUB)]
    store = ox.Store()
    store.extend(quads)
    rows = [{k: {"value": v.value} for k, v in zip(("p", "m"), (s["p"], s["m"]))}
            for s in store.query(bounded.FANOUT_QUERY)]
    total = [{"m": {"value": s["m"].value}} for s in store.query(bounded.OUTDEGREE_QUERY)]
    longest = [{"m": {"value": s["m"].value}} for s in store.query(bounded.LONGEST_QUERY)]
    return store, bounded.parse_fanout(rows, total, longest)


STORE, FANOUT = _store()


def check_lexer(text: str) -> None:
    try:
        tokens = tokenize(text, 5000)
    except LexError:
        return
    end = 0
    for tok in tokens:
        assert tok.pos >= end, (tok, end)
        assert _GAP.fullmatch(text, end, tok.pos), f"dropped {text[end:tok.pos]!r} before {tok}"
        assert text[tok.pos:tok.pos + len(tok.text)].upper() == tok.text.upper(), tok
        end = tok.pos + len(tok.text)
    assert _GAP.fullmatch(text, end), f"dropped {text[end:]!r} at the end"


def check_gate(text: str) -> object | None:
    try:
        verdict = check(text, LIMITS, ())
    except GateError as exc:
        assert 400 <= exc.status < 500 and exc.code and exc.message, exc
        return None
    assert verdict.form in QUERY_FORMS, verdict
    assert not verdict.services, f"a SERVICE target passed an empty allow-list: {verdict.services}"
    assert text[verdict.form_at:verdict.form_at + len(verdict.form)].upper() == verdict.form, verdict
    return verdict


def check_prover(text: str) -> None:
    plan = bounded.classify(text)
    if plan is None:
        return
    bound = bounded.work_bound(plan, STORE, FANOUT, 2048)
    if bound is None:
        return
    try:
        answer = STORE.query(text, use_default_graph_as_union=True)
    except (SyntaxError, ValueError, OSError):
        return
    rows = 1 if isinstance(answer, ox.QueryBoolean) else sum(1 for _ in answer)
    assert rows <= bound, f"proven <= {bound} rows, got {rows}"


def check_probe(text: str, verdict) -> None:  # noqa: ANN001 - the gate's Verdict
    said = syntax_error(text, verdict.form, verdict.form_at, "http://localhost/sparql")
    if verdict.form == "ASK" and ("VALUES" in text.upper() or "*" in text):
        return  # evaluating an ASK here could take as long as its cross product: only the text's shape
    try:
        ox.Store().query(text, base_iri="http://localhost/sparql")  # lazy except ASK, on an empty store
        parses = True
    except SyntaxError:
        parses = False
    except Exception:  # noqa: BLE001 - an evaluation error is not a parse error
        parses = True
    assert (said is None) == parses, f"probe said {said!r}, pyoxigraph {'parses' if parses else 'refuses'} it"


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    check_lexer(text)
    verdict = check_gate(text)
    if verdict is not None:
        check_prover(text)
        check_probe(text, verdict)


def seed_corpus(into: Path) -> None:
    """The seeds: every query the hostile tests, the named queries and the benchmark use."""
    from support import hostile_queries as hq

    seeds = [hq.CROSS, hq.CLOSURE_CROSS, hq.MEMORY_HOG, *hq.tricks("http://127.0.0.1:9/").values(),
             "ASK { ?s ?p ?o }", "SELECT ?c WHERE { ?c a <urn:Hub> } LIMIT 5",
             "SELECT ?o WHERE { <urn:big> <urn:has> ?o . ?o <urn:p0> ?a }",
             "SELECT * WHERE { <urn:a> ?p ?c . ?c <urn:label> ?l FILTER(LANG(?l) = 'en') } ORDER BY ?l LIMIT 3",
             "PREFIX x: <urn:> ASK { x:a x:p0 ?c . ?c x:label ?l }", "SELECT * WHERE { ?s ?p"]
    seeds += [p.read_text() for p in sorted((ROOT / "queries").glob("*.rq"))]
    from bench.scenarios import scenarios

    seeds += [s.text(i, "n1") for s in scenarios("urn:", 3) for i in range(2)]
    # The prover's own shapes over the fuzz store's hubs: mutations of these reach its proof.
    seeds += ["SELECT ?c ?l WHERE { <urn:a> <urn:p0> ?c . ?c <urn:label> ?l } ORDER BY DESC(?l)",
              "SELECT DISTINCT ?p WHERE { <urn:a> ?p ?c ; <urn:p1> ?d . ?d ?q ?e FILTER(?e != 'z') }",
              "SELECT * WHERE { <urn:x1> <urn:p0> ?a . ?a <urn:p2> ?c . ?c <urn:label> 'c 2'@en }",
              "ASK { <urn:big> <urn:has> <urn:x5> }", "SELECT * { <urn:a> ?p ?o } LIMIT 2 OFFSET 1"]
    into.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(seeds):
        (into / f"seed-{i:03d}").write_text(text)


DICTIONARY = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS",
              "LIMIT", "OFFSET", "ORDER BY", "DESC(", "DISTINCT", "REDUCED", "PREFIX", "BASE", "SERVICE",
              "SILENT", "VALUES", "GRAPH", "FROM", "NAMED", "BIND", "EXISTS", "NOT", "COUNT(*)", "AS",
              "GROUP BY", "<urn:a>", "<urn:big>", "<urn:has>", "<urn:Hub>", "<urn:label>", "<urn:p0>",
              "<urn:type>", "?s", "?p", "?o", "{", "}", " . ", " ; ", " , ", " a ", "'c 1'@en", "^^", "\\u0053",
              "# ", "\n", "STR(", "LANG(", "isIRI(", "sameTerm(", "&&", "||", "!=", "*", "/", "^", "|"]


def write_dictionary(path: Path) -> None:
    """A libFuzzer dictionary of the grammar's words: mutations then splice whole keywords."""
    def quoted(word: str) -> str:  # libFuzzer's escapes: \\, \" and \xNN
        return "".join("\\" + c if c in '\\"' else c if " " <= c <= "~" else f"\\x{ord(c):02X}" for c in word)

    path.write_text("".join(f'"{quoted(w)}"\n' for w in DICTIONARY))


if __name__ == "__main__":
    args = list(sys.argv)
    corpus = [a for a in args[1:] if not a.startswith("-")]
    if corpus and not Path(corpus[0]).is_file():  # a file: one input to reproduce
        seed_corpus(Path(corpus[0]))
        if not any(a.startswith("-dict=") for a in args):
            words = Path(corpus[0]).parent / "sparql.dict"
            write_dictionary(words)
            args.insert(1, f"-dict={words}")
    atheris.Setup(args, one_input)
    atheris.Fuzz()
