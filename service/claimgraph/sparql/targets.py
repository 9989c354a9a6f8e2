"""Which graphs a SPARQL Update may write, read from its tokens.

The API refuses an update that may write a graph the build owns (a rebuild would
discard it: store/ownership.py). Parsing with rdflib would take ~10 ms per triple of
an INSERT DATA; this walks the gate's tokens once instead. It errs on the side of
refusing: a graph variable in a template, `CLEAR`/`DROP` of `ALL` or `NAMED`, and a
glued keyword that the parser might read either way all count as "may write any".

Write positions in an update:
- `GRAPH g` outside any group (`LOAD … INTO GRAPH g`, `CLEAR/DROP/CREATE GRAPH g`) or
  inside a template (`INSERT/DELETE DATA {…}`, `DELETE WHERE {…}`, `INSERT {…}`,
  `DELETE {…}`); a `GRAPH` inside a `WHERE` group only reads;
- `WITH g`;
- `ADD/COPY/MOVE a TO b` writes b, and MOVE also empties a.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .gate import resolve
from .lexer import Token, decode_iri, decode_local, tokenize

@dataclass
class Targets:
    graphs: set[str] = field(default_factory=set)
    anywhere: list[str] = field(default_factory=list)  # why the update may write any graph
    # Those of `anywhere` that only remove graphs that exist (CLEAR/DROP ALL or NAMED): harmless
    # to the build's graphs when the store holds none (api/writes.py).
    removes_existing: list[str] = field(default_factory=list)


class _Walk:
    def __init__(self, tokens: list[Token], base: str | None):
        self.t = tokens
        self.prefixes: dict[str, str] = {}
        self.base = base
        self.out = Targets()

    def at(self, i: int) -> Token | None:
        return self.t[i] if 0 <= i < len(self.t) else None

    def kw(self, i: int, *words: str) -> bool:
        tok = self.at(i)
        return tok is not None and tok.kind == "kw" and tok.text in words

    def term(self, tok: Token | None, what: str) -> None:
        if tok is None:
            return
        if tok.kind == "var":
            self.out.anywhere.append(f"{what} {tok.text} is a variable")
        elif tok.kind == "iri":
            self.out.graphs.add(resolve(decode_iri(tok.text), self.base))
        elif tok.kind == "pname":
            self.pname(tok.text)

    def pname(self, text: str) -> None:
        prefix, _, local = text.partition(":")
        if prefix in self.prefixes:
            self.out.graphs.add(self.prefixes[prefix] + decode_local(local))
        # An undeclared prefix: the parser refuses the update before anything is written.

    def glued(self, tok: Token) -> None:
        """`GRAPH:g`, `WITH:g`, `TO:g`: a prefixed name, or the keyword then `:g`? Take both."""
        if tok.kind != "pname":
            return
        for word in ("GRAPH", "WITH", "TO", "INTO"):
            rest = tok.text[len(word):]
            if tok.text.upper().startswith(word) and ":" in rest:
                self.pname(rest)

    def skip_silent(self, i: int) -> int:
        return i + 1 if self.kw(i, "SILENT") else i

    def run(self) -> Targets:
        depth = 0
        template: list[bool] = []  # per open group: is it a template?
        next_group_template = False
        i, n = 0, len(self.t)
        while i < n:
            tok = self.t[i]
            in_template = bool(template) and template[0]
            if tok.kind == "op" and tok.text == "{":
                template.append(next_group_template if depth == 0 else template[0])
                depth += 1
                next_group_template = False
            elif tok.kind == "op" and tok.text == "}":
                depth = max(0, depth - 1)
                if template:
                    template.pop()
            elif depth == 0 and self.kw(i, "PREFIX") and (p := self.at(i + 1)) and (v := self.at(i + 2)) \
                    and p.kind == "pname" and v.kind == "iri":
                self.prefixes[p.text[:-1]] = resolve(decode_iri(v.text), self.base)
                i += 3
                continue
            elif depth == 0 and self.kw(i, "BASE") and (v := self.at(i + 1)) and v.kind == "iri":
                self.base = resolve(decode_iri(v.text), self.base)
                i += 2
                continue
            elif depth == 0 and self.kw(i, "INSERT", "DELETE"):
                if self.kw(i + 1, "DATA") or (tok.text == "DELETE" and self.kw(i + 1, "WHERE")):
                    i += 1
                next_group_template = True
            elif depth == 0 and self.kw(i, "WHERE"):
                next_group_template = False
            elif self.kw(i, "GRAPH") and (depth == 0 or in_template):
                self.term(self.at(i + 1), "GRAPH")
                i += 2
                continue
            elif depth == 0 and self.kw(i, "WITH"):
                self.term(self.at(i + 1), "WITH")
            elif depth == 0 and self.kw(i, "CLEAR", "DROP"):
                j = self.skip_silent(i + 1)
                if self.kw(j, "ALL", "NAMED"):
                    why = f"{tok.text} {self.t[j].text} removes every named graph"
                    self.out.anywhere.append(why)
                    self.out.removes_existing.append(why)
            elif depth == 0 and self.kw(i, "ADD", "COPY", "MOVE"):
                j = self.skip_silent(i + 1)
                j = j + 1 if self.kw(j, "GRAPH") else j
                if tok.text == "MOVE" and not self.kw(j, "DEFAULT"):
                    self.term(self.at(j), "MOVE")
            elif depth == 0 and self.kw(i, "TO"):
                j = i + 1 if not self.kw(i + 1, "GRAPH") else i + 2
                if not self.kw(j, "DEFAULT"):
                    self.term(self.at(j), "TO")
            elif tok.kind == "pname" and (depth == 0 or in_template):
                self.glued(tok)
            i += 1
        return self.out


def written_graphs(update: str, base: str | None = None) -> Targets:
    """The graphs `update` may write (IRIs, resolved), and any reason it may write any graph."""
    return _Walk(tokenize(update), base).run()
