"""The `claimgraph` command: build, validate, export, query, stats, serve.

Every flag also reads a CLAIMGRAPH_* environment variable (see config.py);
a flag given on the command line wins.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .config import Settings

EXPORT_FORMATS = {"trig": "TRIG", "nquads": "N_QUADS", "turtle": "TURTLE", "jsonld": "JSON_LD", "ntriples": "N_TRIPLES"}
RESULT_FORMATS = ("table", "json", "csv", "tsv", "xml", "turtle", "ntriples", "nquads", "trig", "jsonld")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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

    settings = _settings(args)
    started = time.perf_counter()
    try:
        report = build(settings, log=_err)
    except BuildFailed as exc:
        _err(f"build failed at {exc.stage}; the live store at {settings.store} is unchanged:")
        for p in exc.problems:
            _err(f"  {p}")
        return 1
    total = sum(report.triples_per_graph.values())
    _err(f"built {total} triples in {len(report.triples_per_graph)} graphs in {time.perf_counter() - started:.1f}s "
         f"(reasoner: {report.reasoner})")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .build import BuildFailed, compile_dataset

    settings = _settings(args)
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
    import pyoxigraph as ox

    store = _open(_settings(args))
    fmt = getattr(ox.RdfFormat, EXPORT_FORMATS[args.format])
    if args.format in ("turtle", "ntriples"):
        # Triple formats: the union of all graphs, as the default-graph view users query.
        data = store.raw.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }").serialize(format=fmt)
    else:
        data = store.raw.dump(format=fmt)
    if args.output and args.output != "-":
        Path(args.output).write_bytes(data)
        _err(f"wrote {len(data)} bytes to {args.output}")
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from .sparql.cli_format import write_result

    store = _open(_settings(args))
    text = args.sparql
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        result = store.query(text)
    except SyntaxError as exc:
        _err(f"query syntax error: {exc}")
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
    for key in ("articles", "sentences", "mentions", "claims", "entities", "events", "policies"):
        print(f"{key}: {stats[key]}")
    for key in ("claims_by_kind", "claims_by_claimant", "claims_by_attribution", "entities_by_type"):
        print(f"{key.replace('_', ' ')}:")
        for k, n in stats[key].items():
            print(f"  {n:>4}  {k}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .api.allocator import AllocatorError, ensure

    settings = _settings(args)
    try:
        # First, before the server and the store are loaded: this may re-execute the command.
        ensure(settings.allocator, reexec=args.own_command_line)
    except AllocatorError as exc:
        print(exc, file=sys.stderr)
        return 2
    from .api.server import serve

    return serve(settings)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claimgraph", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"claimgraph {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--store", help="store path (CLAIMGRAPH_STORE, default var/store)")
        sp.add_argument("--data", help="data folder (CLAIMGRAPH_DATA, default data/)")
        sp.add_argument("--base-iri", dest="base_iri", help="base of minted IRIs (CLAIMGRAPH_BASE_IRI)")

    b = sub.add_parser("build", help="read data/, validate, reason, and swap in a new store")
    common(b)
    b.add_argument("--no-reasoner", action="store_true", help="skip OWL reasoning (CLAIMGRAPH_REASONER=none)")
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
    sv = sub.add_parser("serve", help="serve the store over HTTP")
    common(sv)
    sv.add_argument("--host", help="interface (CLAIMGRAPH_HOST, default 127.0.0.1)")
    sv.add_argument("--port", type=int, help="port (CLAIMGRAPH_PORT, default 8000)")
    sv.add_argument("--processes", type=int, help="serving processes on one socket, read-only when > 1 "
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


if __name__ == "__main__":
    raise SystemExit(main())
