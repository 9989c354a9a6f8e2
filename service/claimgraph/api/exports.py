"""Exports for other tools: checksummed dumps with a VoID/DCAT description, a
schema.org view of every claim (as ClaimReview/ClaimsKG consumers read it),
and the source context as its own graph.

/dumps/                      VoID + DCAT description: one dcat:Distribution per dump,
                             with dcat:byteSize and spdx:checksum (SHA-256)
/dumps/claimgraph.{trig,nq,jsonld}   the whole dataset, named graphs included
/exports/claims.jsonld       every claim as schema:Claim (?article=<slug> narrows)
/exports/claims/{article}/{claim}.jsonld   one claim
/exports/source-context      sourced statements: about publishers, and behind the register's world facts

Dumps are written once per store version to a cache directory and served
as files, so the checksum published is the checksum of the bytes served.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ..namespaces import CG, DCAT, NIF, PREFIXES, SCHEMA
from ..sparql.formats import GRAPH_FORMATS
from ..sparql.negotiate import choose, format_from_param, graph_offers
from ..sparql.rdf_writer import dump_store, rdf_bytes
from .context import AppContext
from .description import serialize_graph
from .errors import ApiError
from .routing import add_route

SPDX = "http://spdx.org/rdf/terms#"
IANA = "https://www.iana.org/assignments/media-types/"
# file name -> (title, media type, pyoxigraph format)
DUMPS: dict[str, tuple[str, str, ox.RdfFormat]] = {
    "claimgraph.nq": ("N-Quads", "application/n-quads", ox.RdfFormat.N_QUADS),
    "claimgraph.trig": ("TriG", "application/trig", ox.RdfFormat.TRIG),
    "claimgraph.jsonld": ("JSON-LD", "application/ld+json", ox.RdfFormat.JSON_LD),
}
KEEP_VERSIONS = 4
STALE_AFTER_S = 900.0


def _ctx(request: Request) -> AppContext:
    return request.app.state.ctx


# -- dumps -----------------------------------------------------------------------------------

def _cache_root() -> Path:
    return Path(tempfile.gettempdir()) / f"claimgraph-dumps-{os.getuid()}"


def _version_key(store_dir: Path, generation: int) -> str:
    if not isinstance(store_dir, Path):  # a remote backend's state version (store/remote_locator.py)
        return hashlib.sha256(f"{store_dir}|{generation}".encode()).hexdigest()[:20]
    # The directory's mtime moves when a writer adds files to it, so an in-place update is a new key.
    stamp = store_dir.stat().st_mtime_ns
    return hashlib.sha256(f"{store_dir.resolve()}|{stamp}|{generation}".encode()).hexdigest()[:20]


def _write_dumps(store_dir: Path, target: Path, remote: Any = None) -> dict[str, dict[str, Any]]:
    """Dump every format into target/ (atomically) and return {name: {bytes, sha256}}. With a remote
    backend the named graphs are first read from the server into memory, once per state version."""
    if remote is not None:
        store = ox.Store()
        remote.copy_into(store, store_dir.name)
    else:
        store = ox.Store.read_only(str(store_dir))
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
    try:
        for name, (_title, _media, fmt) in DUMPS.items():
            dump_store(store, str(tmp / name), fmt, PREFIXES)
        try:
            tmp.rename(target)
        except OSError:
            if not all((target / n).is_file() for n in DUMPS):
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process finished first: same store, same bytes
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _describe_files(target)


def _describe_files(folder: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for name in DUMPS:
        h = hashlib.sha256()
        with open(folder / name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        out[name] = {"bytes": (folder / name).stat().st_size, "sha256": h.hexdigest(), "path": folder / name}
    return out


def _prune(root: Path, keep: Path) -> None:
    """Drop dumps of old versions, but only once stale: another server may still serve them."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    partial = [p for p in root.iterdir() if p.name.startswith(".partial-")]  # left by a killed process
    for old in folders[KEEP_VERSIONS:] + partial:
        if old != keep and time.time() - old.stat().st_mtime > STALE_AFTER_S:
            shutil.rmtree(old, ignore_errors=True)


