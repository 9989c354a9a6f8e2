"""The same service in front of a remote SPARQL server (CLAIMGRAPH_BACKEND=remote, store/remote.py).

Each backend kind runs for real on loopback: `oxigraph serve`, and Debian's Virtuoso 7.2
(virtuoso-t, started by these tests; .ci/run installs it). The built store is loaded into it
the way `claimgraph build` does (store/remote_load.py), then a claimgraph front end on the
backend is compared, byte for byte, with one on the embedded store: REST, Linked Data, pages,
named queries, reconciliation and SPARQL in every result format. Then what only a remote
backend has: two stateless front ends seeing each other's writes, an incremental load, the
backend going away and coming back, and Virtuoso's silent row cap refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from claimgraph.namespaces import Minter
from claimgraph.store.remote import RemoteConfig, RemoteStore
from claimgraph.store.remote_load import load_version, record_path
from claimgraph.store.swap import current_version_dir
from support.backends import Backend, start_backend
from support.liveserver import ROOT, LiveServer, start_server, writable_copy

TOKEN = "remote-token"
CLAIM = "https://w3id.org/claimgraph/ontology#Claim"
PATHS = [
    "/api/entities/russia", "/api/claims?limit=5", "/api/claims?stance=critical&limit=20", "/api/articles",
    "/api/events", "/api/search?q=sanctions", "/api/queries/stance-toward",
    "/api/queries/claims-about?topic=us-sanctions-policy", "/id/entity/russia", "/id/graph/entities",
    "/id/article/us-russia-reconfiguration", "/", "/search?q=sanctions", "/read/us-russia-reconfiguration",
    "/read/us-russia-reconfiguration/annotations.jsonld", "/entity/russia", "/entity/russia/graph.json",
    "/compare", "/timeline",
    '/reconcile?queries={"q0":{"query":"Russia"}}',
]
SPARQL = [
    (f"SELECT ?c WHERE {{ ?c a <{CLAIM}> }} ORDER BY ?c", "application/sparql-results+json"),
    (f"SELECT ?c ?p ?o WHERE {{ ?c a <{CLAIM}> ; ?p ?o }} ORDER BY ?c ?p ?o LIMIT 300", "text/csv"),
    (f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{CLAIM}> }}", "application/sparql-results+xml"),
    (f"ASK {{ ?c a <{CLAIM}> }}", "application/sparql-results+json"),
    (f"CONSTRUCT {{ ?c a <{CLAIM}> }} WHERE {{ ?c a <{CLAIM}> }}", "application/n-triples"),
    ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'http://127.0.0.1:8000/id/')) "
     "FILTER(?g != <http://127.0.0.1:8000/id/graph/dataset>) } GROUP BY ?g ORDER BY ?g", "application/sparql-results+json"),
    # Virtuoso answers ASK and COUNT over GRAPH <g> wrongly under a dataset unless g is a named graph it
    # was given (store/remote_dialect.py exclusive_prologue); its own graphs are never in the dataset.
    ("ASK { GRAPH <urn:nothing> { ?s ?p ?o } }", "application/sparql-results+json"),
    ("ASK { GRAPH <http://127.0.0.1:8000/id/graph/entities> { <urn:x> ?p ?o } }", "application/sparql-results+json"),
    (f"ASK {{ GRAPH ?g {{ ?c a <{CLAIM}> }} GRAPH <urn:nothing> {{ ?s ?p ?o }} }}", "application/sparql-results+json"),
    ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://127.0.0.1:8000/id/graph/entities> { ?s ?p ?o } }", "text/csv"),
    ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://www.openlinksw.com/schemas/virtrdf#> { ?s ?p ?o } }", "text/csv"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'http://www.openlinksw.com/')) }", "text/csv"),
    ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'http://www.')) }", "text/csv"),
]


@pytest.fixture(scope="module")
def store_copy(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from claimgraph.store import search_index

    copy = writable_copy(built_settings.store, tmp_path_factory.mktemp("remote-store"))
    version = current_version_dir(copy).name
    index = search_index.file_for(copy, version)
    index.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(search_index.file_for(built_settings.store, version), index)  # as the build leaves it
    return copy


@pytest.fixture(scope="module")
def embedded(store_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    srv = start_server(store_copy, tmp_path_factory.mktemp("embedded"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso", "virtuoso-exclusive"])
def backend(request, store_copy: Path, built_settings, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    tmp = tmp_path_factory.mktemp(f"backend-{request.param}")
    b = start_backend(request.param, tmp)
    remote = RemoteStore(_config(b))
    mint = Minter(built_settings.base_iri)
    record_path(store_copy).unlink(missing_ok=True)
    report = load_version(current_version_dir(store_copy), store_copy, remote, built_settings.base_iri,
                          mint.dataset, mint.graph("dataset"))
    remote.close()
    assert report.sent and not report.dropped
    yield b
    b.stop()


def _config(b: Backend) -> RemoteConfig:
    e = b.env
    return RemoteConfig(query_url=e["CLAIMGRAPH_REMOTE_QUERY_URL"], update_url=e["CLAIMGRAPH_REMOTE_UPDATE_URL"],
                        store_url=e["CLAIMGRAPH_REMOTE_STORE_URL"], dialect=e["CLAIMGRAPH_REMOTE_DIALECT"],
                        auth=e.get("CLAIMGRAPH_REMOTE_AUTH", "none"), user=e.get("CLAIMGRAPH_REMOTE_USER", ""),
                        password=e.get("CLAIMGRAPH_REMOTE_PASSWORD", ""),
                        dataset=e.get("CLAIMGRAPH_REMOTE_DATASET", "listed"))


@pytest.fixture(scope="module")
def front(backend: Backend, store_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    srv = start_server(store_copy, tmp_path_factory.mktemp("front"),
                       env={**backend.env, "CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_REMOTE_POLL_S": "0.3",
                            "CLAIMGRAPH_QUERY_TIMEOUT": "3"})
    yield srv
    srv.stop()


def test_every_page_and_record_is_the_same_as_on_the_embedded_store(front: LiveServer, embedded: LiveServer,
                                                                     backend: Backend) -> None:
    with front.client() as f, embedded.client() as e:
        for path in PATHS:
            a, b = f.get(path), e.get(path)
            assert a.status_code == b.status_code == 200, (path, a.text[:300])
            # Bodies that name the server they came from (annotation ids) name it by its own port.
            assert a.content.replace(front.url.encode(), b"SERVER") == b.content.replace(embedded.url.encode(), b"SERVER"), \
                f"{backend.kind}: {path} differs"
        health = f.get("/health").json()
        assert health["backend"]["kind"] == "remote" and health["backend"]["dialect"] == backend.kind
        assert health["store"]["ok"] is True
        # The server is in the state the load left: the front end beside the store searches the build's index.
        assert health["search"]["index"] == "build"


def test_a_front_end_away_from_the_build_searches_an_index_made_from_the_server(
        backend: Backend, embedded: LiveServer, tmp_path: Path) -> None:
    """No store, no build record: a front end on another machine. Its search index is read from the
    server, a few graphs per query (one query for the corpus would pass Virtuoso's row cut), and finds
    what the build's index finds; every page is the same."""
    away = start_server(tmp_path / "no-store", tmp_path, env={**backend.env, "CLAIMGRAPH_REMOTE_POLL_S": "0.3"})
    try:
        with away.client() as a, embedded.client() as e:
            for q in ("sanctions", "Rusia", "Kremlin"):
                got, expected = a.get("/api/search", params={"q": q}), e.get("/api/search", params={"q": q})
                assert got.status_code == expected.status_code == 200, got.text[:300]
                assert got.content.replace(away.url.encode(), b"SERVER") == \
                    expected.content.replace(embedded.url.encode(), b"SERVER"), q
            assert a.get("/health").json()["search"]["index"] == "memory"
            # A machine the build never ran on serves the rest as well: the state is the server's.
            for path in PATHS:
                got, expected = a.get(path), e.get(path)
                assert got.status_code == expected.status_code == 200, (path, got.text[:300])
                assert got.content.replace(away.url.encode(), b"SERVER") == \
                    expected.content.replace(embedded.url.encode(), b"SERVER"), path
    finally:
        away.stop()


@pytest.mark.parametrize("text, accept", SPARQL)
def test_sparql_answers_are_the_same_bytes_as_embedded(front: LiveServer, embedded: LiveServer, backend: Backend,
                                                       text: str, accept: str) -> None:
    with front.client() as f, embedded.client() as e:
        a = f.post("/sparql", data={"query": text}, headers={"Accept": accept})
        b = e.post("/sparql", data={"query": text}, headers={"Accept": accept})
        assert a.status_code == b.status_code == 200, a.text[:300]
        assert a.headers["content-type"] == b.headers["content-type"]
        if accept == "application/n-triples":  # a graph: a set of triples, in no defined order
            assert set(a.content.splitlines()) == set(b.content.splitlines()) and a.content, f"{backend.kind}: {text}"
        else:
            assert a.content == b.content, f"{backend.kind}: {text}"


def test_the_backend_holds_one_triple_more_the_state_version(front: LiveServer, embedded: LiveServer) -> None:
    """The dataset description on a remote backend also says which state it is in (front ends poll it)."""
    text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://127.0.0.1:8000/id/graph/dataset> { ?s ?p ?o } }"
    version = "SELECT ?v WHERE { ?d <https://w3id.org/claimgraph/ontology#stateVersion> ?v }"
    json_ = {"Accept": "application/sparql-results+json"}
    with front.client() as f, embedded.client() as e:
        n = [int(c.post("/sparql", data={"query": text}, headers=json_).json()["results"]["bindings"][0]["n"]["value"])
             for c in (f, e)]
        assert n[0] == n[1] + 1
        assert len(f.post("/sparql", data={"query": version}, headers=json_).json()["results"]["bindings"]) == 1
        assert e.post("/sparql", data={"query": version}, headers=json_).json()["results"]["bindings"] == []


def test_the_dumps_hold_the_same_quads(front: LiveServer, embedded: LiveServer) -> None:
    """The N-Quads dump, read from the server: the embedded store's quads and the state version."""
    with front.client() as f, embedded.client() as e:
        a, b = f.get("/dumps/claimgraph.nq"), e.get("/dumps/claimgraph.nq")
        assert a.status_code == b.status_code == 200
        # Blank nodes (the ontology's restrictions) are relabelled on the way: compared by count.
        lines = [[line for line in r.content.splitlines() if b"_:" not in line] for r in (a, b)]
        blank = [sum(1 for line in r.content.splitlines() if b"_:" in line) for r in (a, b)]
        extra = set(lines[0]) - set(lines[1])
        assert set(lines[1]) <= set(lines[0]) and blank[0] == blank[1] > 0
        assert len(extra) == 1 and b"stateVersion" in extra.pop()
        assert f.get("/dumps").status_code == 200


def test_errors_have_the_embedded_shapes(front: LiveServer, embedded: LiveServer) -> None:
    with front.client() as f, embedded.client() as e:
        for text in ("SELECT * WHERE { ?s ?p", "ASK { ?s ?p ?o FILTER(?o = ) }",
                     "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"):
            a, b = f.post("/sparql", data={"query": text}), e.post("/sparql", data={"query": text})
            assert a.status_code == b.status_code and a.status_code in (400, 403)
            assert a.json() == b.json()


def test_a_runaway_is_abandoned_at_the_deadline(front: LiveServer) -> None:
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with front.client() as f:
        started = time.monotonic()
        r = f.post("/sparql", data={"query": cross}, headers={"Accept": "application/sparql-results+json"})
        took = time.monotonic() - started
        assert r.status_code == 503 and r.json()["error"]["code"] == "timeout", r.text
        # Abandoned at the deadline (Oxigraph), or refused up front on the backend's own estimate (Virtuoso).
        message = r.json()["error"]["message"]
        assert ("abandoned" in message or "refused" in message) and took < 3 + 2
        assert f.get("/health").status_code == 200


def test_two_front_ends_see_each_others_writes(front: LiveServer, backend: Backend, store_copy: Path,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    other = start_server(store_copy, tmp_path_factory.mktemp("front2"),
                         env={**backend.env, "CLAIMGRAPH_UPDATE_TOKEN": TOKEN, "CLAIMGRAPH_REMOTE_POLL_S": "0.3"})
    graph = f"http://example.org/notes/{backend.kind}-{time.time_ns()}"
    ask = f'ASK {{ GRAPH <{graph}> {{ <http://example.org/n1> <http://example.org/says> "seen" }} }}'
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with front.client() as a, other.client() as b:
            assert b.post("/sparql", data={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is False
            w = a.post("/sparql", data={"update": f'INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/n1> '
                                                  f'<http://example.org/says> "seen" }} }}'}, headers=auth)
            assert w.status_code == 204, w.text
            # Seen at once by the writer (it knows the new state), by the other within its poll.
            assert a.post("/sparql", data={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is True
            deadline = time.monotonic() + 3
            while True:
                seen = b.post("/sparql", data={"query": ask}, headers={"Accept": "application/sparql-results+json"}).json()["boolean"]
                if seen or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert seen, "the other front end still answered from the state before the write"
            # Graph Store writes go the same way; build-owned graphs are refused alike.
            put = b.put("/store", params={"graph": graph}, content=b'<http://example.org/n2> <http://example.org/says> "put" .',
                        headers={**auth, "Content-Type": "application/n-triples"})
            assert put.status_code == 204, put.text
            got = a.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
            deadline = time.monotonic() + 3
            while b'"put"' not in got.content and time.monotonic() < deadline:
                time.sleep(0.1)
                got = a.get("/store", params={"graph": graph}, headers={"Accept": "application/n-triples"})
            assert got.status_code == 200 and b'"put"' in got.content and b'"seen"' not in got.content
            owned = a.post("/sparql", data={"update": "INSERT DATA { GRAPH <http://127.0.0.1:8000/id/graph/entities> "
                                                      "{ <http://example.org/x> <http://example.org/p> 1 } }"}, headers=auth)
            assert owned.status_code == 409
            gone = a.delete("/store", params={"graph": graph}, headers=auth)
            assert gone.status_code == 204
            assert a.delete("/store", params={"graph": graph}, headers=auth).status_code == 404
    finally:
        other.stop()


def test_loading_again_sends_only_what_changed(backend: Backend, store_copy: Path, built_settings) -> None:
    remote = RemoteStore(_config(backend))
    mint = Minter(built_settings.base_iri)
    args = (current_version_dir(store_copy), store_copy, remote, built_settings.base_iri, mint.dataset,
            mint.graph("dataset"))
    try:
        before = remote.state_version(mint.dataset)
        again = load_version(*args)
        assert again.sent == [] and again.dropped == [] and again.kept >= 5
        assert remote.state_version(mint.dataset) == before  # nothing changed: caches stay valid
        # One graph the server was given differently (as a build with a changed article would find):
        record = json.loads(record_path(store_copy).read_text())
        changed = mint.graph("entities")
        record["graphs"][changed] = "0" * 64
        record["graphs"]["http://127.0.0.1:8000/id/article/gone/graph"] = "1" * 64
        record_path(store_copy).write_text(json.dumps(record))
        third = load_version(*args)
        assert third.sent == [changed] and third.dropped == ["http://127.0.0.1:8000/id/article/gone/graph"]
        assert remote.state_version(mint.dataset) != before
    finally:
        remote.close()


def test_a_load_switches_the_corpus_at_once_where_the_server_allows_it(
        front: LiveServer, backend: Backend, store_copy: Path, built_settings, tmp_path: Path) -> None:
    """A changed graph is staged out of readers' sight and switched in by one update (Virtuoso,
    generic); on a server whose default graph is every graph (Oxigraph) it is replaced in place."""
    import pyoxigraph as ox

    changed = writable_copy(built_settings.store, tmp_path / "changed")
    rw = ox.Store(str(current_version_dir(changed)))
    mint = Minter(built_settings.base_iri)
    marker = ox.Quad(ox.NamedNode("http://example.org/marker"), ox.NamedNode("http://example.org/p"),
                     ox.Literal(f"load {time.time_ns()}"), ox.NamedNode(mint.graph("entities")))
    rw.add(marker)
    rw.flush()
    del rw
    ask = f"ASK {{ <http://example.org/marker> <http://example.org/p> {marker.object} }}"
    json_ = {"Accept": "application/sparql-results+json"}
    remote = RemoteStore(_config(backend))
    seen_while_staged: list[bool] = []

    def look() -> None:
        time.sleep(0.5)  # past the front end's poll
        with front.client() as f:
            seen_while_staged.append(f.post("/sparql", data={"query": ask + " # staged"}, headers=json_).json()["boolean"])

    args = (built_settings.base_iri, mint.dataset, mint.graph("dataset"))
    try:
        report = load_version(current_version_dir(changed), changed, remote, *args, on_staged=look)
        assert mint.graph("entities") in report.sent
        assert seen_while_staged == [not backend.stages]
        time.sleep(0.5)
        with front.client() as f:
            assert f.post("/sparql", data={"query": ask + " # switched"}, headers=json_).json()["boolean"] is True
            graphs = f.post("/sparql", data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}, headers=json_)
            assert "urn:claimgraph:staging:" not in graphs.text
    finally:
        # The corpus as it was, for the tests after this one (the record says what the server holds).
        load_version(current_version_dir(store_copy), changed, remote, *args)
        remote.close()


def test_virtuoso_row_cap_is_never_passed_on_as_complete(front: LiveServer, backend: Backend) -> None:
    values = " ".join(str(i) for i in range(101))
    text = f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} }}"
    with front.client() as f:
        r = f.post("/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"})
        if backend.kind == "virtuoso":
            assert r.status_code == 502 and r.json()["error"]["code"] == "backend_capped", r.text[:300]
            assert "10000" in r.json()["error"]["message"]
        else:  # Oxigraph has no cap: the same query answers every row
            assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 101 * 101


def test_transitive_paths_are_refused_where_the_backend_answers_them_wrongly(front: LiveServer, embedded: LiveServer,
                                                                             backend: Backend) -> None:
    """Virtuoso 7.2 answers p* joined to other patterns wrongly (store/remote_dialect.py transitive_path):
    refused there with a clear error; answered as embedded elsewhere. The hierarchy is one pattern."""
    skos = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
    path = skos + "SELECT ?c WHERE { ?x skos:broader* <http://127.0.0.1:8000/id/entity/us-sanctions-policy> . ?c cg:about ?x } ORDER BY ?c"
    within = path.replace("skos:broader*", "cg:withinTopic")
    json_ = {"Accept": "application/sparql-results+json"}
    with front.client() as f, embedded.client() as e:
        expected = e.post("/sparql", data={"query": path}, headers=json_)
        assert expected.status_code == 200 and expected.json()["results"]["bindings"]
        assert e.post("/sparql", data={"query": within}, headers=json_).content == expected.content
        r = f.post("/sparql", data={"query": path}, headers=json_)
        if backend.kind == "virtuoso":
            assert r.status_code == 501 and r.json()["error"]["code"] == "backend_unsupported", r.text[:300]
            assert "p*" in r.json()["error"]["message"] and "Traceback" not in r.text
        else:
            assert r.content == expected.content
        assert f.post("/sparql", data={"query": within}, headers=json_).content == expected.content


def test_a_backend_that_goes_away_answers_503_and_recovers(front: LiveServer, backend: Backend) -> None:
    text = f"SELECT ?c WHERE {{ ?c a <{CLAIM}> }} ORDER BY ?c LIMIT 3 # outage {time.time_ns()}"
    with front.client() as f:
        assert f.post("/sparql", data={"query": text}).status_code == 200
        backend.stop()
        try:
            r = f.post("/sparql", data={"query": text + " again"})
            assert r.status_code == 503, r.text
            err = r.json()["error"]
            assert err["code"] == "backend_unavailable" and backend.query_url in err["message"]
            assert "Traceback" not in r.text and r.headers.get("retry-after")
            rest = f.get("/api/entities/russia")
            assert rest.status_code == 503 and rest.json()["error"]["code"] == "backend_unavailable"
            deadline = time.monotonic() + 5  # the next poll (every 0.3 s, retried twice) finds it gone
            h = f.get("/health")
            while h.status_code != 503 and time.monotonic() < deadline:
                time.sleep(0.1)
                h = f.get("/health")
            assert h.status_code == 503 and h.json()["store"]["ok"] is False
        finally:
            backend.restart()
        deadline = time.monotonic() + 5
        while f.get("/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert f.post("/sparql", data={"query": text + " after"}).status_code == 200
        assert f.get("/api/entities/russia").status_code == 200
        assert front.alive()


def test_the_build_command_loads_into_the_backend(tmp_path: Path) -> None:
    """`claimgraph build` with CLAIMGRAPH_BACKEND=remote: the build, then the load, and its report
    (the load itself runs on every backend above; the command's path is the same for each)."""
    backend = start_backend("oxigraph", tmp_path)
    try:
        env = {**backend.env, "CLAIMGRAPH_STORE": str(tmp_path / "store"), "CLAIMGRAPH_DATA": str(ROOT / "data"),
               "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-m", "claimgraph", "build", "--no-reasoner"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "loaded into " + backend.query_url in done.stderr and "0 unchanged" in done.stderr
        again = subprocess.run([sys.executable, "-m", "claimgraph", "build", "--no-reasoner"], env=env, cwd=ROOT,
                               capture_output=True, text=True, timeout=600)
        assert again.returncode == 0 and "0 graphs sent" in again.stderr, again.stderr[-2000:]
        with httpx.Client() as c:
            r = c.post(backend.query_url, data={"query": f"ASK {{ GRAPH ?g {{ ?c a <{CLAIM}> }} }}"},
                       headers={"Accept": "application/sparql-results+json"})
            assert r.json()["boolean"] is True
    finally:
        backend.stop()


def test_our_graphs_are_listed_from_the_register_not_by_a_scan(front: LiveServer, backend: Backend) -> None:
    """Virtuoso: the graphs of the dataset come from <urn:claimgraph:graphs>, kept by loads and API
    writes, and match what a scan finds; Oxigraph keeps no register (its readers would see it)."""
    from claimgraph.store import remote_graphs

    remote = RemoteStore(_config(backend))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    graph = f"http://example.org/register/{time.time_ns()}"
    try:
        if backend.kind != "virtuoso":
            assert remote_graphs.listed(remote) is None
            assert remote_graphs.REGISTER not in remote.scan_graphs()
            return
        assert remote_graphs.listed(remote).ours == remote.classify(remote.scan_graphs()).ours
        # The server's own graphs were recorded by the first load: an exclusive dataset leaves them out.
        assert "http://www.openlinksw.com/schemas/virtrdf#" in remote_graphs.listed(remote).system

        def no_scan() -> list[str]:
            raise AssertionError("scanned")

        remote.scan_graphs = no_scan  # the dataset must come from the register alone
        assert remote.graph_names("v1") == remote_graphs.listed(remote).ours
        del remote.scan_graphs
        with front.client() as f:
            w = f.post("/sparql", data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> "
                                                  f"<http://example.org/b> 1 }} }}"}, headers=auth)
            assert w.status_code == 204, w.text
            assert graph in remote_graphs.listed(remote).ours
            q = f.post("/sparql", data={"query": "SELECT ?o WHERE { <http://example.org/a> <http://example.org/b> ?o }"},
                       headers={"Accept": "application/sparql-results+json"})
            assert [b["o"]["value"] for b in q.json()["results"]["bindings"]] == ["1"]
            # Emptied by an update that names it: no longer ours to list. (An update writing `GRAPH ?g`
            # would force a rescan, but the API refuses those: they may write build-owned graphs.)
            w = f.post("/sparql", data={"update": f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}, headers=auth)
            assert w.status_code == 204, w.text
            held = remote_graphs.listed(remote).ours
            assert graph not in held and held == remote.classify(remote.scan_graphs()).ours
    finally:
        remote.close()
