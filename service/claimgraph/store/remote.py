"""A SPARQL 1.1 server as the store: Query, Update and the Graph Store Protocol over HTTP.

CLAIMGRAPH_BACKEND=remote puts this below the engine (sparql/engine.py) in place of the
embedded pyoxigraph store: user queries pass the same gate and are sent here, our own
queries (REST, Linked Data, pages) too, and writes go to the server's update endpoint.
Everything a server does differently is absorbed here (`Dialect`), so nothing above the
seam knows which server it talks to:

- the dataset: embedded queries read the union of the named graphs as the default graph.
  A server that offers that per request gets asked for it (Oxigraph: `union-default-graph`),
  one whose default graph is that union already is asked nothing (QLever); otherwise the
  query names its dataset explicitly, every graph of ours as a `default-graph-uri` (and
  `named-graph-uri`), so system graphs never leak in (Virtuoso);
- answers: asked for as SPARQL JSON (solutions) or N-Triples (graphs) and parsed by
  pyoxigraph, then written by the same writers as embedded answers: the same bytes on
  every backend, and an answer the server cuts short is an error, not a shorter answer;
- our own queries' bound variables (pyoxigraph `substitutions`) become a VALUES block at
  the head of the query's WHERE group, which binds them before the rest is joined.

Reads are retried (bounded, with back-off) when the connection fails; writes never are, but for the
build's graph replacements (put_graph), which land the same however often they are sent.
The state version (`VERSION_PREDICATE` on the dataset, in its VoID graph) is what front
ends poll to notice each other's writes and builds (store/remote_locator.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

import httpx
import pyoxigraph as ox

from ..sparql.bindings import with_bindings
from . import remote_graphs
from .remote_error import RemoteError
from .remote_dialect import (VIRTUOSO_ROW_CAP, VIRTUOSO_SYSTEM, clamp_limit, excluded_graphs, exclusive_prologue,
                             fill_empty_graphs, iris_in, normalized, form_of, refuse_unreliable,
                             without_graphs)

VERSION_PREDICATE = "https://w3id.org/claimgraph/ontology#stateVersion"
STAGING = "urn:claimgraph:staging:"  # graphs a load has not switched in yet (store/remote_load.py)
JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
DIALECTS = ("oxigraph", "virtuoso", "qlever", "generic")
DATASETS = ("listed", "exclusive")
READ_RETRIES = 2
PUT_RETRIES = 3
RETRY_BACKOFF_S = 0.2


@dataclass(frozen=True)
class RemoteConfig:
    query_url: str
    update_url: str
    store_url: str = ""  # Graph Store Protocol endpoint (for the build's loads); "" if none
    dialect: str = "generic"
    auth: str = "none"  # none | basic | digest | bearer
    user: str = ""
    password: str = ""
    token: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_connections: int = 32
    dataset: str = "listed"  # listed | exclusive (Virtuoso only): how a query names our graphs, see _dataset

    def http_auth(self) -> httpx.Auth | None:
        if self.auth == "basic":
            return httpx.BasicAuth(self.user, self.password)
        if self.auth == "digest":
            return httpx.DigestAuth(self.user, self.password)
        return None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.auth == "bearer" and self.token else {}


class RemoteStore:
    """One backend server, shared by the threads of a serving process (httpx's pool is thread-safe)."""

    def __init__(self, config: RemoteConfig):
        if config.dialect not in DIALECTS:
            raise ValueError(f"CLAIMGRAPH_REMOTE_DIALECT={config.dialect!r}: use one of {', '.join(DIALECTS)}")
        if config.dataset not in DATASETS or (config.dataset == "exclusive" and config.dialect != "virtuoso"):
            raise ValueError(f"CLAIMGRAPH_REMOTE_DATASET={config.dataset!r}: use listed, or exclusive with Virtuoso")
        self.config = config
        self.client = httpx.Client(
            auth=config.http_auth(), headers=config.headers(), follow_redirects=False,
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            limits=httpx.Limits(max_connections=config.max_connections, max_keepalive_connections=8))
        self._aclient: httpx.AsyncClient | None = None  # user queries, on the serving event loop
        self._graphs: tuple[str, remote_graphs.Listing] | None = None  # (state version, its listing)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    # -- the dataset ----------------------------------------------------------------------------

    def _dataset(self, union: bool, default_graph: list[str] | None, named_graphs: list[str] | None,
                 version: str | None, sparql: str) -> tuple[str, list[tuple[str, str]]]:
        """The query as sent, with its dataset: (its text, protocol parameters)."""
        if default_graph or named_graphs:
            return sparql, [("default-graph-uri", g) for g in default_graph or ()] + \
                           [("named-graph-uri", g) for g in named_graphs or ()]
        if self.config.dialect == "oxigraph":
            return sparql, [("union-default-graph", "")] if union else []
        if self.config.dialect == "qlever":
            # QLever's default graph is the union of its graphs already, and it holds no system
            # graphs: nothing to name (a query reading one graph says GRAPH <g> itself).
            return sparql, []
        listing = self.listing_at(version)
        if self.config.dialect != "virtuoso":
            pairs = [("default-graph-uri", g) for g in listing.ours] if union else []
            return sparql, pairs + [("named-graph-uri", g) for g in listing.ours]
        excluded = excluded_graphs(listing)
        sparql = without_graphs(sparql, set(excluded))
        if self.config.dataset == "exclusive":
            return exclusive_prologue(excluded, listing.ours, sparql, union) + sparql, []
        pairs = [("default-graph-uri", g) for g in listing.ours] if union else []
        # Virtuoso 7.2, given a dataset, answers ASK, COUNT or a constant projection over GRAPH <g>
        # for a g outside the named graphs as if it matched once (ASK true). Every IRI the query
        # names goes into the named graphs too: one that is no graph matches nothing there, which
        # is the right answer (the server's own graphs were pointed elsewhere: without_graphs).
        named = sorted(set(listing.ours) | (iris_in(sparql) - set(excluded)))
        return sparql, pairs + [("named-graph-uri", g) for g in named]

    @property
    def stages(self) -> bool:
        """Whether a load can stage graphs out of readers' sight: only where every query names its
        graphs (store/remote_load.py); a dataset of "every graph but …" would show them."""
        return self.config.dialect in ("virtuoso", "generic") and self.config.dataset != "exclusive"

    def graph_names(self, version: str | None = None) -> list[str]:
        """Every named graph of ours on the server, remembered per state version (see listing)."""
        return self.listing_at(version).ours

    def listing_at(self, version: str | None) -> remote_graphs.Listing:
        """The listing, remembered per state version: every write and load moves the version on."""
        with self._lock:
            if version is not None and self._graphs is not None and self._graphs[0] == version:
                return self._graphs[1]
        found = self.listing()
        with self._lock:
            if version is not None:
                self._graphs = (version, found)
        return found

    def listing(self) -> remote_graphs.Listing:
        """Our graphs, staging graphs and the server's own: one register query, or where the server
        has no register one scan, which on a big store is the expensive part."""
        held = remote_graphs.listed(self) if self.config.dialect in remote_graphs.KEEPS_REGISTER else None
        return held if held is not None else self.classify(self.scan_graphs())

    def classify(self, every: list[str]) -> remote_graphs.Listing:
        """A scan's graphs sorted into ours, staging and the server's system graphs."""
        system = [g for g in every if self.config.dialect == "virtuoso" and g.startswith(VIRTUOSO_SYSTEM)]
        staging = [g for g in every if g.startswith(STAGING)]
        ours = [g for g in every if g not in system and not g.startswith(STAGING)]
        return remote_graphs.Listing(ours, staging, system, registered=False)

    def scan_graphs(self) -> list[str]:
        """Every named graph with a triple but the register, sorted: reads every quad on some servers."""
        # Virtuoso matches no empty group in GRAPH ?g { }: ask for graphs with a triple there.
        text = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }" if self.config.dialect == "virtuoso"
                else "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        body = self.post_query(text, remote_graphs.SCAN_TIMEOUT_S)
        rows = ox.parse_query_results(self.normalized(body, False), ox.QueryResultsFormat.JSON)
        return sorted(r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode)
                      and r["g"].value != remote_graphs.REGISTER)

    def has_triples(self, graph: str) -> bool:
        """Whether the graph holds a triple (asked without a dataset: see _dataset on Virtuoso's ASK)."""
        body = self.post_query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return bool(parse_answer(self.normalized(body, False), False))

    def post_query(self, sparql: str, timeout: float | None = None) -> bytes:
        """One of our bookkeeping queries, without a dataset, as SPARQL JSON."""
        return self._post_query(sparql, JSON, [], timeout)

    def normalized(self, body: bytes, graph: bool) -> bytes:
        """The server's answer in the form pyoxigraph reads (store/remote_dialect.py normalized)."""
        return normalized(body, graph, self.config.dialect)

    # -- reading --------------------------------------------------------------------------------

    def _post_query(self, sparql: str, accept: str, dataset: list[tuple[str, str]], timeout: float | None) -> bytes:
        """POST the query as a form (every server takes that; some hang on a direct POST body)."""
        form = [("query", sparql), *dataset]
        extra = {"timeout": httpx.Timeout(timeout, connect=self.config.connect_timeout)} if timeout else {}
        last: Exception | None = None
        for attempt in range(READ_RETRIES + 1):
            try:
                r = self.client.post(self.config.query_url, data=_form(form), headers={"Accept": accept}, **extra)
            except httpx.TimeoutException:
                raise RemoteError(503, "timeout", f"the SPARQL backend did not answer within {timeout or self.config.read_timeout:g} s",
                                  retry_after=1) from None
            except httpx.TransportError as exc:
                last = exc
                time.sleep(RETRY_BACKOFF_S * (attempt + 1))
                continue
            return _checked(r, self.config.query_url)
        raise RemoteError(503, "backend_unavailable",
                          f"the SPARQL backend at {self.config.query_url} is unreachable ({type(last).__name__}: {last})",
                          retry_after=2)

    def query(self, sparql: str, substitutions: Mapping[str, Any] | None = None, union: bool = True,
              version: str | None = None) -> list[dict[str, Any]] | bool | list[Any]:
        """One of our own queries, answered as the embedded engine's run_trusted answers it."""
        if substitutions and any(isinstance(v, ox.BlankNode) for v in substitutions.values()):
            # A blank node of a remote answer names nothing on the server: no row can match it.
            return []
        text = with_bindings(sparql, substitutions or {})
        if self.config.dialect == "virtuoso":
            refuse_unreliable(text)
            text = fill_empty_graphs(clamp_limit(text, VIRTUOSO_ROW_CAP))
        form = form_of(text)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        text, dataset = self._dataset(union, None, None, version, text)
        body = self._post_query(text, NTRIPLES if graph else JSON, dataset, None)
        return parse_answer(self.normalized(body, graph), graph)

    async def fetch(self, sparql: str, graph: bool, default_graph: list[str] | None, named_graphs: list[str] | None,
                    deadline: float, version: str | None, max_bytes: int) -> bytes:
        """A user's query (already gated), as the server's SPARQL JSON or N-Triples bytes: abandoned at
        `deadline` seconds (the connection is closed; a server with its own timeout stops there too),
        refused past `max_bytes`, retried while the connection cannot be made."""
        if self.config.dialect == "virtuoso":
            refuse_unreliable(sparql)
            sparql = fill_empty_graphs(clamp_limit(sparql, VIRTUOSO_ROW_CAP))
        sparql, dataset = await asyncio.to_thread(self._dataset, True, default_graph, named_graphs, version, sparql)
        if self.config.dialect == "virtuoso":
            # Its own deadline too (milliseconds): Virtuoso stops there instead of grinding on after
            # we abandon the query, and says its answer is partial (refused: _checked).
            dataset = [*dataset, ("timeout", str(max(1, int(deadline * 1000))))]
        form = _form([("query", sparql), *dataset])
        accept = NTRIPLES if graph else JSON
        client = self._async_client()

        async def exchange() -> bytes:
            for attempt in range(READ_RETRIES + 1):
                try:
                    async with client.stream("POST", self.config.query_url, data=form, headers={"Accept": accept}) as r:
                        if not 200 <= r.status_code < 300:
                            await r.aread()
                            return _checked(r, self.config.query_url)
                        if "x-sql-state" in r.headers:
                            await r.aread()
                            return _checked(r, self.config.query_url)
                        parts, size = [], 0
                        async for chunk in r.aiter_bytes():
                            size += len(chunk)
                            if size > max_bytes:
                                raise RemoteError(413, "result_too_large", "the backend's answer is too large")
                            parts.append(chunk)
                        return b"".join(parts)
                except httpx.TransportError as exc:
                    if attempt == READ_RETRIES or isinstance(exc, httpx.TimeoutException):
                        raise RemoteError(503, "backend_unavailable", f"the SPARQL backend at {self.config.query_url} "
                                          f"is unreachable ({type(exc).__name__}: {exc})", retry_after=2) from None
                    await asyncio.sleep(RETRY_BACKOFF_S * (attempt + 1))
            raise AssertionError("unreachable")

        try:
            return await asyncio.wait_for(exchange(), deadline)
        except asyncio.TimeoutError:
            raise RemoteError(503, "timeout", f"the query did not finish within {deadline:g} s and was abandoned",
                              retry_after=max(1, int(deadline))) from None

    def _async_client(self) -> httpx.AsyncClient:
        if self._aclient is None:
            c = self.config
            self._aclient = httpx.AsyncClient(
                auth=c.http_auth(), headers=c.headers(), follow_redirects=False,
                timeout=httpx.Timeout(c.read_timeout, connect=c.connect_timeout),
                limits=httpx.Limits(max_connections=c.max_connections, max_keepalive_connections=8))
        return self._aclient

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None
        self.client.close()

    def copy_into(self, store: ox.Store, version: str | None = None) -> int:
        """Every named graph of the server into `store` (the dumps: a whole-corpus read, once per
        state version); returns the quads copied. The server's own default graph is not read: the
        build writes none, and servers disagree on what it is."""
        copied = 0
        for g in self.graph_names(version):
            body = self._post_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}", NTRIPLES, [], None)
            graph = ox.NamedNode(g)
            quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in remote_triples(self.normalized(body, True))]
            store.extend(quads)
            copied += len(quads)
        return copied

    def state_version(self, dataset_iri: str) -> str | None:
        """The state version the last build or write left (None before the first), in whichever of
        the server's named graphs it is: one small query, every dialect alike."""
        body = self._post_query(f"SELECT ?v WHERE {{ GRAPH ?g {{ <{dataset_iri}> <{VERSION_PREDICATE}> ?v }} }} LIMIT 1",
                                JSON, [], None)
        rows = list(ox.parse_query_results(self.normalized(body, False), ox.QueryResultsFormat.JSON))
        return rows[0]["v"].value if rows else None

    # -- writing --------------------------------------------------------------------------------

    def update(self, sparql: str, base_iri: str | None = None, timeout: float | None = None) -> None:
        """One update, never retried (it may have been applied when the connection broke)."""
        text = f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql
        extra = {"timeout": httpx.Timeout(timeout, connect=self.config.connect_timeout)} if timeout else {}
        try:
            r = self.client.post(self.config.update_url, data=_form([("update", text)]), **extra)
        except httpx.TimeoutException:
            raise RemoteError(503, "timeout", "the SPARQL backend did not acknowledge the update in time; "
                              "it may or may not have been applied") from None
        except httpx.TransportError as exc:
            raise RemoteError(503, "backend_unavailable",
                              f"the SPARQL backend at {self.config.update_url} is unreachable ({exc})",
                              retry_after=2) from None
        _checked(r, self.config.update_url, update=True)

    @staticmethod
    def version_update(dataset_iri: str, void_graph: str) -> tuple[str, str]:
        """The update that moves the state version on, and the new version."""
        version = uuid.uuid4().hex
        return (f"DELETE {{ GRAPH ?g {{ <{dataset_iri}> <{VERSION_PREDICATE}> ?v }} }} "
                f"WHERE {{ GRAPH ?g {{ <{dataset_iri}> <{VERSION_PREDICATE}> ?v }} }} ; "
                f"INSERT DATA {{ GRAPH <{void_graph}> {{ <{dataset_iri}> <{VERSION_PREDICATE}> \"{version}\" }} }}"), version

    def bump_version(self, dataset_iri: str, void_graph: str) -> str:
        """A new state version, written after the change it marks (other front ends drop their caches)."""
        text, version = self.version_update(dataset_iri, void_graph)
        self.update(text)
        return version

    def put_graph(self, iri: str, data: str) -> None:
        """Replace one named graph with `data` (N-Triples): a Graph Store Protocol PUT, or without a
        Graph Store endpoint DROP + INSERT DATA in one update request."""
        # Unlike an update, a PUT may be sent again: the graph ends the same however often it lands.
        # Virtuoso 7.2 answers 500 now and then under a long load (its monitor: "Locks are held for a
        # long time"; 1 PUT in ~1,000 in one 1,000-article load), and the next attempt goes through.
        for attempt in range(PUT_RETRIES + 1):
            try:
                if self.config.store_url:
                    try:
                        r = self.client.put(self.config.store_url, params={"graph": iri}, content=data.encode(),
                                            headers={"Content-Type": NTRIPLES})
                    except httpx.TransportError as exc:
                        raise RemoteError(503, "backend_unavailable", f"the Graph Store at {self.config.store_url} "
                                          f"is unreachable ({exc})", retry_after=2) from None
                    _checked(r, self.config.store_url, update=True)
                else:
                    self.update(f"DROP SILENT GRAPH <{iri}> ; INSERT DATA {{ GRAPH <{iri}> {{\n{data}}} }}")
                return
            except RemoteError as exc:
                if attempt == PUT_RETRIES or exc.status not in (502, 503) or exc.code == "backend_refused":
                    raise
                time.sleep(RETRY_BACKOFF_S * 5 * (attempt + 1))

    def drop_graph(self, iri: str) -> None:
        self.update(f"DROP SILENT GRAPH <{iri}>")


