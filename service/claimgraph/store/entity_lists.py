"""What an entity page lists, per store version: each entity's mentions and the claims about it, in
reading order, kept in the version's index file beside the search tables (store/search_index.py).

An entity named in every article has as many mentions as the corpus has articles, and the store
can only give them unordered: the page took the first 201 solutions and sorted those (139 ms at
10,000 articles, ~9 index lookups and a dozen decoded terms per row). Here the build writes every
row once, with its values already plain, keyed by (entity, article, begin): a page reads its first
201 rows in order by one index range, and they are the first in reading order, not an arbitrary
201. The (entity, article, begin, claim) pairs are also the claims list filtered by subject in its
key order, so its pages are index ranges too (api/rest/claims.py subject_walk).

The rows are what the page's queries (api/rest/queries.py MENTIONS_OF_ENTITY, CLAIMS_ABOUT_ENTITY
and the subject filter of claims_page) give over the union graph, read a few articles at a time so
that memory stays bounded and an incremental build reads only the articles it replaced. A version
without these tables (made by a write through the API, or by older code) is served by the queries.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Iterator

import pyoxigraph as ox

_PREFIXES = """PREFIX cg: <https://w3id.org/claimgraph/ontology#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX itsrdf: <http://www.w3.org/2005/11/its/rdf#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
# Every article that has sentences or claims: the only ones whose rows the page's queries reach.
ARTICLES = _PREFIXES + "SELECT DISTINCT ?article WHERE { { ?article cg:hasSentence ?s } UNION { ?article cg:hasClaim ?c } }"
# The article first: pyoxigraph joins in the order written.
MENTION_ROWS = _PREFIXES + """SELECT DISTINCT ?article ?entity ?mention ?words ?begin ?end ?role ?sentence ?position
       ?sentenceText WHERE {
  VALUES ?article { %s }
  ?article cg:hasSentence ?sentence .
  ?sentence cg:position ?position ;
            nif:anchorOf ?sentenceText .
  ?mention nif:sentence ?sentence ;
           itsrdf:taIdentRef ?entity ;
           nif:anchorOf ?words ;
           nif:beginIndex ?begin ;
           nif:endIndex ?end ;
           cg:mentionRole ?role .
}"""
# The claims about each entity, as two queries joined here: each claim's own values once (with
# the claimant's label), then its (claim, entity) pairs. As one query, every pattern ran once per
# entity a claim is about (0.69 s against 0.30 s for 40 articles).
CLAIMS_OF = _PREFIXES + """SELECT DISTINCT ?article ?claim ?quote ?stance ?attribution ?kind ?claimant ?claimantLabel
       ?begin WHERE {
  VALUES ?article { %s }
  ?article cg:hasClaim ?claim .
  ?claim cg:quote ?q ;
         cg:stance ?stance ;
         cg:attribution ?attribution ;
         cg:claimKind ?kind ;
         cg:claimant ?claimant .
  ?claimant rdfs:label ?claimantLabel .
  ?q nif:anchorOf ?quote ;
     nif:beginIndex ?begin .
}"""
# Where each claim is (its article and the start of its quote), whatever else it has: the pairs
# below are also the claims list filtered by subject (api/rest/queries.py CLAIM_FILTERS), which asks
# for no more than this.
PLACED = _PREFIXES + """SELECT DISTINCT ?article ?claim ?begin WHERE {
  VALUES ?article { %s }
  ?article cg:hasClaim ?claim .
  ?claim cg:quote ?q .
  ?q nif:beginIndex ?begin .
}"""
ABOUT = _PREFIXES + """SELECT DISTINCT ?claim ?entity WHERE {
  VALUES ?article { %s }
  ?article cg:hasClaim ?claim .
  ?claim cg:about ?entity .
}"""
MENTION_COLUMNS = ("entity", "article", "begin", "mention", "words", "end", "role", "sentence", "position",
                   "sentenceText")
