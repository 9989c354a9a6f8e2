"""/store: the SPARQL 1.1 Graph Store HTTP Protocol.

Graphs are named indirectly (`/store?graph=<iri>`, `/store?default`) or
directly (`/store/<path>` names the graph `<public url>/store/<path>`).
Reads are open and go through the query engine (worker pool, timeout, answer
cache); writes need the update token and go through the single writer.

Beyond Oxigraph's server: HEAD never carries a body (not even on 404),
multipart uploads are merged part by part, every body is parsed completely
before anything is written (a bad body writes nothing), and RDF/XML with a
DOCTYPE is refused because pyoxigraph expands internal entities.

The default graph is the union of all graphs for reading (the service
description declares sd:UnionDefaultGraph). Writes to `?default` act on the
store's own unnamed graph, which is part of that union — they never wipe
the article graphs.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..failure import Failure
from ..sparql.engine import QueryFailure
from ..sparql.formats import GRAPH_FORMATS
from ..sparql.negotiate import choose, graph_offers
from .context import AppContext
from .errors import ApiError, error_body
from .protocol import query_pairs, read_body
from .sparql import answer_response

# GSP exchanges graphs (triples): TriG would add nothing but named-graph syntax.
OFFERS = [(mt, name) for mt, name in graph_offers() if name != "trig"]

# Request bodies: media type -> parser format. text/plain is the N-Triples of old.
INPUT_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE, "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/ld+json": ox.RdfFormat.JSON_LD, "application/json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/xml": ox.RdfFormat.RDF_XML,
    "text/xml": ox.RdfFormat.RDF_XML,
}
EXTENSIONS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD, "json": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML, "owl": ox.RdfFormat.RDF_XML, "xml": ox.RdfFormat.RDF_XML,
}
MULTIPART = "multipart/form-data"
# A DOCTYPE is where entities are declared; without one, nothing can expand.
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    iri: str | None  # None: the default graph
    direct: bool

    @property
    def label(self) -> str:
        return f"<{self.iri}>" if self.iri else "the default graph"


# -- which graph ---------------------------------------------------------------

def _check_iri(iri: str, parameter: str) -> str:
    # NamedNode refuses spaces, '>' and '\'; we also insist on a scheme, so the
    # IRI can be written between <> in a query without any escaping question.
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise ApiError(400, "bad_graph_iri", f"{iri[:80]!r} is not an absolute IRI: {exc}", parameter=parameter) from None
    return iri


def target_of(request: Request) -> Target:
    ctx: AppContext = request.app.state.ctx
    pairs = query_pairs(request)
    graphs = [v for k, v in pairs if k == "graph"]
    default = any(k == "default" for k, _v in pairs)
    path = request.path_params.get("path")
    if path:
        if graphs or default:
            raise ApiError(400, "ambiguous_graph", "the URL path already names the graph; drop ?graph / ?default",
                           parameter="graph")
        raw = request.scope.get("raw_path") or request.url.path.encode()
        # The graph IRI is the request IRI itself, percent-escapes as sent.
        return Target(_check_iri(ctx.public_url(request) + raw.decode("latin-1"), "path"), True)
    if default and graphs:
        raise ApiError(400, "ambiguous_graph", "give either ?graph=<iri> or ?default, not both", parameter="graph")
    if len(graphs) > 1:
        raise ApiError(400, "multiple_values", f"exactly one graph may be given, got {len(graphs)}", parameter="graph")
    if default:
        return Target(None, False)
    if not graphs:
        if request.method == "POST":
            # GSP §5.5: a POST to the graph store itself asks the service to name a new graph. It is
            # named under /store/ (direct identification: the IRI is where it is read and written),
            # never under the base IRI's graph/, which the build owns.
            return Target(f"{ctx.public_url(request)}/store/{uuid.uuid4().hex}", True)
        raise ApiError(400, "missing_graph", "say which graph: ?graph=<absolute IRI> or ?default, or use /store/<path>",
                       parameter="graph")
    return Target(_check_iri(graphs[0], "graph"), False)


# -- request bodies --------------------------------------------------------------

def _media(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _format_for(content_type: str | None, filename: str | None, what: str) -> ox.RdfFormat:
    media = _media(content_type)
    ext = filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    # Browsers label uploads vaguely; a known extension beats a generic type.
    if ext in EXTENSIONS and media in ("", "application/octet-stream", "text/plain"):
        return EXTENSIONS[ext]
    if media in INPUT_TYPES:
        return INPUT_TYPES[media]
    if not media and ext in EXTENSIONS:
        return EXTENSIONS[ext]
    accepted = ", ".join(sorted(set(INPUT_TYPES) | {MULTIPART}))
    shown = media or "no Content-Type"
    raise ApiError(415, "unsupported_media_type", f"{what}: {shown} is not an RDF graph format; use one of {accepted}",
                   parameter="Content-Type")


def parse_rdf(data: bytes, fmt: ox.RdfFormat, base: str | None, what: str) -> list[ox.Quad]:
    """Parse a whole body into memory; nothing is written unless every part parses."""
    if fmt == ox.RdfFormat.RDF_XML:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError(400, "bad_encoding", f"{what}: RDF/XML bodies must be UTF-8", parameter="body") from None
        if _DOCTYPE.search(text):
            raise ApiError(400, "doctype_refused", f"{what}: RDF/XML with a DOCTYPE or entity declarations is refused "
                           "(entity expansion can blow a small body up to gigabytes)", parameter="body")
    if fmt == ox.RdfFormat.JSON_LD:
        _shallow_enough(data, what)
    try:
        # Fresh blank nodes per body, so merging never joins two uploads' _:b1.
        return list(ox.parse(data, fmt, base_iri=base, without_named_graphs=True, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise ApiError(400, "syntax_error", f"{what}: {exc}", parameter="body") from None
    except ValueError as exc:
        raise ApiError(400, "bad_body", f"{what}: {exc}", parameter="body") from None


def _shallow_enough(data: bytes, what: str) -> None:
    """Refuse JSON nested deeper than Python's own parser goes (its recursion limit, ~1,000 levels).

    pyoxigraph 0.5's JSON-LD parser recurses on the thread's stack and took the whole serving
    process down (SIGSEGV) on a 20,000-level body, between 2,000 and 4,000 levels in a thread
    (measured; tests/test_hostile_inputs.py). Real JSON-LD nests a few dozen levels. Syntax errors
    are left to pyoxigraph, whose message gives the position."""
    try:
        json.loads(data)
    except RecursionError:
        raise ApiError(400, "too_deep", f"{what}: the JSON-LD nests deeper than this service parses "
                       "(about 1,000 levels)", parameter="body") from None
    except ValueError:
        pass


def _parts(content_type: str, body: bytes) -> list[Message]:
    if "boundary=" not in content_type.lower():
        raise ApiError(400, "bad_multipart", "multipart/form-data without a boundary parameter", parameter="Content-Type")
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    msg = BytesParser(policy=HTTP).parsebytes(head + body)
    parts = msg.get_payload() if msg.is_multipart() else None
    if not isinstance(parts, list) or not parts:
        raise ApiError(400, "bad_multipart", "the multipart body has no parts (is the boundary right?)", parameter="body")
    return parts


def read_quads(content_type: str | None, body: bytes, base: str | None) -> list[ox.Quad]:
    if _media(content_type) != MULTIPART:
        return parse_rdf(body, _format_for(content_type, None, "body"), base, "body")
    quads: list[ox.Quad] = []
    for n, part in enumerate(_parts(content_type or "", body), start=1):
        if part.is_multipart():
            raise ApiError(400, "bad_multipart", f"part {n} is itself multipart; send files side by side",
                           parameter="body")
        name = part.get_param("name", header="content-disposition") or ""
        what = f"part {n}" + (f" ({name!s})" if name else "")
        fmt = _format_for(part.get("content-type"), part.get_filename(), what)
        data = part.get_payload(decode=True)
        quads += parse_rdf(data if isinstance(data, bytes) else b"", fmt, base, what)
    return quads


# -- writing ---------------------------------------------------------------------

def _term(t: Any) -> str:
    # str() of a pyoxigraph term is its N-Triples form, which SPARQL accepts;
    # triple terms need their RDF 1.2 brackets written out.
    if isinstance(t, ox.Triple):
        return f"<<( {_term(t.subject)} {_term(t.predicate)} {_term(t.object)} )>>"
    return str(t)


def replace_update(target: Target, quads: list[ox.Quad], replace: bool) -> str:
    """One SPARQL update, hence one transaction: a replace is never half done."""
    body = "\n".join(f"{_term(q.subject)} {_term(q.predicate)} {_term(q.object)} ." for q in quads)
    if target.iri is None:
        ops = ["DROP SILENT DEFAULT"] if replace else []
        if quads:
            ops.append(f"INSERT DATA {{\n{body}\n}}")
    else:
        g = f"<{target.iri}>"
        ops = [f"DROP SILENT GRAPH {g}"] if replace else []
        ops.append(f"CREATE SILENT GRAPH {g}")  # an empty PUT still makes the graph exist
        if quads:
            ops.append(f"INSERT DATA {{ GRAPH {g} {{\n{body}\n}} }}")
    return " ;\n".join(ops)  # empty: a POST of nothing to the default graph changes nothing


def _location(request: Request, target: Target) -> str:
    if target.direct and target.iri:
        return target.iri
    ctx: AppContext = request.app.state.ctx
    return f"{ctx.public_url(request)}/store?graph={quote(target.iri or '', safe='')}"


async def _write(request: Request, target: Target, replace: bool) -> Response:
    ctx: AppContext = request.app.state.ctx
    ctx.writes.authorize(request)
    ctx.writes.guard_graph(target.iri)
    body = await read_body(request, ctx.settings.max_body_bytes)
    base = target.iri or f"{ctx.public_url(request)}/store"
    content_type = request.headers.get("content-type")

    def prepare() -> str:
        return replace_update(target, read_quads(content_type, body, base), replace)

    # Parsing megabytes is CPU work: off the event loop, so reads carry on meanwhile.
    text = await asyncio.to_thread(prepare)
    graph = ox.NamedNode(target.iri) if target.iri else None

    def apply(store: ox.Store) -> bool:
        # Checked under the writer's lock, so 201 vs 204 is exact under concurrency.
        existed = graph is None or store.contains_named_graph(graph)
        if text:
            store.update(text)
        return existed

    existed = await _run(ctx, apply)
    if existed:
        return Response(status_code=204)
    return Response(status_code=201, headers={"Location": _location(request, target)})


async def _delete(request: Request, target: Target) -> Response:
    ctx: AppContext = request.app.state.ctx
    ctx.writes.authorize(request)
    ctx.writes.guard_graph(target.iri)

    def apply(store: ox.Store) -> bool:
        if target.iri is None:
            store.clear_graph(ox.DefaultGraph())
            return True
        graph = ox.NamedNode(target.iri)
        if not store.contains_named_graph(graph):
            return False
        store.remove_graph(graph)
        return True

    if not await _run(ctx, apply):
        raise ApiError(404, "graph_not_found", f"there is no graph {target.label}", parameter="graph")
    return Response(status_code=204)


async def _run(ctx: AppContext, apply: Any) -> Any:
    try:
        return await ctx.writes.run(apply)
    except SyntaxError as exc:
        # Terms that parsed but cannot be written back as SPARQL (should not happen).
        raise ApiError(400, "bad_body", f"body: {exc}", parameter="body") from None


# -- reading ---------------------------------------------------------------------

async def _read(request: Request, target: Target) -> Response:
    ctx: AppContext = request.app.state.ctx
    fmt = choose(request.headers.get("accept"), OFFERS)
    if fmt is None:
        offered = ", ".join(GRAPH_FORMATS[name][0] for name in dict.fromkeys(n for _m, n in OFFERS))
        raise ApiError(406, "not_acceptable", f"graphs are available as {offered}", parameter="Accept")
    if target.iri is None:
        # A graph is a set: the same triple in two named graphs appears once.
        query = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    else:
        found = await ctx.engine.trusted("ASK { GRAPH ?g {} }", {"g": ox.NamedNode(target.iri)})
        if not found:
            raise ApiError(404, "graph_not_found", f"there is no graph {target.label}", parameter="graph")
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{target.iri}> {{ ?s ?p ?o }} }}"
    try:
        answer = await ctx.engine.query(query, format_param=fmt)
    except QueryFailure as exc:
        if exc.code != "result_too_large":
            raise
        # The engine's advice (add a LIMIT) does not fit a whole-graph GET.
        raise ApiError(413, "result_too_large", f"{target.label} serializes to more than "
                       f"{ctx.settings.max_result_bytes} bytes (CLAIMGRAPH_MAX_RESULT_BYTES); page through it with "
                       "/sparql with ORDER BY and LIMIT/OFFSET", parameter="graph") from None
    return answer_response(answer)


def _headless(response: Response) -> Response:
    """HEAD: the GET answer's status and headers, and no body at all."""
    headers = {k: v for k, v in response.headers.items()}
    return Response(status_code=response.status_code, headers=headers)


async def graph_store(request: Request) -> Response:
    method = request.method
    try:
        target = target_of(request)
        if method in ("GET", "HEAD"):
            response = await _read(request, target)
        elif method == "PUT":
            response = await _write(request, target, replace=True)
        elif method == "POST":
            response = await _write(request, target, replace=False)
        elif method == "DELETE":
            response = await _delete(request, target)
        else:  # the routes table only lets the methods above through
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed on /store")
    except Failure as exc:
        if method != "HEAD":
            raise
        # Built here rather than by the shared handler so HEAD keeps GET's headers.
        response = JSONResponse(error_body(exc.status, exc.code, exc.message, exc.parameter),
                                status_code=exc.status, headers=exc.http_headers())
    return _headless(response) if method == "HEAD" else response
