"""The protocol's `using-graph-uri` / `using-named-graph-uri`, written into an update as USING clauses.

SPARQL 1.1 Protocol §2.2.3: these parameters give the RDF dataset of an update's WHERE
clauses exactly as USING / USING NAMED would; an update that names its own dataset (USING,
USING NAMED or WITH) together with them is an error the service must refuse. pyoxigraph's
Store.update takes no dataset, so the clauses are inserted in front of each operation's
WHERE: the engine then evaluates the standard's own syntax, with nothing of ours to diverge.

Only DELETE/INSERT … WHERE takes a dataset; DELETE WHERE {…} has no dataset clause in the
grammar and other operations (INSERT DATA, CLEAR, LOAD, …) have no WHERE to apply it to.
"""

from __future__ import annotations

from .lexer import Token, tokenize


class DatasetConflict(ValueError):
    """The update names its own dataset and the request names one too."""


def with_using(text: str, using: list[str], using_named: list[str], tokens: list[Token] | None = None) -> str:
    """`text` with USING <g> / USING NAMED <g> before every DELETE/INSERT operation's WHERE.

    The IRIs must be absolute and valid (the protocol parser checked them). Raises
    DatasetConflict if the update already has USING or WITH."""
    if not using and not using_named:
        return text
    tokens = tokens if tokens is not None else tokenize(text)
    clauses = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    depth = 0
    cuts: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.kind == "op" and tok.text == "{":
            depth += 1
        elif tok.kind == "op" and tok.text == "}":
            depth -= 1
        elif depth == 0 and tok.kind == "kw" and tok.text in ("USING", "WITH"):
            raise DatasetConflict(f"the update has {tok.text} at character {tok.pos + 1}, and the request also "
                                  "gives using-graph-uri / using-named-graph-uri: name the dataset in one place only")
        elif depth == 0 and tok.kind == "kw" and tok.text == "WHERE":
            prev = tokens[i - 1] if i else None
            # After a template's closing brace: DELETE {…} / INSERT {…} WHERE. After DELETE: DELETE WHERE.
            if prev is not None and prev.kind == "op" and prev.text == "}":
                cuts.append(tok.pos)
    out, last = [], 0
    for pos in cuts:
        out += [text[last:pos], clauses]
        last = pos
    out.append(text[last:])
    return "".join(out)