CLAIM_COLUMNS = ("entity", "article", "begin", "claim", "quote", "stance", "attribution", "kind", "claimant",
                 "claimantLabel")
# Column names in SQL: the query's names, quoted (two of them are SQL keywords).
_M = ", ".join(f'"{c}"' for c in MENTION_COLUMNS)
# A claim's own values, once per claim: article first, so that an article's are one range.
_CLAIM = ", ".join(f'"{c}"' for c in ("article", "claim", "begin", *CLAIM_COLUMNS[4:]))
# Each table is its own ordered index (WITHOUT ROWID, every column in the key, the rows being
# distinct): the page reads a range of it, and no second copy of the long IRIs is kept. Rows of
# an article are deleted by (entity, article) for each entity in `listed`, or, for the claims'
# values, by their leading article. (With a rowid and two indexes the file was 60 % larger.)
SCHEMA = [
    f"CREATE TABLE mentions ({_M}, PRIMARY KEY ({_M})) WITHOUT ROWID",
    'CREATE TABLE claims_about (entity, article, "begin", claim, PRIMARY KEY (entity, article, "begin", claim)) '
    "WITHOUT ROWID",
    f"CREATE TABLE claims ({_CLAIM}, PRIMARY KEY ({_CLAIM})) WITHOUT ROWID",
    "CREATE TABLE listed (entity PRIMARY KEY) WITHOUT ROWID",
]
PER_QUERY = 40  # articles per query: a few thousand rows, so memory stays flat at any corpus size

_INTEGERS = frozenset(f"http://www.w3.org/2001/XMLSchema#{t}" for t in (
    "integer", "nonNegativeInteger", "int", "long", "positiveInteger", "short", "unsignedInt"))


def _plain(term: Any) -> Any:
    """A term as the REST records show it (api/rest/views.py py): IRIs and texts as strings, integers
    as ints, so a row read back needs no decoding."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal) and term.datatype is not None and term.datatype.value in _INTEGERS:
        try:
            return int(term.value)
        except ValueError:
            return term.value
    return term.value


_TABLES = ("mentions", "claims", "claims_about", "listed")


def has_tables(conn: sqlite3.Connection) -> bool:
    marks = ", ".join("?" * len(_TABLES))
    found = conn.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})", _TABLES)
    return int(found.fetchone()[0]) == len(_TABLES)


def articles_of(store: ox.Store) -> list[str]:
    return sorted(r["article"].value for r in store.query(ARTICLES, use_default_graph_as_union=True))


def _values(articles: list[str]) -> str:
    return " ".join(f"<{a}>" for a in articles)


def _mention_rows(store: ox.Store, articles: list[str]) -> list[tuple]:
    rows = store.query(MENTION_ROWS % _values(articles), use_default_graph_as_union=True)
    return [tuple(_plain(r[c]) for c in MENTION_COLUMNS) for r in rows]


def _claim_rows(store: ox.Store, articles: list[str]) -> tuple[list[tuple], list[tuple]]:
    """(claims' values, (entity, article, begin, claim) pairs) of `articles`."""
    values = _values(articles)
    claims = [tuple(_plain(r[c]) for c in ("article", "claim", "begin", *CLAIM_COLUMNS[4:]))
              for r in store.query(CLAIMS_OF % values, use_default_graph_as_union=True)]
    placed: dict[str, list[tuple[str, Any]]] = {}
    for r in store.query(PLACED % values, use_default_graph_as_union=True):
        placed.setdefault(r["claim"].value, []).append((r["article"].value, _plain(r["begin"])))
    pairs = [(r["entity"].value, article, begin, r["claim"].value)
             for r in store.query(ABOUT % values, use_default_graph_as_union=True)
             for article, begin in placed.get(r["claim"].value, ())]
    return claims, pairs


def _chunks(store: ox.Store, articles: list[str]) -> Iterator[tuple[list[tuple], ...]]:
    """Each few articles' rows (mentions, claims, pairs), read on two threads: pyoxigraph lets go of
    the GIL while it evaluates, and the reads are most of the cost (~0.1 ms a row). At most a few
    chunks wait for the writer, so memory stays flat."""
    def read(chunk: list[str]) -> tuple[list[tuple], ...]:
        return (_mention_rows(store, chunk), *_claim_rows(store, chunk))

    chunks = [articles[at:at + PER_QUERY] for at in range(0, len(articles), PER_QUERY)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        waiting: deque = deque()
        for chunk in chunks:
            waiting.append(pool.submit(read, chunk))
            if len(waiting) >= 4:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


def _insert(conn: sqlite3.Connection, store: ox.Store, articles: list[str]) -> int:
    n = 0
    for rows in _chunks(store, articles):
        for table, found in zip(("mentions", "claims", "claims_about"), rows):
            if found:
                conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(found[0]))})", found)
                n += len(found)
        conn.executemany("INSERT OR IGNORE INTO listed VALUES (?)",
                         {(r[0],) for r in rows[0]} | {(r[0],) for r in rows[2]})
    return n


