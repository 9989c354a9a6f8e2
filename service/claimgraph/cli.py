"""The `claimgraph` command: build, validate, export, query, stats, serve, add, draft, review.

Every flag also reads a CLAIMGRAPH_* environment variable (see config.py);
a flag given on the command line wins.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from . import __version__
from .config import Settings

EXPORT_FORMATS = {"trig": "TRIG", "nquads": "N_QUADS", "turtle": "TURTLE", "jsonld": "JSON_LD", "ntriples": "N_TRIPLES"}
RESULT_FORMATS = ("table", "json", "csv", "tsv", "xml", "turtle", "ntriples", "nquads", "trig", "jsonld")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class UsageError(Exception):
    """A mistake on the command line or in a file it names: one line, exit status 2."""


def _read_text(path: str, what: str) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path}: is a folder, not a file") from None
    except PermissionError:
        raise UsageError(f"{what} {path}: not readable (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None


def _data_folder(settings: Settings) -> Settings:
    if not settings.data_dir.is_dir():
        raise UsageError(f"no data folder at {settings.data_dir} (--data or CLAIMGRAPH_DATA)")
    return settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(
        store=Path(args.store) if getattr(args, "store", None) else None,
        data_dir=Path(args.data) if getattr(args, "data", None) else None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        processes=getattr(args, "processes", None),
        base_iri=getattr(args, "base_iri", None),
        reasoner="none" if getattr(args, "no_reasoner", False) else None,
    )


def cmd_build(args: argparse.Namespace) -> int:
    from .build import BuildFailed, build

    settings = _data_folder(_settings(args))
    started = time.perf_counter()
    try:
        report = build(settings, log=_err, force=args.force)
    except BuildFailed as exc:
        _err(f"build failed at {exc.stage}; the live store at {settings.store} is unchanged:")
        for p in exc.problems:
            _err(f"  {p}")
        return 1
    total = sum(report.triples_per_graph.values())
    _err(f"built {total} triples in {len(report.triples_per_graph)} graphs in {time.perf_counter() - started:.1f}s "
         f"(reasoner: {report.reasoner})")
    if settings.remote:
        return _load_remote(settings, full=args.full)
    return 0


def _load_remote(settings: Settings, full: bool) -> int:
    """CLAIMGRAPH_BACKEND=remote: the live version's graphs into the server (store/remote_load.py)."""
    from .namespaces import Minter
    from .store.remote import RemoteError, RemoteStore, config_from
    from .store.remote_load import load_version
    from .store.swap import current_version_dir

    live = current_version_dir(settings.store)
    if live is None:
        _err(f"no built store at {settings.store} to load into the backend")
        return 1
    mint = Minter(settings.base_iri)
    remote = RemoteStore(config_from(settings))
    try:
        load_version(live, settings.store, remote, settings.base_iri, mint.dataset, mint.graph("dataset"),
                     full=full, log=_err)
    except RemoteError as exc:
        _err(f"loading into the backend failed: {exc.message}; run the build again once it is back "
             "(graphs already sent are kept; the rest are sent then)")
        return 1
    finally:
        remote.close()
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .build import BuildFailed, compile_dataset

    settings = _data_folder(_settings(args))
    try:
        compile_dataset(settings, log=_err)
    except BuildFailed as exc:
        _err(f"{len(exc.problems)} problem(s) at {exc.stage}:")
        for p in exc.problems:
            print(p)
        return 1
    _err("valid: every reading checks against its text, the register, SHACL and the reasoner")
    return 0


def _open(settings: Settings):  # noqa: ANN202
    from .store.embedded import EmbeddedStore

    try:
        return EmbeddedStore(settings.store, read_only=True)
    except FileNotFoundError as exc:
        _err(str(exc))
        raise SystemExit(2)


