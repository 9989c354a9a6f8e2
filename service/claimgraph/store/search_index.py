"""The search index of a store version: SQLite FTS5 with a trigram tokenizer, beside the store.

Every entity label and alias and every claim's quote and paraphrase, one row each. The build
writes it for each new version (`<store>.search/<version>.sqlite`, under the same lock as the
swap, so it holds what the version holds); every serving process opens the same file read-only,
so no process scans the corpus to answer a search. A search takes the rows that share the most
trigrams with the query (bm25 over trigrams: typos leave most of them intact) as candidates, and
the API ranks only those (api/rest/search.py).

The same file holds each entity's mentions and the claims about it in reading order
(store/entity_lists.py), which the build writes through `also`.

A version the build did not index (a snapshot after a SPARQL Update, a store built by older
code) gets the same index made in memory by the process that needs it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from .swap import versions_dir

_PREFIXES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?item ?resource ?field ?text ?label ?detail WHERE {
"""
_ENTITIES = """  {
    ?item cg:registerId ?rid ; rdfs:label ?text ; cg:entityType ?detail .
    BIND(?text AS ?label) BIND("entity" AS ?resource) BIND("label" AS ?field)
  } UNION {
    ?item cg:registerId ?rid ; skos:altLabel ?text ; rdfs:label ?label ; cg:entityType ?detail .
    BIND("entity" AS ?resource) BIND("alias" AS ?field)
  }"""
_CLAIMS = """  {
    ?item a cg:Claim ; cg:quote/nif:anchorOf ?text ; cg:claimKind ?detail .
    BIND(?text AS ?label) BIND("claim" AS ?resource) BIND("quote" AS ?field)
  } UNION {
    ?item a cg:Claim ; cg:paraphrase ?text ; cg:quote/nif:anchorOf ?label ; cg:claimKind ?detail .
    BIND("claim" AS ?resource) BIND("paraphrase" AS ?field)
  }"""
SEARCH_ROWS = _PREFIXES + _ENTITIES + " UNION\n" + _CLAIMS + "\n}"
ENTITY_ROWS = _PREFIXES + _ENTITIES + "\n}"
# The claims quoted in some graphs, then their rows (%s: IRIs for VALUES). Two queries: as one,
# pyoxigraph evaluated every claim in the store before the join (2.3 s at 300 articles).
CLAIMS_IN = ("PREFIX cg: <https://w3id.org/claimgraph/ontology#>\n"
             "SELECT DISTINCT ?item WHERE { VALUES ?g { %s } GRAPH ?g { ?item cg:quote ?quote } }")
CLAIM_ROWS_OF = _PREFIXES + "  VALUES ?item { %s }\n  {\n" + _CLAIMS + "\n  }\n}"
COLUMNS = ("item", "resource", "field", "text", "label", "detail")
# Names (entity labels and aliases: a few per entity) and texts (claims' quotes and paraphrases:
# most of the rows) apart, so that a typo-tolerant search over names never ranks every claim.
TABLES = {"entity": "names", "claim": "texts"}
SCHEMA = [f"CREATE VIRTUAL TABLE {t} USING fts5(text, item UNINDEXED, resource UNINDEXED, field UNINDEXED, "
          "label UNINDEXED, detail UNINDEXED, tokenize = 'trigram')" for t in TABLES.values()]
# Which article each text row came from, so that a build replacing a few articles deletes their rows
# by rowid: a scan of every row's IRI took 1 s, and its commit 0.6 s, at 10,000 articles (1 M rows).
# An article is the prefix of its claims' IRIs, `{article}/claim/{id}` (ids have no "/").
OWNERS_SCHEMA = ["CREATE TABLE articles (id INTEGER PRIMARY KEY, prefix TEXT UNIQUE NOT NULL)",
                 "CREATE TABLE owners (rid INTEGER PRIMARY KEY, article INTEGER NOT NULL)",
                 "CREATE INDEX owners_by_article ON owners (article)"]
SCHEMA += OWNERS_SCHEMA
_SELECT = "SELECT item, resource, field, text, label, detail FROM {t} WHERE {t} MATCH ?"


@dataclass(frozen=True)
class Row:
    item: str
    resource: str
    field: str
    text: str
    label: str
    detail: str


def folder(store: Path) -> Path:
    """Beside `<store>.versions`, not inside it: swap.prune counts what is in there."""
    return Path(store).with_name(Path(store).name + ".search")


def file_for(store: Path, version_name: str) -> Path:
    return folder(store) / f"{version_name}.sqlite"


def index_path(store: Path, version: Path) -> Path | None:
    """Where the build keeps `version`'s index; None for a directory that is not a build version."""
    if version.parent.resolve() != versions_dir(Path(store)).resolve():
        return None
    return file_for(store, version.name)


def rows_of(store: ox.Store) -> Iterable[tuple[str, ...]]:
    """The index's rows, read from a store (the default graph is the union of all graphs)."""
    for r in store.query(SEARCH_ROWS, use_default_graph_as_union=True):
        yield tuple(r[c].value for c in COLUMNS)