async def dumps_for(ctx: AppContext) -> dict[str, dict[str, Any]]:
    """The dumps of the live store version, written on first use and kept per version."""
    store_dir = ctx.engine.locator.current()
    key = _version_key(store_dir, ctx.engine.generation)
    memo = ctx.extras.get("exports.dumps")
    if memo and memo[0] == key and all(f["path"].is_file() for f in memo[1].values()):
        return memo[1]
    async with ctx.extras.setdefault("exports.lock", asyncio.Lock()):
        memo = ctx.extras.get("exports.dumps")
        if memo and memo[0] == key and all(f["path"].is_file() for f in memo[1].values()):
            return memo[1]
        root = _cache_root()
        root.mkdir(parents=True, exist_ok=True)
        target = root / key
        if all((target / n).is_file() for n in DUMPS):
            files = await asyncio.to_thread(_describe_files, target)
        else:
            files = await asyncio.to_thread(_write_dumps, store_dir, target, ctx.engine.remote)
            await asyncio.to_thread(_prune, root, target)
        ctx.extras["exports.dumps"] = (key, files)
    return files


def description_graph(base_url: str, dataset: str, files: dict[str, dict[str, Any]], void: list[Any]) -> Graph:
    """The stored VoID of the dataset plus its distributions, each with size and SHA-256."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("dcat", str(DCAT))
    g.bind("spdx", SPDX)
    for t in void:  # pyoxigraph triples from graph/dataset
        g.add(tuple(_rdflib(term) for term in (t.subject, t.predicate, t.object)))
    d = URIRef(dataset)
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, VOID.sparqlEndpoint, URIRef(f"{base_url}/sparql")))
    service = BNode()
    g.add((d, DCAT.accessService, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, URIRef(f"{base_url}/sparql")))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    for name, info in files.items():
        title, media, _fmt = DUMPS[name]
        url = URIRef(f"{base_url}/dumps/{name}")
        g.add((d, VOID.dataDump, url))
        g.add((d, DCAT.distribution, url))
        g.add((url, RDF.type, DCAT.Distribution))
        g.add((url, DCTERMS.title, Literal(f"claimgraph dataset, all named graphs ({title})", lang="en")))
        g.add((url, DCAT.downloadURL, url))
        g.add((url, DCAT.accessURL, url))
        g.add((url, DCAT.mediaType, URIRef(IANA + media)))
        g.add((url, DCTERMS["format"], Literal(media)))
        g.add((url, DCAT.byteSize, Literal(info["bytes"], datatype=XSD.nonNegativeInteger)))
        checksum = BNode()
        g.add((url, URIRef(SPDX + "checksum"), checksum))
        g.add((checksum, RDF.type, URIRef(SPDX + "Checksum")))
        g.add((checksum, URIRef(SPDX + "algorithm"), URIRef(SPDX + "checksumAlgorithm_sha256")))
        g.add((checksum, URIRef(SPDX + "checksumValue"), Literal(info["sha256"], datatype=XSD.hexBinary)))
    return g


def _rdflib(term: Any) -> Any:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _iri(value: str) -> str:
    """<value> for a SPARQL text, after pyoxigraph has checked it is an IRI (no '>', spaces, NUL)."""
    return f"<{ox.NamedNode(value).value}>"


def _graph_format(request: Request) -> str:
    param = request.query_params.get("format")
    if param:
        name = format_from_param(param, graph=True)
        if name is None:
            raise ApiError(400, "bad_format", f"format={param!r} is not an RDF format; use one of "
                           + ", ".join(GRAPH_FORMATS), parameter="format")
        return name
    name = choose(request.headers.get("accept"), graph_offers())
    if name is None:
        raise ApiError(406, "not_acceptable", "this is RDF; accept one of "
                       + ", ".join(mt for mt, _f in GRAPH_FORMATS.values()), parameter="Accept")
    return name


async def dumps_index(request: Request) -> Response:
    ctx = _ctx(request)
    fmt = _graph_format(request)
    files = await dumps_for(ctx)
    void = await ctx.engine.trusted(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(ctx.mint.graph('dataset'))} "
                                    "{ ?s ?p ?o } }")
    g = description_graph(ctx.public_url(request), ctx.mint.dataset, files, void)
    return Response(serialize_graph(g, fmt), media_type=GRAPH_FORMATS[fmt][0], headers={"Vary": "Accept"})


async def dump_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in DUMPS:
        raise ApiError(404, "not_found", f"no dump named {name!r}; dumps are " + ", ".join(DUMPS), parameter="name")
    info = (await dumps_for(_ctx(request)))[name]
    # Weak: the GZip middleware may re-encode the bytes; the SHA-256 is of the file as published.
    headers = {"ETag": f"W/\"{info['sha256']}\"", "Content-Disposition": f"attachment; filename=\"{name}\""}
    return FileResponse(info["path"], media_type=DUMPS[name][1], headers=headers)


# -- schema.org claims -------------------------------------------------------------------------

Q_CLAIMS = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
SELECT ?claim ?article ?quote ?kind ?stance ?attribution ?claimant ?paraphrase ?cue ?hedge WHERE {
  ?claim a cg:Claim ; schema:appearance ?article ; cg:quote/nif:anchorOf ?quote ; cg:claimKind ?kind ;
         cg:stance ?stance ; cg:attribution ?attribution ; cg:claimant ?claimant .
  OPTIONAL { ?claim cg:paraphrase ?paraphrase }
  OPTIONAL { ?claim cg:hedgeCue ?cue . ?cue nif:anchorOf ?hedge }
}"""
Q_CLAIM_LINKS = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
SELECT ?claim ?p ?o WHERE { ?claim a cg:Claim ; ?p ?o . VALUES ?p { cg:about cg:topic cg:stanceToward } }"""
Q_ARTICLES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX schema: <https://schema.org/>
SELECT ?article ?type ?headline ?url ?date ?lang ?publisher WHERE {
  ?article a cg:Article ; a ?type ; schema:headline ?headline .
  FILTER(STRSTARTS(STR(?type), "https://schema.org/"))
  OPTIONAL { ?article schema:url ?url } OPTIONAL { ?article schema:datePublished ?date }
  OPTIONAL { ?article schema:inLanguage ?lang } OPTIONAL { ?article schema:publisher ?publisher }
}"""
Q_AGENTS = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?e ?name ?etype ?same WHERE {
  ?e rdfs:label ?name .
  { ?e cg:entityType ?etype } UNION { ?c cg:claimant ?e FILTER NOT EXISTS { ?e cg:entityType ?any } }
  OPTIONAL { ?e owl:sameAs ?same }
}"""
SCHEMA_TYPE = {"State": "Country", "Organization": "Organization", "Person": "Person",
               "MediaOutlet": "NewsMediaOrganization", "Place": "Place", "Event": "Event"}
CONTEXT = {
    "@vocab": str(SCHEMA), "cg": str(CG), "nif": str(NIF),
    "sameAs": {"@type": "@id"}, "url": {"@type": "@id"},
    "cg:stance": {"@type": "@id"}, "cg:attribution": {"@type": "@id"},
}


def _v(term: Any) -> str | None:
    return term.value if term is not None else None


async def claims_view(ctx: AppContext) -> list[dict[str, Any]]:
    """Every claim as a schema:Claim node with its appearance, author and subjects embedded."""
    claims, links, articles, agents = [await ctx.engine.trusted(q) for q in (Q_CLAIMS, Q_CLAIM_LINKS, Q_ARTICLES, Q_AGENTS)]
    things: dict[str, dict[str, Any]] = {}
    for r in agents:
        node = things.setdefault(_v(r["e"]), {"@id": _v(r["e"]), "@type": SCHEMA_TYPE.get(_v(r["etype"]) or "", "Thing"),
                                             "name": _v(r["name"])})
        if r["same"] is not None:
            node.setdefault("sameAs", [])
            if _v(r["same"]) not in node["sameAs"]:
                node["sameAs"].append(_v(r["same"]))
    works: dict[str, dict[str, Any]] = {}
    for r in articles:
        a = _v(r["article"])
        work = works.setdefault(a, {"@id": a, "@type": [], "headline": _v(r["headline"])})
        if _v(r["type"]).removeprefix(str(SCHEMA)) not in work["@type"]:
            work["@type"].append(_v(r["type"]).removeprefix(str(SCHEMA)))
        for key in ("url", "date", "lang"):
            if r[key] is not None:
                work[{"date": "datePublished", "lang": "inLanguage"}.get(key, key)] = _v(r[key])
        if r["publisher"] is not None:
            work["publisher"] = things.get(_v(r["publisher"]), {"@id": _v(r["publisher"])})
    related: dict[str, dict[str, list[str]]] = {}
    for r in links:
        related.setdefault(_v(r["claim"]), {}).setdefault(_v(r["p"]).rsplit("#", 1)[-1], []).append(_v(r["o"]))
    # One row per hedge cue: a claim with several cues comes back once per cue.
    cues: dict[str, list[dict[str, Any]]] = {}
    first: dict[str, Any] = {}
    for r in claims:
        c = _v(r["claim"])
        first.setdefault(c, r)
        if r["cue"] is not None and all(x["@id"] != _v(r["cue"]) for x in cues.setdefault(c, [])):
            cues[c].append({"@id": _v(r["cue"]), "nif:anchorOf": _v(r["hedge"])})
    out = []
    for r in first.values():
        c, a = _v(r["claim"]), _v(r["article"])
        work = works.get(a, {"@id": a})
        rel = related.get(c, {})
        node: dict[str, Any] = {
            "@id": c, "@type": "Claim", "text": _v(r["quote"]),
            "appearance": work, "firstAppearance": {"@id": a},
            "author": things.get(_v(r["claimant"]), {"@id": _v(r["claimant"])}),
            "about": [things.get(x, {"@id": x}) for x in sorted(rel.get("about", []))],
            "cg:claimKind": _v(r["kind"]), "cg:stance": _v(r["stance"]), "cg:attribution": _v(r["attribution"]),
        }
        if "datePublished" in work:
            node["datePublished"] = work["datePublished"]
        if "inLanguage" in work:
            node["inLanguage"] = work["inLanguage"]
        topics = [things[x]["name"] for x in sorted(rel.get("topic", [])) if x in things]
        if topics:
            node["keywords"] = topics
        if r["paraphrase"] is not None:
            node["cg:paraphrase"] = _v(r["paraphrase"])
        node["cg:hedged"] = bool(cues.get(c))
        if cues.get(c):
            found = sorted(cues[c], key=lambda x: x["@id"])
            node["cg:hedgeCue"] = found[0] if len(found) == 1 else found
        out.append(node)
    out.sort(key=lambda n: n["@id"])
    return out


JSONLD = "application/ld+json"


async def claims_all(request: Request) -> Response:
    ctx = _ctx(request)
    nodes = await claims_view(ctx)
    slug = request.query_params.get("article")
    if slug is not None:
        prefix = ctx.mint.article(slug) + "/claim/"
        nodes = [n for n in nodes if n["@id"].startswith(prefix)]
        if not nodes:
            raise ApiError(404, "unknown_article", f"no claims for an article {slug!r}", parameter="article")
    return JSONResponse({"@context": CONTEXT, "@graph": nodes}, media_type=JSONLD)


async def claim_one(request: Request) -> Response:
    ctx = _ctx(request)
    iri = ctx.mint.claim(request.path_params["article"], request.path_params["claim"])
    found = [n for n in await claims_view(ctx) if n["@id"] == iri]
    if not found:
        raise ApiError(404, "unknown_claim", f"no claim {request.path_params['claim']!r} in article "
                       f"{request.path_params['article']!r}", parameter="claim")
    return JSONResponse({"@context": CONTEXT, **found[0]}, media_type=JSONLD)


# -- source context ------------------------------------------------------------------------------

async def source_context(request: Request) -> Response:
    """The sourced statements (about publishers, and behind the register's sourced world facts):
    only graph/source-context, never an article's claims."""
    ctx = _ctx(request)
    fmt = _graph_format(request)
    triples = await ctx.engine.trusted(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {_iri(ctx.mint.graph('source-context'))} {{ ?s ?p ?o }} }}")
    body = rdf_bytes(triples, GRAPH_FORMATS[fmt][1], PREFIXES)
    return Response(body, media_type=GRAPH_FORMATS[fmt][0], headers={"Vary": "Accept"})


router = APIRouter()
for _path, _methods, _handler, _name in (
    ("/dumps", ["GET"], dumps_index, "dumps"),
    ("/dumps/", ["GET"], dumps_index, "dumps_index"),
    ("/dumps/{name}", ["GET", "HEAD"], dump_file, "dump_file"),
    ("/exports/claims.jsonld", ["GET"], claims_all, "export_claims"),
    ("/exports/claims/{article}/{claim}.jsonld", ["GET"], claim_one, "export_claim"),
    ("/exports/source-context", ["GET"], source_context, "export_source_context"),
):
    add_route(router, _path, _handler, _methods, _name, tags=["exports"])
