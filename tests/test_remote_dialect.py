"""What the Virtuoso dialect does to a query's text (store/remote_dialect.py), decided from tokens.

The servers themselves are exercised in tests/test_remote_backends.py; these pin the rewrites on
the cases a token-level reading could get wrong (strings, arithmetic, prefixed names).
"""

from __future__ import annotations

import pytest

from claimgraph.store.remote_dialect import NO_GRAPH, exclusive_prologue, transitive_path, without_graphs

SYS = "http://www.openlinksw.com/schemas/virtrdf#"


@pytest.mark.parametrize("query, expected", [
    ("SELECT * WHERE { ?x <http://p>* ?y }", True),
    ("SELECT ?x WHERE { ?x a+ ?y }", True),
    ("PREFIX s: <http://s#> SELECT ?x { ?x s:b* ?y }", True),
    ("SELECT ?x WHERE { ?x (<http://p>|<http://q>)* ?y }", True),
    ("SELECT ?x WHERE { ?x <http://q> ?z ; (<http://p>/<http://q>)+ ?y }", True),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?x a ?y FILTER(?n*2 > 1+3) }", False),
    ("SELECT ((?a+1)*2 AS ?b) WHERE { ?x <http://p> ?a BIND((?a+1)*2 AS ?c) }", False),
    ("SELECT ?x WHERE { ?x <http://p>? ?y }", False),  # zero-or-one is not transitive
    ("SELECT ?x WHERE { ?x <http://p> \"a* b+\" }", False),  # inside a string
    ("SELECT ?v WHERE { ?x <http://p> ?a BIND(<http://f>(?a) * 2 AS ?v) }", False),  # a function's result
    ("SELECT * WHERE { ?x <http://p>/<http://q> ?y }", False),  # a sequence is fine
])
def test_transitive_paths_are_found_and_arithmetic_is_not(query: str, expected: bool) -> None:
    assert transitive_path(query) is expected


def test_a_hidden_graph_is_pointed_at_the_empty_one_wherever_the_query_names_it() -> None:
    text = f"PREFIX v: <http://www.openlinksw.com/schemas/virtrdf#> ASK {{ GRAPH v: {{ ?s ?p ?o }} GRAPH <{SYS}> {{ ?a ?b ?c }} }}"
    # `v:` alone is a prefixed name with an empty local part: it writes the IRI too.
    out = without_graphs(text, {SYS})
    assert f"GRAPH <{SYS}>" not in out and "GRAPH v:" not in out and out.count(f"<{NO_GRAPH}>") == 2
    named = without_graphs(f"PREFIX v: <http://x/> ASK {{ GRAPH v:g {{ ?s ?p ?o }} ?s <{SYS}> ?o }}", {SYS, "http://x/g"})
    assert f"GRAPH <{NO_GRAPH}>" in named and f"?s <{SYS}> ?o" in named  # only in graph position


def test_the_exclusive_dataset_names_only_what_each_query_needs() -> None:
    excluded = [SYS, "urn:claimgraph:graphs"]
    ours = ["http://127.0.0.1:8000/id/graph/entities", "http://127.0.0.1:8000/id/graph/article/a"]
    plain = exclusive_prologue(excluded, ours, "SELECT * WHERE { ?s ?p ?o }")
    assert plain.count("input:default-graph-exclude") == 2 and "named-graph" not in plain
    assert "\n" not in plain  # the user's query keeps its line numbers
    variable = exclusive_prologue(excluded, ours, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert variable.count("input:named-graph-exclude") == 2 and "named-graph-uri" not in variable
    constant = exclusive_prologue(excluded, ours, f"ASK {{ GRAPH <{ours[0]}> {{ ?s ?p ?o }} }}")
    assert f"input:named-graph-uri <{ours[0]}>" in constant and ours[1] not in constant
    both = exclusive_prologue(excluded, ours, f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} GRAPH <{ours[0]}> {{ ?a ?b ?c }} }}")
    assert all(f"input:named-graph-uri <{g}>" in both for g in ours) and "named-graph-exclude" not in both
    assert exclusive_prologue(excluded, ours, "SELECT * FROM <http://g> WHERE { ?s ?p ?o }") == ""
    assert f"input:default-graph-uri <{NO_GRAPH}>" in exclusive_prologue(excluded, ours, "SELECT * { ?s ?p ?o }",
                                                                         union=False)