# -- helpers ---------------------------------------------------------------------------------------

def _form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields with repeats (default-graph-uri, named-graph-uri), as httpx takes them."""
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _checked(r: httpx.Response, url: str, update: bool = False) -> bytes:
    if 200 <= r.status_code < 300:
        if "x-sql-state" in r.headers:
            # Virtuoso's "anytime" answer: what it had found when its own time limit struck.
            raise RemoteError(503, "timeout", "the backend stopped the query at its own time limit and sent a "
                              f"partial answer ({r.headers.get('x-sql-message', r.headers['x-sql-state'])}); "
                              "it is not passed on as complete", retry_after=1)
        return r.content
    lines = r.text.strip().splitlines()
    # Virtuoso wraps its error in an HTML page: the line that names it, not the doctype.
    said = next((ln.strip() for ln in lines if "Error" in ln and not ln.lstrip().startswith("<!")),
                lines[0] if lines else f"HTTP {r.status_code}")[:300]
    if r.status_code in (401, 403):
        raise RemoteError(502, "backend_refused", f"the SPARQL backend refused our credentials "
                          f"(HTTP {r.status_code}); check CLAIMGRAPH_REMOTE_AUTH and its user or token")
    if r.status_code == 400:
        raise RemoteError(400, "backend_rejected", f"the SPARQL backend rejected the {'update' if update else 'query'}: {said}")
    if r.status_code == 500 and "estimated execution time" in said:
        # Virtuoso refuses up front what it estimates will overrun its own limit: a runaway, told
        # as the embedded engine tells one.
        raise RemoteError(503, "timeout", f"the query would not finish in time; the backend refused it: {said}",
                          retry_after=1)
    if r.status_code in (503, 504):
        raise RemoteError(503, "backend_unavailable", f"the SPARQL backend at {url} is unavailable: {said}", retry_after=2)
    raise RemoteError(502, "backend_error", f"the SPARQL backend at {url} answered HTTP {r.status_code}: {said}")


def remote_triples(body: bytes) -> list[Any]:
    """An N-Triples answer as pyoxigraph triples (what a CONSTRUCT gives embedded)."""
    return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]


def remote_solutions(body: bytes) -> Any:
    """A SPARQL JSON answer as pyoxigraph QuerySolutions or QueryBoolean."""
    try:
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        raise RemoteError(502, "backend_error", f"the SPARQL backend's answer is not SPARQL JSON: {exc}") from None


def parse_answer(body: bytes, graph: bool) -> list[dict[str, Any]] | bool | list[Any]:
    """A SPARQL JSON or N-Triples answer as run_trusted returns one: rows of terms, a boolean, triples."""
    if graph:
        return remote_triples(body)
    result = remote_solutions(body)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [{n: sol[n] for n in names} for sol in result]


def config_from(settings: Any) -> RemoteConfig:
    """The backend's settings (config.Settings, CLAIMGRAPH_REMOTE_*), refused with a clear message if unusable."""
    if not settings.remote_query_url:
        raise SystemExit("CLAIMGRAPH_BACKEND=remote needs CLAIMGRAPH_REMOTE_QUERY_URL (the server's SPARQL query endpoint)")
    if settings.remote_auth not in ("none", "basic", "digest", "bearer"):
        raise SystemExit(f"CLAIMGRAPH_REMOTE_AUTH={settings.remote_auth!r}: use none, basic, digest or bearer")
    if settings.remote_dialect not in DIALECTS:
        raise SystemExit(f"CLAIMGRAPH_REMOTE_DIALECT={settings.remote_dialect!r}: use one of {', '.join(DIALECTS)}")
    if settings.remote_dataset not in DATASETS or (settings.remote_dataset == "exclusive"
                                                    and settings.remote_dialect != "virtuoso"):
        raise SystemExit(f"CLAIMGRAPH_REMOTE_DATASET={settings.remote_dataset!r}: use listed (the default: every "
                         "query names our graphs), or exclusive with CLAIMGRAPH_REMOTE_DIALECT=virtuoso on a server "
                         "that holds nothing but this corpus")
    return RemoteConfig(
        query_url=settings.remote_query_url, update_url=settings.remote_update_url or settings.remote_query_url,
        store_url=settings.remote_store_url, dialect=settings.remote_dialect, dataset=settings.remote_dataset,
        auth=settings.remote_auth,
        user=settings.remote_user, password=settings.remote_password, token=settings.remote_token,
        connect_timeout=settings.remote_connect_timeout, read_timeout=max(30.0, settings.query_timeout + 5))
