"""Reading the W3C SPARQL 1.1 manifests (tests/fixtures/w3c/sparql11) into plain test records.

Files are named by the IRIs the test suite gives them (http://www.w3.org/2009/sparql/docs/
tests/data-sparql11/<dir>/<file>): data parsed with that base, queries and updates sent with
`BASE <that IRI>` when they do not declare one, as the suite's own runners resolve them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "w3c" / "sparql11"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")

QUERY_DIRS = ("aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res", "exists", "functions",
              "grouping", "json-res", "negation", "project-expression", "property-path", "subquery",
              "syntax-query", "syntax-fed")
UPDATE_DIRS = ("add", "basic-update", "clear", "copy", "delete", "delete-data", "delete-insert", "delete-where",
               "drop", "move", "update-silent", "syntax-update-1", "syntax-update-2")


def local(iri: str) -> Path:
    if not iri.startswith(BASE):
        raise ValueError(f"{iri} is not a file of the suite")
    return ROOT / iri[len(BASE):]


@dataclass
class Case:
    suite: str  # directory
    name: str  # the manifest's local name, e.g. agg01
    kind: str  # QueryEvaluationTest, UpdateEvaluationTest, PositiveSyntaxTest11, ProtocolTest, ...
    title: str
    approved: bool
    query: str | None = None  # IRI of the query / update file
    data: list[str] = field(default_factory=list)  # default-graph files
    graph_data: list[tuple[str, str]] = field(default_factory=list)  # (graph IRI, file IRI)
    result: str | None = None  # query result file
    result_data: list[str] = field(default_factory=list)  # update: expected default graph
    result_graphs: list[tuple[str, str]] = field(default_factory=list)
    node: rdflib.term.Node | None = None  # the entry, for the protocol interpreter
    graph: rdflib.Graph | None = None

    @property
    def id(self) -> str:
        return f"{self.suite}/{self.name}"


def _graphs(g: rdflib.Graph, node: rdflib.term.Node, pred: rdflib.URIRef) -> list[tuple[str, str]]:
    out = []
    for gd in g.objects(node, pred):
        if isinstance(gd, rdflib.URIRef):
            out.append((str(gd), str(gd)))  # qt:graphData <file>: the graph is named by the file
        else:
            file = g.value(gd, UT.graph) or g.value(gd, QT.graph)
            label = g.value(gd, RDFS.label)
            out.append((str(label) if label is not None else str(file), str(file)))
    return out


def load(suite: str, manifest: str = "manifest.ttl", unlisted: bool = False) -> list[Case]:
    """The manifest's tests in mf:entries order; with `unlisted`, also tests it defines but does
    not list (graph-store-protocol/manifest-direct.ttl defines head_non_existing_direct so)."""
    path = ROOT / suite / manifest
    g = rdflib.Graph()
    g.parse(path, format="turtle", publicID=f"{BASE}{suite}/{manifest}")
    cases: list[Case] = []
    entries = [e for man in g.subjects(RDF.type, MF.Manifest) for lst in g.objects(man, MF.entries)
               for e in Collection(g, lst)]
    if unlisted:
        entries += sorted({s for s, t in g.subject_objects(RDF.type)
                           if str(t).startswith(str(MF)) and str(t).endswith("Test") and s not in entries})
    for entry in entries:
        kind = str(g.value(entry, RDF.type)).split("#")[-1]
        name = str(entry).split("#")[-1]
        approval = g.value(entry, DAWGT.approval)
        case = Case(suite, name, kind, str(g.value(entry, MF.name) or name),
                    approval is None or str(approval).endswith("Approved"), node=entry, graph=g)
        action = g.value(entry, MF.action)
        if kind.endswith("SyntaxTest11") or kind.endswith("SyntaxTest"):
            case.query = str(action)
        elif kind in ("QueryEvaluationTest", "CSVResultFormatTest"):
            case.query = str(g.value(action, QT.query))
            case.data = [str(d) for d in g.objects(action, QT.data)]
            case.graph_data = _graphs(g, action, QT.graphData)
            result = g.value(entry, MF.result)
            case.result = str(result) if result is not None else None
        elif kind == "UpdateEvaluationTest":
            case.query = str(g.value(action, UT.request))
            case.data = [str(d) for d in g.objects(action, UT.data)]
            case.graph_data = _graphs(g, action, UT.graphData)
            result = g.value(entry, MF.result)
            if result is not None:
                case.result_data = [str(d) for d in g.objects(result, UT.data)]
                case.result_graphs = _graphs(g, result, UT.graphData)
        cases.append(case)
    return cases