def rows_by_parts(run: Callable[[str], list[dict]], graphs: list[str], per_query: int = 40) -> list[tuple[str, ...]]:
    """The index's rows read through `run` (a query's rows as dicts of terms) a few graphs at a time:
    what a front end on a remote backend makes its index from when the build's is not beside it. One
    query for the whole corpus would pass Virtuoso's 10,000-row cut at ~100 articles (and be refused);
    `per_query` graphs of ~100 rows each stay well below it. The same rows as SEARCH_ROWS."""
    def values(rows: list[dict]) -> list[tuple[str, ...]]:
        return [tuple(r[c].value for c in COLUMNS) for r in rows]

    out = dict.fromkeys(values(run(ENTITY_ROWS)))
    for at in range(0, len(graphs), per_query):
        chunk = " ".join(f"<{g}>" for g in graphs[at:at + per_query])
        items = sorted({r["item"].value for r in run(CLAIMS_IN % chunk)})
        for i in range(0, len(items), 2000):
            out.update(dict.fromkeys(values(run(CLAIM_ROWS_OF % " ".join(f"<{x}>" for x in items[i:i + 2000])))))
    return list(out)


# What else a version's file holds (store/entity_lists.py), written into it before it is renamed
# into place: given the connection, it returns how many rows it wrote.
Also = Callable[[sqlite3.Connection], int]


def write(path: Path, rows: Iterable[tuple[str, ...]], also: Also | None = None) -> int:
    """Write the index file of a whole store's `rows` atomically."""
    with _written(path) as conn:
        n = fill(conn, rows)
        if also is not None:
            also(conn)
        return n


def write_updated(path: Path, previous: Path, store: ox.Store, graphs: list[str], prefixes: tuple[str, ...],
                  also: Also | None = None) -> int:
    """A new version's index from the previous version's file, when only some articles changed:
    a copy of it without the changed and removed articles' claim rows (their IRIs start with
    `prefixes`) and without the register's rows, then the register's rows read afresh (a few per
    entity) and the claim rows of the changed articles' `graphs`. Measured at 300 articles (32k
    rows): 0.27 s against 6.8 s for the whole-store read (~15 s at 1,000). Holds the same rows as
    write() of the whole store (tests/test_build_incremental.py checks it after adds, changes,
    deletes and a register change)."""
    fresh = [tuple(r[c].value for c in COLUMNS) for r in store.query(ENTITY_ROWS, use_default_graph_as_union=True)]
    if graphs and prefixes:
        values = " ".join(f"<{g}>" for g in graphs)
        items = [i for i in (r["item"].value for r in store.query(CLAIMS_IN % values)) if i.startswith(prefixes)]
        if items:
            rows = store.query(CLAIM_ROWS_OF % " ".join(f"<{i}>" for i in items), use_default_graph_as_union=True)
            fresh += [tuple(r[c].value for c in COLUMNS) for r in rows]
    with _written(path, copy_of=previous) as conn:
        conn.execute(f"DELETE FROM {TABLES['entity']}")
        if not _has_owners(conn):
            _add_owners(conn)  # a file written before the owners table: once, then by rowid
        for prefix in prefixes:
            found = conn.execute("SELECT id FROM articles WHERE prefix = ?", (prefix,)).fetchone()
            if found is not None:
                conn.execute(f"DELETE FROM {TABLES['claim']} WHERE rowid IN (SELECT rid FROM owners WHERE article = ?)",
                             found)
                conn.execute("DELETE FROM owners WHERE article = ?", found)
        # No 'optimize' here: it rewrites the whole index (0.57 s at 1,000 articles, 5.7 s at 10,000);
        # FTS5's automerge keeps the few segments an incremental build adds in check.
        _insert(conn, fresh, optimize=False)
        if also is not None:
            also(conn)
        return sum(int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES.values())