def cmd_export(args: argparse.Namespace) -> int:
    import contextlib

    import pyoxigraph as ox

    from .namespaces import PREFIXES
    from .sparql.rdf_writer import dump_store, write_rdf

    store = _open(_settings(args))
    fmt = getattr(ox.RdfFormat, EXPORT_FORMATS[args.format])
    target = Path(args.output) if args.output and args.output != "-" else None
    # Straight to the file (or stdout), never the whole corpus in memory; a file appears only whole.
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp") if target is not None else None
    try:
        with (open(partial, "wb") if partial is not None else contextlib.nullcontext(sys.stdout.buffer)) as out:
            if args.format in ("turtle", "ntriples"):
                # Triple formats: the union of all graphs, as the default-graph view users query.
                write_rdf(store.raw.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"), out, fmt,
                          PREFIXES)
            else:
                dump_store(store.raw, out, fmt, PREFIXES)
        if partial is not None and target is not None:
            os.replace(partial, target)
            _err(f"wrote {target.stat().st_size} bytes to {target}")
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from .sparql.cli_format import write_result

    from .sparql.prefixes import with_prefixes
    from .sparql.syntax_errors import explain

    text = args.sparql
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        text = _read_text(text[1:], "query file")
    store = _open(_settings(args))
    text, shift = with_prefixes(text)
    try:
        result = store.query(text)
    except SyntaxError as exc:
        _err(f"claimgraph query: {explain(text, str(exc), shift)}")
        return 2
    write_result(result, args.format, sys.stdout.buffer)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    import json

    from .stats import collect

    store = _open(_settings(args))
    stats = collect(store)
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print("triples per graph:")
    for g, n in stats["triples_per_graph"].items():
        print(f"  {n:>7}  {g}")
    print(f"  {stats['triples']:>7}  total")
    for key, where in (("articles", "/api/articles"), ("sentences", ""), ("mentions", ""), ("claims", "/api/claims"),
                       ("entities", "/api/entities"), ("events", "/api/events: references with their dates"),
                       ("policies", "/api/policies: register entries"),
                       ("policy_references", "where articles invoke a policy")):
        print(f"{key.replace('_', ' ')}: {stats[key]}" + (f"  ({where})" if where else ""))
    for key in ("claims_by_kind", "claims_by_claimant", "claims_by_attribution", "entities_by_type"):
        print(f"{key.replace('_', ' ')}:")
        for k, n in stats[key].items():
            print(f"  {n:>4}  {k}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from .ingest.add import AddFailed, add_article
    from .ingest.extract import ExtractionFailed
    from .ingest.fetch import FetchRefused

    settings = _settings(args)
    try:
        added = add_article(args.source, settings.data_dir, slug=args.slug, fetch_url=args.fetch,
                            allow_private=args.allow_private_address, timeout=args.timeout,
                            max_bytes=args.max_bytes, title=args.title)
    except (AddFailed, ExtractionFailed, FetchRefused) as exc:
        _err(f"add: {exc}")
        return 2
    ex = added.extracted
    print(f"added {added.slug}: {added.folder}/article.txt ({len(ex.text)} characters, {ex.tools.get('extractor')})")
    print(f"  title: {ex.title!r}  published: {ex.date}  publisher: {added.publisher or 'not in the register'}")
    for p in added.proposed:
        print(f"  proposed new entity {p['id']} ({p['type']}, {p['label']!r}) as {p['role']}")
    print(f"next: claimgraph draft {added.slug}")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from .draft.run import DraftRefused, draft_article

    settings = _settings(args)
    try:
        path, d = draft_article(settings.data_dir, args.slug, replace_reviewed=args.replace_reviewed)
    except DraftRefused as exc:
        _err(f"draft: {exc}")
        return 2
    print(f"drafted {path}: {len(d.sentences)} sentence units, {sum(len(s['mentions']) for s in d.sentences)} "
          f"mentions, {len(d.claims)} claims, {len(d.events)} events, {len(d.policies)} policies, "
          f"{len(d.entities)} candidate entities, all status: draft")
    print(f"next: review them (claimgraph review {args.slug}), then claimgraph build")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from .draft.review import ReviewFailed, accept, pending, reject

    settings = _settings(args)
    try:
        if args.accept:
            for line in accept(settings.data_dir, args.slug, args.accept):
                print(line)
        if args.reject:
            for line in reject(settings.data_dir, args.slug, args.reject):
                print(line)
        left = pending(settings.data_dir, args.slug)
    except ReviewFailed as exc:
        _err(f"review: {exc}")
        return 2
    shown = f"articles/{args.slug}/reading.yaml"
    if not args.accept and not args.reject:
        for it in left:
            print(f"{shown}:{it.line}: {it.kind} {it.id}: {it.words[:70]!r}  [{it.rule[:90]}]")
    print(f"{len(left)} item(s) still draft in {shown}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve.allocator import AllocatorError, ensure

    settings = _settings(args)
    try:
        # First, before the server and the store are loaded: this may re-execute the command.
        ensure(settings.allocator, reexec=args.own_command_line)
    except AllocatorError as exc:
        print(exc, file=sys.stderr)
        return 2
    from .serve.server import serve

    return serve(settings)


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on one line (the usage block is what --help is for)."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n}: must be 1 or more")
    return n


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="claimgraph", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"claimgraph {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--store", help="store path (CLAIMGRAPH_STORE, default var/store)")
        sp.add_argument("--data", help="data folder (CLAIMGRAPH_DATA, default data/)")
        sp.add_argument("--base-iri", dest="base_iri", help="base of minted IRIs (CLAIMGRAPH_BASE_IRI)")

    b = sub.add_parser("build", help="read data/, validate, reason, and swap in a new store")
    common(b)
    b.add_argument("--no-reasoner", action="store_true", help="skip OWL reasoning (CLAIMGRAPH_REASONER=none)")
    b.add_argument("--force", action="store_true",
                   help="make and swap in a new version even when nothing changed (the live one stays otherwise)")
    b.add_argument("--full", action="store_true",
                   help="with CLAIMGRAPH_BACKEND=remote: send every graph to the server, not only the changed ones")
    b.set_defaults(func=cmd_build)
    v = sub.add_parser("validate", help="check every reading; exit 1 listing all problems")
    common(v)
    v.add_argument("--no-reasoner", action="store_true")
    v.set_defaults(func=cmd_validate)
    e = sub.add_parser("export", help="dump the whole dataset")
    common(e)
    e.add_argument("--format", choices=sorted(EXPORT_FORMATS), default="trig")
    e.add_argument("--output", "-o", help="file to write (default stdout)")
    e.set_defaults(func=cmd_export)
    q = sub.add_parser("query", help="run a SPARQL query against the store (union default graph)")
    common(q)
    q.add_argument("sparql", help="query text, @file.rq, or - for stdin")
    q.add_argument("--format", choices=RESULT_FORMATS, default="table")
    q.set_defaults(func=cmd_query)
    s = sub.add_parser("stats", help="triples per graph, claims, entities")
    common(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)
    a = sub.add_parser("add", help="add an article from a text file, a saved HTML page, or a URL (--fetch)")
    common(a)
    a.add_argument("source", help="a .txt or .html file, or an http(s) URL (fetched only with --fetch)")
    a.add_argument("--slug", help="folder name under data/articles/ (default: from the title)")
    a.add_argument("--title", help="the title, where the page has none or a wrong one")
    a.add_argument("--fetch", action="store_true", help="fetch the URL (nothing is fetched without it)")
    a.add_argument("--timeout", type=float, default=15.0, help="seconds the whole fetch may take (default 15)")
    a.add_argument("--max-bytes", dest="max_bytes", type=_positive, default=5 * 1024 * 1024,
                   help="the largest page kept (default 5 MiB)")
    a.add_argument("--allow-private-address", dest="allow_private_address", action="store_true",
                   help="let the URL itself be on a private or loopback address (an intranet); "
                        "redirects there are refused always")
    a.set_defaults(func=cmd_add)
    d = sub.add_parser("draft", help="propose the reading of an added article (every item status: draft)")
    common(d)
    d.add_argument("slug")
    d.add_argument("--replace-reviewed", dest="replace_reviewed", action="store_true",
                   help="draft anew even though the reading holds reviewed items (they are lost)")
    d.set_defaults(func=cmd_draft)
    r = sub.add_parser("review", help="list what is still draft in a reading; accept or reject items by id")
    common(r)
    r.add_argument("slug")
    r.add_argument("--accept", nargs="+", metavar="ID", help="ids, kinds (sentences, mentions, claims, events, "
                   "policies, entities), globs, or all: set status: reviewed (an entity joins the register)")
    r.add_argument("--reject", nargs="+", metavar="ID", help="ids, kinds or globs: delete the proposals")
    r.set_defaults(func=cmd_review)
    sv = sub.add_parser("serve", help="serve the store over HTTP")
    common(sv)
    sv.add_argument("--host", help="interface (CLAIMGRAPH_HOST, default 127.0.0.1)")
    sv.add_argument("--port", type=_port, help="port (CLAIMGRAPH_PORT, default 8000)")
    sv.add_argument("--processes", type=_positive, help="serving processes on one socket, read-only when > 1 "
                    "(CLAIMGRAPH_PROCESSES, default auto: one per core up to 4, or 1 with an update token)")
    sv.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.own_command_line = argv is None  # `serve` may re-execute a real command line, not a call
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`claimgraph export | head`): nothing wrong here. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except UsageError as exc:
        _err(f"claimgraph {args.command}: {exc}")
        return 2
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        # A path on the command line or in the configuration that is not there or not usable.
        name = exc.filename if getattr(exc, "filename", None) else ""
        _err(f"claimgraph {args.command}: {name + ': ' if name else ''}{exc.strerror or exc}")
        return 2
    except Exception as exc:  # noqa: BLE001 - a user sees one line, never a traceback
        if os.environ.get("CLAIMGRAPH_DEBUG"):
            raise
        _err(f"claimgraph {args.command}: {type(exc).__name__}: {exc} "
             "(CLAIMGRAPH_DEBUG=1 shows where)")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
