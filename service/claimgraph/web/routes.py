"""The web app's pages: home, search, the annotated reader, entity pages, compare, the SPARQL
editor and the API docs; and /static, where every script and style they load lives.

The pages read the store through data.py (the REST API's query layer) and render server-side, so
reading works with JavaScript off; the scripts under static/ only enhance. Vendored libraries
(static/vendor/, fetched at setup by vendor.py) load only on the page that needs them.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..api.context import AppContext
from ..api.errors import ApiError
from .pages import Pages
from ..api.rest import describe as rdf
from ..api.rest.common import addresses, unknown_entity
from ..api.rest.search import _index, _row
from ..namespaces import PREFIXES
from . import data, marks
from .annotations import web_annotations
from .graph import neighbourhood
from .timeline import timeline

STATIC = Path(__file__).resolve().parent / "static"
FILTERS = ("entity", "topic", "kind", "stance", "voice", "hedged")
WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def _filters(request: Request) -> dict[str, str]:
    """The reader's filters from the query string; a malformed value is a 422 that names it."""
    out = {}
    for name in (*FILTERS, "claim"):
        value = request.query_params.get(name)
        if value:
            if not WORD.match(value):
                raise ApiError(422, "invalid_parameter", f"{name}: {value!r} is not an id, kind or word "
                               "(letters, digits, - and _)", parameter=name)
            out[name] = value
    return out


def claim_sparql(iri: str) -> str:
    return f"# Every triple of one claim\nSELECT ?p ?o WHERE {{\n  <{iri}> ?p ?o\n}}\nORDER BY ?p ?o"


class Web:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self.addr = addresses(ctx)
        self.pages = Pages(self.addr)
        self.pages.env.globals.update(entity_page=self.entity_page, editor_link=self.editor_link,
                                      short_entity=data.short_entity)

    def entity_page(self, iri: str) -> str:
        rid = data.short_entity(iri)
        return f"/entity/{rid}" if rid and iri == self.ctx.mint.entity(rid) else self.pages.link(iri)

    @staticmethod
    def editor_link(sparql: str) -> str:
        return "/editor?" + urlencode({"query": sparql}, quote_via=quote)

    # -- pages ---------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        page = await data.home(self.ctx)
        return self.pages.render("home.html", title="Who claims what", **page,
                                 dataset=self.pages.link(self.ctx.mint.dataset))

    async def search(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").strip()
        if len(q) > 200:
            raise ApiError(422, "invalid_parameter", "q: at most 200 characters", parameter="q")
        rows: list[dict[str, Any]] = []
        if q:
            index = await asyncio.to_thread(_index, self.ctx)
            rows = [_row(h, self.addr) for h in (await asyncio.to_thread(index.search, q, None))[:50]]
        return self.pages.render("search.html", title=f"Search: {q}" if q else "Search", q=q, rows=rows)

    async def reader(self, request: Request, slug: str) -> Response:
        if not WORD.match(slug):
            raise ApiError(404, "not_found", f"there is no article {slug!r} (see /)", parameter="slug")
        f = _filters(request)
        page = await data.reader(self.ctx, slug)
        if page is None:
            raise ApiError(404, "not_found", f"there is no article {slug!r} (see /)", parameter="slug")
        claims = page["claims"]
        on = {c["short"] for c in claims if marks.matches(c, f)}
        spans = marks.spans_of(claims, page["mentions"], on, f.get("entity"))
        text = page["text"]
        selected = next((c for c in claims if c["short"] == f.get("claim")), None)
        return self.pages.render(
            "reader.html", title=page["article"].get("headline") or slug, slug=slug, article=page["article"],
            marked=marks.render(text, spans), claims=claims, on=on, length=max(1, len(text)), filters=f,
            facets=data.facets(claims, page["mentions"]), selected=selected, claim_sparql=claim_sparql,
            mentions=len(page["mentions"]))

    async def annotations(self, request: Request, slug: str) -> Response:
        page = await data.reader(self.ctx, slug) if WORD.match(slug) else None
        if page is None:
            raise ApiError(404, "not_found", f"there is no article {slug!r} (see /)", parameter="slug")
        body = web_annotations(self.ctx, slug, page, str(request.base_url).rstrip("/"))
        return JSONResponse(body, media_type='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"')

    async def entity(self, request: Request, entity_id: str) -> Response:
        page = await data.entity(self.ctx, entity_id) if WORD.match(entity_id) else None
        if page is None:
            raise await unknown_entity(self.ctx, entity_id, "entity_id")
        iri = self.ctx.mint.entity(entity_id)
        incoming = await asyncio.to_thread(rdf.incoming, self.ctx.engine, iri)
        co = await self._co_mentioned(entity_id)
        sparql = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}\n# and what points at it:\n# SELECT ?s ?p WHERE {{ ?s ?p <{iri}> }}"
        return self.pages.render("entity.html", title=page["entity"].get("label") or entity_id, rid=entity_id,
                                 iri=iri, **page, incoming=incoming, co=co, sparql=sparql,
                                 ld=self.pages.link(iri), facets=_claim_facets(page["made"] + page["about"]))

    async def graph(self, request: Request, entity_id: str) -> Response:
        page = await data.entity(self.ctx, entity_id) if WORD.match(entity_id) else None
        if page is None:
            raise await unknown_entity(self.ctx, entity_id, "entity_id")
        return JSONResponse(neighbourhood(page, entity_id))

    async def _co_mentioned(self, entity_id: str) -> list[dict[str, Any]]:
        """The named query co-mentioned.rq, as /api/queries/co-mentioned answers it."""
        q = self.ctx.extras.get("named_queries", {}).get("co-mentioned")
        if q is None:
            return []
        rows = await self.ctx.engine.trusted(q.sparql, q.bindings({"entity": entity_id}, self.ctx.mint))
        return [{"id": r["other"].value, "label": r["otherLabel"].value if r["otherLabel"] else None,
                 "n": int(r["sentences"].value)} for r in rows][:50]

    async def compare(self, request: Request) -> Response:
        rid = request.query_params.get("entity") or ""
        home = await data.home(self.ctx)
        groups: list[dict[str, Any]] = []
        label = rid
        if rid:
            page = await data.entity(self.ctx, rid, data.MAX_ITEMS) if WORD.match(rid) else None
            if page is None:
                raise await unknown_entity(self.ctx, rid, "entity", prefix="entity: ")
            label = page["entity"].get("label") or rid
            groups = _by_claimant(page["about"])
        return self.pages.render("compare.html", title=f"Compare: {label}" if rid else "Compare", rid=rid,
                                 label=label, groups=groups, articles=home["articles"])

    async def timeline(self, request: Request) -> Response:
        return self.pages.render("timeline.html", title="Timeline", **await timeline(self.ctx))

    async def editor(self, request: Request) -> Response:
        queries = self.ctx.extras.get("named_queries", {})
        from ..api.named_queries import describe

        rows = [describe(q, self.ctx) for q in queries.values()]
        examples = [{"name": r["name"], "title": r["title"], "query": r["example_sparql"]} for r in rows]
        return self.pages.render("editor.html", title="SPARQL editor", queries=rows,
                                 examples_json=json.dumps(examples), prefixes_json=json.dumps(PREFIXES))

    async def docs(self, request: Request) -> Response:
        return self.pages.render("docs.html", title="API docs")


