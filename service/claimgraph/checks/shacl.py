"""SHACL validation of the built data against ontology/shapes.ttl."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH


@dataclass
class ShaclReport:
    conforms: bool
    violations: list[str]


def check_shapes(data: Graph, shapes_file: Path, ontology: Graph | None = None) -> ShaclReport:
    shapes = Graph().parse(shapes_file, format="turtle")
    conforms, report, _text = validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
    )
    violations = []
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = f" {path.n3(data.namespace_manager)}" if path is not None and hasattr(path, "n3") else ""
        violations.append(f"{focus}{where}: {message}")
    return ShaclReport(bool(conforms), sorted(violations))
