"""RDF written for people as well as parsers: Turtle and TriG with @prefix lines, JSON-LD with an @context.

pyoxigraph writes prefixes for Turtle and TriG when asked, but JSON-LD only in expanded form
(every key a full IRI). `JsonLdCompactor` turns that stream into a document with one @context of
the given prefixes: keys, @id and @type values become compact IRIs (`schema:Claim`); nothing
else changes, so any JSON-LD processor expands it back to the same quads. It works on the byte
stream chunk by chunk, so a dump of the whole corpus never has to be held as one string.

The prefixes are a parameter (callers pass namespaces.PREFIXES) so that a query worker can use
this module without importing rdflib.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any, Iterable

import pyoxigraph as ox

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^"]+', re.S)
_PREFIXED = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG)


def jsonld_context(prefixes: dict[str, str]) -> dict[str, str]:
    """The prefixes JSON-LD may use as such: an IRI ending in a gen-delim (JSON-LD 1.1, 4.2.2)."""
    return {p: ns for p, ns in prefixes.items() if ns and ns[-1] in "/#:?[]@"}


def compact_iri(iri: str, by_length: list[tuple[str, str]]) -> str:
    """`prefix:local` when a namespace (longest first) covers the IRI, else the IRI itself."""
    for ns, prefix in by_length:
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            # JSON-LD leaves "p://…" alone (an absolute IRI), so such a local part stays expanded.
            if not local.startswith("//"):
                return f"{prefix}:{local}"
    return iri


class JsonLdCompactor:
    """Feed expanded JSON-LD bytes in any chunks; get a compacted document out."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self._context = jsonld_context(prefixes)
        # Longest namespace first, so that a namespace nested in another wins.
        self._by_length = sorted(((ns, p) for p, ns in self._context.items()), key=lambda i: -len(i[0]))
        self._pending = ""
        self._stack: list[str] = []      # "{" or "[" for each open container
        self._after = ""                 # the last structural character seen: { [ , :
        self._key = ""                   # the key whose value comes next
        self._started = False
        self._decoder = _utf8_decoder()

    def feed(self, data: bytes) -> bytes:
        text = self._pending + self._decoder.decode(data)
        out: list[str] = []
        if not self._started:
            stripped = text.lstrip()
            if not stripped:
                self._pending = text
                return b""
            self._started = True
            context = json.dumps(self._context, ensure_ascii=False)
            out.append('{"@context":' + context + ',"@graph":')
        end = 0
        while True:
            match = _TOKEN.match(text, end)
            if match is None:  # the end, or an unfinished string: it waits for the next chunk
                break
            token = match.group()
            if token[0] == '"':
                out.append(self._string(token))
            else:
                self._structure(token)
                out.append(token)
            end = match.end()
        self._pending = text[end:]
        return "".join(out).encode("utf-8")

    def close(self) -> bytes:
        if self._pending.strip():
            raise ValueError("JSON-LD ended inside a string")
        if not self._started:
            return b'{"@context":' + json.dumps(self._context).encode() + b',"@graph":[]}'
        return b"}"

    def _structure(self, token: str) -> None:
        for ch in token:
            if ch in "{[":
                self._stack.append(ch)
                self._after = ch
            elif ch in "}]":
                if self._stack:
                    self._stack.pop()
                self._after = ch
            elif ch in ",:":
                self._after = ch

    def _string(self, token: str) -> str:
        in_object = bool(self._stack) and self._stack[-1] == "{"
        if in_object and self._after in ("{", ","):
            self._key = json.loads(token)
            self._after = "k"
            if self._key.startswith("@"):
                return token
            return json.dumps(compact_iri(self._key, self._by_length), ensure_ascii=False)
        self._after = "v"
        # A value of @id, or of @type (one string or an array of them): an IRI.
        if self._key in ("@id", "@type"):
            value = json.loads(token)
            if not value.startswith("_:"):
                return json.dumps(compact_iri(value, self._by_length), ensure_ascii=False)
        return token


def _utf8_decoder() -> Any:
    import codecs

    return codecs.getincrementaldecoder("utf-8")()


class CompactingWriter:
    """A binary writer that compacts JSON-LD on its way to `out` (anything with write(bytes))."""

    def __init__(self, out: Any, prefixes: dict[str, str]) -> None:
        self._out = out
        self._compactor = JsonLdCompactor(prefixes)

    def write(self, data: bytes) -> int:
        self._out.write(self._compactor.feed(bytes(data)))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._out.write(self._compactor.close())


def write_rdf(items: Iterable[Any], out: IO[bytes] | Any, fmt: ox.RdfFormat, prefixes: dict[str, str]) -> None:
    """Serialize triples or quads to `out`, with prefixes / a context where the format has them."""
    if fmt == ox.RdfFormat.JSON_LD:
        writer = CompactingWriter(out, prefixes)
        ox.serialize(items, writer, fmt)
        writer.close()
    elif fmt in _PREFIXED:
        ox.serialize(items, out, fmt, prefixes=prefixes)
    else:
        ox.serialize(items, out, fmt)


def rdf_bytes(items: Iterable[Any], fmt: ox.RdfFormat, prefixes: dict[str, str]) -> bytes:
    """`write_rdf` into memory."""
    import io

    buffer = io.BytesIO()
    write_rdf(items, buffer, fmt, prefixes)
    return buffer.getvalue()


def dump_store(store: ox.Store, out: str | IO[bytes], fmt: ox.RdfFormat, prefixes: dict[str, str]) -> None:
    """Dump a whole store to a file path or binary writer, prefixed or compacted as `write_rdf` does."""
    if fmt == ox.RdfFormat.JSON_LD:
        if isinstance(out, str):
            with open(out, "wb") as f:
                dump_store(store, f, fmt, prefixes)
            return
        writer = CompactingWriter(out, prefixes)
        store.dump(writer, format=fmt)
        writer.close()
    elif fmt in _PREFIXED:
        store.dump(out, format=fmt, prefixes=prefixes)
    else:
        store.dump(out, format=fmt)
