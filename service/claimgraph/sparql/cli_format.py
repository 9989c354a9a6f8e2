"""Writing query results for a terminal or a pipe (the CLI `query` command)."""

from __future__ import annotations

from typing import BinaryIO

import pyoxigraph as ox

from .formats import GRAPH_FORMATS, SOLUTION_FORMATS, kind_of, serialize


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def write_result(result: object, fmt: str, out: BinaryIO) -> None:
    kind = kind_of(result)
    if fmt == "table":
        if kind == "boolean":
            out.write(b"true\n" if bool(result) else b"false\n")
            return
        if kind == "graph":
            out.write(serialize(result, "ntriples"))
            return
        variables = [v.value for v in result.variables]  # type: ignore[attr-defined]
        rows = [[_cell(sol[v]) for v in variables] for sol in result]  # type: ignore[attr-defined]
        widths = [min(80, max([len(v)] + [len(r[i]) for r in rows])) for i, v in enumerate(variables)]
        line = " | ".join(v.ljust(w) for v, w in zip(variables, widths))
        out.write((line + "\n" + "-+-".join("-" * w for w in widths) + "\n").encode())
        for r in rows:
            out.write((" | ".join(c.replace("\n", "⏎").ljust(w) for c, w in zip(r, widths)) + "\n").encode())
        out.write(f"({len(rows)} rows)\n".encode())
        return
    if kind == "graph" and fmt not in GRAPH_FORMATS:
        raise SystemExit(f"--format {fmt} does not fit a graph result; use one of {', '.join(GRAPH_FORMATS)}")
    if kind != "graph" and fmt not in SOLUTION_FORMATS:
        raise SystemExit(f"--format {fmt} does not fit a SELECT/ASK result; use one of {', '.join(SOLUTION_FORMATS)}")
    out.write(serialize(result, fmt))
