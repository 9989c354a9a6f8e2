"""Linked Data: every IRI claimgraph mints dereferences here, with content negotiation.

    <base>entity/<id>, <base>article/<slug>[/sentence|claim|mention|event|policy|paragraph/<id>],
    <base>article/<slug>/text, <base>article/<slug>/author, <base>fact/<id>, <base>graph/<name>,
    <base>dataset[/linkset/<name>]   ->  <base path>… on this server (/id/… by default)
    https://w3id.org/claimgraph/ontology        ->  /ontology
    https://w3id.org/claimgraph/ontology#Term   ->  /ontology/Term   (and /ontology#Term in the page)

Request paths map to IRIs through the configured base's path, so a deployment
that mints under its own domain (CLAIMGRAPH_BASE_IRI) serves its IRIs as they
are. Browsers get HTML; Accept: text/turtle, application/ld+json or
application/n-triples (or a .ttl / .jsonld / .nt / .html suffix) get RDF.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ..namespaces import CG, ONTOLOGY_IRI
from ..sparql.negotiate import choose
from .context import AppContext
from .errors import ApiError
from .rest import describe as rdf
from .rest import records
from .rest.common import CachedRoute, addresses
from .rest.entities import entity_item
from .rest.envelope import CONTEXT_PATH
from .rest.queries import CLAIMS_IN_SENTENCE, MENTIONS_IN_SENTENCE
from .rest.views import PREFIX_BLOCK, RDF_TYPE, NodeView, compact, load_views, local_name

SUFFIXES = {".ttl": "turtle", ".jsonld": "jsonld", ".nt": "ntriples", ".html": "html"}
MEDIA = {"html": "text/html; charset=utf-8", "turtle": "text/turtle; charset=utf-8",
         "jsonld": "application/ld+json", "ntriples": "application/n-triples; charset=utf-8"}
OFFERS = [("text/html", "html"), ("application/xhtml+xml", "html"), ("text/turtle", "turtle"),
          ("application/ld+json", "jsonld"), ("application/n-triples", "ntriples"),
          ("application/x-turtle", "turtle"), ("application/json", "jsonld"), ("text/plain", "ntriples")]
SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}"
LOCAL = re.compile(rf"^(entity|article|fact|graph|dataset)(/{SEGMENT})*$")
TERM = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")
ONTOLOGY_TERMS = PREFIX_BLOCK + """
SELECT ?g ?term ?kind ?label ?definition WHERE { GRAPH ?g {
  ?term a ?kind ; rdfs:label ?label .
  OPTIONAL { ?term skos:definition ?definition }
  FILTER(STRSTARTS(STR(?term), "https://w3id.org/claimgraph/ontology#"))
  FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty, owl:NamedIndividual, skos:ConceptScheme))
} } ORDER BY ?kind ?term LIMIT 2000
"""
ONTOLOGY_TERM = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10000"


def _split_suffix(path: str) -> tuple[str, str | None]:
    for suffix, fmt in SUFFIXES.items():
        if path.endswith(suffix):
            return path[: -len(suffix)], fmt
    return path, None


def _negotiate(request: Request, forced: str | None) -> str:
    if forced:
        return forced
    fmt = choose(request.headers.get("accept"), OFFERS)
    if fmt is None:
        raise ApiError(406, "not_acceptable", "this resource is available as text/html, text/turtle, "
                       "application/ld+json and application/n-triples (or add .html/.ttl/.jsonld/.nt)",
                       parameter="Accept")
    return fmt


class LinkedData:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self.addr = addresses(ctx)
        self.pages = ctx.html(self.addr)

    # -- answering ---------------------------------------------------------------------------

    @staticmethod
    def headers(doc_path: str, truncated: bool = False) -> tuple[dict[str, str], dict[str, str]]:
        """Response headers (Vary, Link to every alternate form) and the alternates by format."""
        alternates = {f: f"{doc_path}{s}" for s, f in SUFFIXES.items()}
        link = ", ".join(f'<{alternates[f]}>; rel="alternate"; type="{MEDIA[f].split(";")[0]}"' for f in MEDIA)
        headers = {"Vary": "Accept", "Link": link}
        if truncated:
            headers["X-Truncated"] = "true"
        return headers, alternates

    def rdf(self, request: Request, fmt: str, triples: list[ox.Triple], headers: dict[str, str]) -> Response:
        if fmt == "turtle":
            return Response(rdf.to_turtle(triples), media_type=MEDIA[fmt], headers=headers)
        if fmt == "ntriples":
            return Response(rdf.to_ntriples(triples), media_type=MEDIA[fmt], headers=headers)
        context = self.ctx.public_url(request) + CONTEXT_PATH
        return JSONResponse(rdf.to_jsonld(triples, context), media_type=MEDIA["jsonld"], headers=headers)

    def handler(self, first: str) -> Any:
        """The route handler for IRIs under <base><first>…; `rest` is the remainder of the path."""
        sep = "" if first == "dataset" else "/"

        async def dereference(request: Request, rest: str) -> Response:
            return await self.dereference(request, f"{first}{sep}{rest}")

        dereference.__name__ = f"dereference_{first}"
        return dereference

    async def dereference(self, request: Request, path: str) -> Response:
        base_path = self.addr.base_path
        local, forced = _split_suffix(path)
        if not LOCAL.match(local):
            raise ApiError(404, "not_found", f"nothing at {request.url.path}: not an IRI this service mints")
        fmt = _negotiate(request, forced)
        iri = self.ctx.mint.base + local
        is_graph = local.startswith("graph/")
        engine = self.ctx.engine
        triples, truncated = await asyncio.to_thread(rdf.describe, engine, iri, self.ctx.mint.base, is_graph)
        if not triples and not (is_graph and await asyncio.to_thread(rdf.graph_exists, engine, iri)):
            raise ApiError(404, "not_found", f"{iri} is not in the graph")
        headers, alternates = self.headers(base_path + local, truncated)
        if fmt != "html":
            return self.rdf(request, fmt, triples, headers)
        page = await asyncio.to_thread(self._page, iri, triples, alternates, truncated)
        return self.pages.render("resource.html", headers=headers, **page)

    # -- the HTML page's data ---------------------------------------------------------------------

    def _page(self, iri: str, triples: list[ox.Triple], alternates: dict[str, str], truncated: bool) -> dict[str, Any]:
        engine = self.ctx.engine
        view = load_views(engine, [iri])[0]
        labels = {o.value: o.label for _p, o in view.triples() if o.label}
        subjects: dict[str, list[dict[str, Any]]] = {}
        for t in triples[:3000]:  # a page stays readable; the RDF formats carry everything
            subjects.setdefault(str(t.subject.value), []).append(self._cell(t, labels))
        panel = self._panel(iri, view)
        return {"iri": iri, "title": panel.get("title") or view.label() or local_name(iri),
                "types": [t for t in view.types()], "subjects": subjects, "alternates": alternates,
                "incoming": rdf.incoming(engine, iri), "panel": panel, "truncated": truncated,
                "shown": min(len(triples), 3000), "total": len(triples)}

    def _cell(self, t: ox.Triple, labels: dict[str, str]) -> dict[str, Any]:
        o = t.object
        cell: dict[str, Any] = {"p": t.predicate.value, "p_short": compact(t.predicate.value)}
        if isinstance(o, ox.NamedNode):
            cell.update(kind="iri", value=o.value, label=labels.get(o.value) or compact(o.value))
        elif isinstance(o, ox.BlankNode):
            cell.update(kind="blank", value=f"_:{o.value}")
        else:
            cell.update(kind="literal", value=o.value, lang=o.language,
                        datatype=compact(o.datatype.value) if o.datatype and not o.language else None)
        return cell

    def _panel(self, iri: str, view: NodeView) -> dict[str, Any]:
        """What a reader wants first, above the triples: depends on what the IRI is."""
        parts, addr, engine = self.addr.parts(iri), self.addr, self.ctx.engine
        types = view.types()
        if str(CG.Claim) in types:
            claim = records.claim_row(view, addr)
            s, spans = claim.get("sentence") or {}, []
            if "begin" in s:
                q, h = claim.get("quote") or {}, claim.get("hedge") or {}
                if q:
                    spans.append((q["begin"] - s["begin"], q["end"] - s["begin"], "quote"))
                if h:
                    spans.append((h["begin"] - s["begin"], h["end"] - s["begin"], "hedge"))
            return {"kind": "claim", "claim": claim, "spans": spans, "sentence": s,
                    "title": f"Claim {addr.short(iri)}"}
        if len(parts) == 2 and parts[0] == "entity" and view.one(str(CG.registerId)) is not None:
            return {"kind": "entity", "entity": entity_item(self.ctx, iri)}
        if str(CG.Sentence) in types:
            row = records.sentence_row(view, addr)
            mentions = engine.run_trusted(MENTIONS_IN_SENTENCE, {"sentence": ox.NamedNode(iri)})
            rows = [records.mention_row(r, addr) for r in mentions]
            spans = [(m["begin"] - row["begin"], m["end"] - row["begin"], "mention") for m in rows
                     if "begin" in m and "begin" in row]
            claims = [r["claim"].value for r in engine.run_trusted(CLAIMS_IN_SENTENCE, {"sentence": ox.NamedNode(iri)})]
            return {"kind": "sentence", "sentence": row, "mentions": rows, "spans": spans,
                    "claims": [records.claim_row(v, addr) for v in load_views(engine, claims[:200])],
                    "title": f"Sentence {row.get('position', '')}"}
        if str(CG.Article) in types:
            return {"kind": "article", "article": records.article_row(view, addr)}
        return {}

    # -- the ontology --------------------------------------------------------------------------------

    async def ontology(self, request: Request, rest: str) -> Response:
        rest, forced = _split_suffix(rest)
        term = rest[1:] if rest.startswith("/") else rest
        if rest and (not rest.startswith("/") or not TERM.match(term)):
            raise ApiError(404, "not_found", f"nothing at {request.url.path}; ontology terms live at /ontology/<Term>")
        fmt = _negotiate(request, forced)
        graph = ox.NamedNode(self.ctx.mint.graph("ontology"))
        engine = self.ctx.engine
        iri = f"{CG}{term}" if term else ONTOLOGY_IRI
        if term:
            result = await engine.trusted(ONTOLOGY_TERM, {"s": ox.NamedNode(iri), "g": graph})
        else:
            result = await engine.trusted(rdf.GRAPH_CONTENT, {"g": graph})
        triples = sorted({str(t): t for t in result}.values(), key=lambda t: (str(t.subject), str(t.predicate),
                                                                               str(t.object)))
        if not triples:
            raise ApiError(404, "not_found", f"the ontology has no term {term!r} (see /ontology)")
        headers, alternates = self.headers("/ontology" + (f"/{term}" if term else ""))
        if fmt != "html":
            return self.rdf(request, fmt, triples, headers)
        if term:
            page = await asyncio.to_thread(self._term_page, iri, triples, alternates)
            return self.pages.render("resource.html", headers=headers, **page)
        rows = await engine.trusted(ONTOLOGY_TERMS, {"g": graph})
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(local_name(r["kind"].value), []).append({
                "term": r["term"].value, "name": local_name(r["term"].value), "label": r["label"].value,
                "definition": r["definition"].value if r["definition"] else ""})
        return self.pages.render("ontology.html", headers=headers, groups=groups, alternates=alternates,
                                 iri=ONTOLOGY_IRI, namespace=str(CG), total=len(triples))

    def _term_page(self, iri: str, triples: list[ox.Triple], alternates: dict[str, str]) -> dict[str, Any]:
        labels = {}
        for t in triples:
            if t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#label":
                labels[t.subject.value] = t.object.value
        subjects: dict[str, list[dict[str, Any]]] = {}
        for t in triples:
            subjects.setdefault(t.subject.value, []).append(self._cell(t, labels))
        types = [t.object.value for t in triples if t.predicate.value == RDF_TYPE and t.subject.value == iri]
        return {"iri": iri, "title": labels.get(iri) or local_name(iri), "types": types, "subjects": subjects,
                "alternates": alternates, "incoming": rdf.incoming(self.ctx.engine, iri), "panel": {},
                "truncated": False, "shown": len(triples), "total": len(triples)}


def build_router(app: FastAPI) -> APIRouter:
    """Routes under the configured base's path (known only from the deployment's settings)."""
    ctx: AppContext = app.state.ctx
    ld = LinkedData(ctx)
    base_path = ld.addr.base_path
    router = APIRouter(tags=["Linked Data"], route_class=CachedRoute)

    def route(path: str, handler: Any, name: str, summary: str) -> None:
        # GET is documented; HEAD (same answer, no body) is a separate, undocumented route so every
        # OpenAPI operation keeps a unique operationId.
        router.add_api_route(path, handler, methods=["GET"], name=name, summary=summary)
        router.add_api_route(path, handler, methods=["HEAD"], name=f"{name}_head", include_in_schema=False)

    for first in ("entity", "article", "graph", "fact"):
        route(f"{base_path}{first}/{{rest:path}}", ld.handler(first), f"ld_{first}",
              f"Dereference a minted {first} IRI (HTML, Turtle, JSON-LD, N-Triples by Accept or suffix)")
    route(f"{base_path}dataset{{rest:path}}", ld.handler("dataset"), "ld_dataset",
          "The VoID description of the dataset and its linksets")
    route("/ontology{rest:path}", ld.ontology, "ld_ontology",
          "The ontology (/ontology) and each of its terms (/ontology/<Term>)")

    context_file = Path(ctx.settings.ontology_dir) / "context.jsonld"

    async def jsonld_context(request: Request) -> Response:
        if not context_file.exists():
            raise ApiError(404, "not_found", "the JSON-LD context file is missing from the ontology folder")
        return FileResponse(context_file, media_type="application/ld+json",
                            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=3600"})

    route(CONTEXT_PATH, jsonld_context, "jsonld_context",
          "The JSON-LD @context of the REST API and the Linked Data (ontology/context.jsonld)")
    return router
