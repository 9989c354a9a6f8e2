"""Whether a query parses, found in the serving process before it waits for a worker.

A query the gate passes but the parser refuses would otherwise queue for a
worker only to be told it has a syntax error there: while runaways hold every
worker, that client waited out the deadline and got a 503 instead of its 400
(the 30-minute soak: 65 of them). The parser is pyoxigraph's own, so the
message is the one a worker would have sent.

pyoxigraph has no parse-only entry, but `Store.query` parses, plans and
returns a lazy iterator for SELECT, CONSTRUCT and DESCRIBE: on an empty
in-memory store, not iterating it, nothing is evaluated (measured: a
3 × 3,000-row VALUES cross product returns in ~7 ms, all of it parsing). ASK
is evaluated at once, so an ASK is probed as a SELECT: its keyword replaced
by a projection of one constant, which takes the same WhereClause, solution
modifiers and VALUES, and the error's column moved back where the two differ.
"""

from __future__ import annotations

import re
import threading

import pyoxigraph as ox

_AT = re.compile(r"^error at (\d+):(\d+)")
_local = threading.local()  # one empty store per thread (to_thread probes long queries)


def _empty() -> ox.Store:
    store = getattr(_local, "store", None)
    if store is None:
        store = _local.store = ox.Store()
    return store


def syntax_error(text: str, form: str, form_at: int, base_iri: str | None) -> str | None:
    """pyoxigraph's message if `text` does not parse, else None. `form_at`: where the gate found the
    form's keyword (Verdict.form_at)."""
    probe, at, delta = text, None, 0
    if form == "ASK":
        if not (0 <= form_at and text[form_at:form_at + 3].upper() == "ASK"):
            return None  # cannot find the keyword: leave the query to a worker
        name = "claimgraph_ask_probe"
        while name in text:
            name += "_"
        select = f"SELECT (1 AS ?{name})"
        probe = text[:form_at] + select + text[form_at + 3:]
        at, delta = form_at, len(select) - 3
    try:
        _empty().query(probe, base_iri=base_iri)
    except SyntaxError as exc:
        message = str(exc)
        return message if at is None else _moved_back(message, text, at, delta)
    except Exception:  # noqa: BLE001 - anything but a parse error is for a worker to judge
        return None
    return None


def _moved_back(message: str, text: str, at: int, delta: int) -> str:
    """The probe's error position as a position in the user's text (only the ASK line moved)."""
    m = _AT.match(message)
    if not m:
        return message
    line, col = int(m.group(1)), int(m.group(2))
    ask_line = text.count("\n", 0, at) + 1
    ask_col = at - (text.rfind("\n", 0, at) + 1) + 1
    if line != ask_line or col <= ask_col:
        return message
    return f"error at {line}:{max(ask_col, col - delta)}" + message[m.end():]
