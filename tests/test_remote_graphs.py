"""Which graphs an update writes (store/remote_graphs.py): what keeps the remote register true."""

from __future__ import annotations

import pytest

from claimgraph.store.remote_graphs import REGISTER, changes, written_graphs


@pytest.mark.parametrize("update, base, graphs, unknown", [
    ("PREFIX ex: <http://e/> INSERT DATA { GRAPH ex:a { <http://s> <http://p> <http://o> } }", None, {"http://e/a"}, False),
    ("INSERT DATA { GRAPH <rel> { <s> <p> <o> } }", "http://base/x/", {"http://base/x/rel"}, False),
    ("BASE <http://b/> INSERT DATA { GRAPH <g> { <s> <p> <o> } }", None, {"http://b/g"}, False),
    ("DROP SILENT GRAPH <http://x/g>", None, {"http://x/g"}, False),
    ("CLEAR NAMED", None, set(), True),
    ("DROP SILENT ALL", None, set(), True),
    ("CLEAR DEFAULT", None, set(), False),
    ("MOVE <http://a> TO <http://b>", None, {"http://a", "http://b"}, False),
    ("COPY SILENT GRAPH <http://a> TO GRAPH <http://b>", None, {"http://a", "http://b"}, False),
    ("LOAD <http://doc> INTO GRAPH <http://g>", None, {"http://g"}, False),
    ("WITH <http://w> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", None, {"http://w"}, False),
    ("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }", None, set(), True),
    ("INSERT { ?s ?p ?o } USING NAMED <http://read> WHERE { GRAPH <http://read> { ?s ?p ?o } }", None,
     {"http://read"}, False),  # named though only read: the register check asks the server, harmless
    ("INSERT DATA { <http://s> <http://p> \"GRAPH <http://not-a-graph>\" }", None, set(), False),
])
def test_the_graphs_an_update_writes(update, base, graphs, unknown):
    assert written_graphs(update, base) == (graphs, unknown)


def test_register_changes_are_one_update_in_the_register_graph():
    text = changes(add=["http://g/1"], remove=["http://g/2"], stage=["urn:claimgraph:staging:x"],
                   unstage=["urn:claimgraph:staging:y"])
    assert text.index("DELETE DATA") < text.index("INSERT DATA")
    assert text.count(f"GRAPH <{REGISTER}>") == 2 and "<http://g/1>" in text and "staging:y" in text
    assert changes() == ""