FACET_VALUES = 12


def _claim_facets(claims: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    seen: dict[str, dict[str, Any]] = {c["id"]: c for c in claims}
    out: dict[str, dict[str, int]] = {k: {} for k in ("claimant", "stance", "kind", "voice", "hedged", "article")}
    for c in seen.values():
        for facet, value in (("claimant", (c.get("claimant") or {}).get("label")), ("stance", c.get("stance")),
                             ("kind", c.get("kind")), ("voice", c["voice"]),
                             ("hedged", "hedged" if c.get("hedged") else "not hedged"),
                             ("article", (c.get("article") or {}).get("id", "").rsplit("/", 1)[-1])):
            if value:
                out[facet][value] = out[facet].get(value, 0) + 1
    # The most frequent values of each facet: at 1,000 articles every article's author is a claimant.
    return {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_VALUES] for k, v in out.items() if v}


def _by_claimant(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claims about one entity grouped by claimant, then stance: who says what, across articles."""
    groups: dict[str, dict[str, Any]] = {}
    for c in claims:
        who = c.get("claimant") or {"id": "", "label": "(no claimant recorded)"}
        g = groups.setdefault(who["id"], {"claimant": who, "stances": {}, "articles": set(), "n": 0})
        g["stances"].setdefault(c.get("stance") or "unstated", []).append(c)
        g["articles"].add((c.get("article") or {}).get("id", ""))
        g["n"] += 1
    return sorted(groups.values(), key=lambda g: (-g["n"], str(g["claimant"].get("label", "")).lower()))


def build_router(app: FastAPI) -> APIRouter:
    ctx: AppContext = app.state.ctx
    web = Web(ctx)
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", web.home, methods=["GET"], name="page_home")
    router.add_api_route("/search", web.search, methods=["GET"], name="page_search")
    router.add_api_route("/read/{slug}", web.reader, methods=["GET"], name="page_reader")
    router.add_api_route("/read/{slug}/annotations.jsonld", web.annotations, methods=["GET"], name="page_annotations")
    router.add_api_route("/entity/{entity_id}", web.entity, methods=["GET"], name="page_entity")
    router.add_api_route("/entity/{entity_id}/graph.json", web.graph, methods=["GET"], name="page_entity_graph")
    router.add_api_route("/compare", web.compare, methods=["GET"], name="page_compare")
    router.add_api_route("/timeline", web.timeline, methods=["GET"], name="page_timeline")
    router.add_api_route("/editor", web.editor, methods=["GET"], name="page_editor")
    router.add_api_route("/docs", web.docs, methods=["GET"], name="page_docs")
    return router


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(STATIC), check_dir=False), name="static")


__all__ = ["build_router", "mount_static", "claim_sparql"]