@contextmanager
def _written(path: Path, copy_of: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A connection to a new file (or a copy of `copy_of`) beside `path`, renamed onto it when the block
    ends without error: a reader sees the old file, no file, or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        if copy_of is not None:
            shutil.copyfile(copy_of, tmp)
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            yield conn
        finally:
            conn.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _has_owners(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'owners'").fetchone() is not None


def _add_owners(conn: sqlite3.Connection) -> None:
    for statement in OWNERS_SCHEMA:
        conn.execute(statement)
    conn.create_function("owner_prefix", 1, owner_prefix, deterministic=True)
    conn.execute(f"INSERT INTO articles (prefix) SELECT DISTINCT owner_prefix(item) FROM {TABLES['claim']}")
    conn.execute(f"INSERT INTO owners (rid, article) SELECT t.rowid, a.id FROM {TABLES['claim']} t "
                 "JOIN articles a ON a.prefix = owner_prefix(t.item)")


def owner_prefix(item: str) -> str:
    """The article a claim row belongs to: its IRI up to `/claim/{id}` (store/search_index.py SCHEMA)."""
    return item.rsplit("/", 2)[0] + "/"


def _insert(conn: sqlite3.Connection, rows: Iterable[tuple[str, ...]], optimize: bool = True) -> int:
    """`rows` into an index that has its owners tables (fill and write_updated make sure of it)."""
    n = 0
    articles = dict(conn.execute("SELECT prefix, id FROM articles"))
    next_article = max(articles.values(), default=0) + 1
    rid = int(conn.execute("SELECT coalesce(max(rid), 0) FROM owners").fetchone()[0])
    for row in rows:
        table = TABLES.get(row[1])
        if table is None:
            continue
        n += 1
        if table != TABLES["claim"]:
            conn.execute(f"INSERT INTO {table} (item, resource, field, text, label, detail) VALUES (?,?,?,?,?,?)", row)
            continue
        rid += 1
        prefix = owner_prefix(row[0])
        article = articles.get(prefix)
        if article is None:
            article = articles[prefix] = next_article
            next_article += 1
            conn.execute("INSERT INTO articles (id, prefix) VALUES (?, ?)", (article, prefix))
        conn.execute(f"INSERT INTO {table} (rowid, item, resource, field, text, label, detail) VALUES (?,?,?,?,?,?,?)",
                     (rid, *row))
        conn.execute("INSERT INTO owners (rid, article) VALUES (?, ?)", (rid, article))
    for table in TABLES.values() if optimize else ():
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    conn.commit()
    return n


def fill(conn: sqlite3.Connection, rows: Iterable[tuple[str, ...]]) -> int:
    """An index in `conn`: the tables, then `rows` (SearchIndex.in_memory)."""
    for statement in SCHEMA:
        conn.execute(statement)
    return _insert(conn, rows)


def prune(store: Path, keep: Iterable[Path]) -> None:
    """Remove the indexes of versions that are gone (swap.prune keeps two)."""
    where = folder(store)
    if not where.is_dir():
        return
    kept = {file_for(store, v.name).name for v in keep}
    for f in where.iterdir():
        if f.name not in kept and not (f.name.startswith(".") and f.name.endswith(".tmp")):
            f.unlink(missing_ok=True)


class SearchIndex:
    """One version's index, opened read-only (or made in memory from rows)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        # Requests search from several threads (asyncio.to_thread); one connection, one at a time.
        self._lock = threading.Lock()

    def _rows(self, sql: str, params: tuple) -> list[Row]:
        with self._lock:
            return [Row(*r) for r in self._conn.execute(sql, params)]

    @classmethod
    def open(cls, path: Path) -> "SearchIndex":
        # immutable=1: the file never changes once written (a new version has a new file).
        return cls(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False))

    @classmethod
    def in_memory(cls, rows: Iterable[tuple[str, ...]]) -> "SearchIndex":
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        fill(conn, rows)
        return cls(conn)

    def __len__(self) -> int:
        with self._lock:
            return sum(int(self._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES.values())

    def candidates(self, query: str, resource: str | None = None, limit: int = 2000) -> list[Row]:
        """What the API should rank for `query`: names sharing the most trigrams with it (typos
        leave most of them intact), and texts that contain each of its words."""
        folded = " ".join(query.lower().split())
        out: list[Row] = []
        if resource in (None, "entity"):
            out += self._ranked("names", folded, limit)
        if resource in (None, "claim"):
            out += self._containing("texts", folded, limit)
        return out

    def near_texts(self, query: str, limit: int = 2000) -> list[Row]:
        """Texts sharing the most trigrams with `query`: for a typo in a claim's words. The one
        search whose cost grows with the corpus (0.5-1.5 s over a million texts), so the API asks
        only when nothing else matched well."""
        folded = " ".join(query.lower().split())
        return self._ranked("texts", folded, limit) if len(folded) >= 4 else []

    def _ranked(self, table: str, folded: str, limit: int) -> list[Row]:
        grams = sorted({folded[i:i + 3] for i in range(len(folded) - 2)})
        if not grams:
            return self._containing(table, folded, limit)
        match = " OR ".join(_phrase(g) for g in grams)
        sql = _SELECT.format(t=table) + " ORDER BY rank LIMIT ?"
        return self._rows(sql, (match, limit))

    def _containing(self, table: str, folded: str, limit: int) -> list[Row]:
        words = [w for w in folded.split() if len(w) >= 3]
        if not words:  # too short for trigrams: a substring scan (the trigram index cannot help)
            like = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql = (f"SELECT item, resource, field, text, label, detail FROM {table} "
                   "WHERE text LIKE ? ESCAPE '\\' LIMIT ?")
            return self._rows(sql, (f"%{like}%", limit))
        match = " AND ".join(_phrase(w) for w in words)
        return self._rows(_SELECT.format(t=table) + " LIMIT ?", (match, limit))


def _phrase(text: str) -> str:
    """An FTS5 string: with the trigram tokenizer, a substring to find."""
    return '"' + text.replace('"', '""') + '"'