def fill(conn: sqlite3.Connection, store: ox.Store) -> int:
    """The tables, with every article's rows."""
    for statement in SCHEMA:
        conn.execute(statement)
    n = _insert(conn, store, articles_of(store))
    conn.commit()
    return n


def replace(conn: sqlite3.Connection, store: ox.Store, articles: Iterable[str]) -> int:
    """In a copy of the previous version's file: the rows of `articles` (changed, added or removed)
    deleted, then read again from the new version for those it still holds. A file without the
    tables (written by older code) gets them whole."""
    if not has_tables(conn):
        return fill(conn, store)
    changed = sorted(set(articles))
    entities = [e for (e,) in conn.execute("SELECT entity FROM listed")]
    for table in ("mentions", "claims_about"):
        conn.executemany(f"DELETE FROM {table} WHERE entity = ? AND article = ?",
                         ((e, a) for a in changed for e in entities))
    conn.executemany("DELETE FROM claims WHERE article = ?", ((a,) for a in changed))
    n = _insert(conn, store, changed)
    conn.commit()
    return n


class EntityLists:
    """One version's tables, read-only (a connection per process, one reader at a time)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self._lock = threading.Lock()

    def _first(self, sql: str, iri: str, columns: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(zip(columns, r)) for r in self._conn.execute(sql, (iri, limit))]

    def mentions(self, iri: str, limit: int) -> list[dict[str, Any]]:
        """The first `limit` mentions of `iri` by article, then position in the text."""
        sql = f'SELECT {_M} FROM mentions WHERE entity = ? ORDER BY article, "begin", mention LIMIT ?'
        return self._first(sql, iri, MENTION_COLUMNS, limit)

    def claims_after(self, iri: str, after: tuple[str, int, str] | None, limit: int) -> list[tuple[str, str, int]]:
        """(claim, article, begin) of the claims about `iri` after `after` (article, begin, claim),
        in that order: a page of the claims list filtered by subject, by one index range."""
        sql = 'SELECT claim, article, "begin" FROM claims_about WHERE entity = ?'
        params: tuple[Any, ...] = (iri,)
        if after is not None:
            sql += ' AND (article, "begin", claim) > (?, ?, ?)'
            params += after
        with self._lock:
            return list(self._conn.execute(sql + ' ORDER BY article, "begin", claim LIMIT ?', (*params, limit)))

    def claims_about(self, iri: str, limit: int) -> list[dict[str, Any]]:
        """The first `limit` claims about `iri` by article, then position of the quote."""
        columns = ", ".join(f'c."{c}"' for c in CLAIM_COLUMNS[1:])
        sql = (f"SELECT a.entity, {columns} FROM claims_about a JOIN claims c "
               'ON c.claim = a.claim AND c.article = a.article AND c."begin" = a."begin" '
               'WHERE a.entity = ? ORDER BY a.article, a."begin", a.claim LIMIT ?')
        return self._first(sql, iri, CLAIM_COLUMNS, limit)
