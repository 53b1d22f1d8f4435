"""The `balikg` command: validate, describe and export the graph from the shell.

Each subcommand loads the graph the same way the server does (`loader.load`, then `validation.validate`)
so what passes here is what gets served. Exit codes: 0 success, 1 the graph does not conform or cannot
be loaded, 2 wrong usage (argparse's own).
"""

import argparse
import sys
from pathlib import Path

from . import __version__
from .datafiles import DataLayout
from .dumps import dump
from .formats import DUMP_FORMATS
from .loader import LoadedGraph, LoadError, load
from .settings import Settings

# Heavy modules (pySHACL, rdflib, FastAPI) are imported inside the commands that need them: query worker
# processes start by importing this module, and each should start fast.


def _load(args) -> LoadedGraph:
    data_dir = args.data_dir or Settings().data_dir
    return load(DataLayout.for_data_dir(data_dir))


def _settings(args) -> Settings:
    """The settings (environment and defaults), with the data folder `--data-dir` names if given."""
    return Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))


def _prepared(settings: Settings, refused_means: str = "", *, apart: bool = False):
    """The validated dataset `settings` name, or None after printing why the graph was refused (and
    `refused_means`, what the refusal leaves as it was). With `apart` (a server), a graph that must be
    validated is validated in a child process (`dataset.prepare_apart`)."""
    from .dataset import GraphRefused, prepare, prepare_apart

    try:
        return prepare_apart(settings) if apart else prepare(settings)
    except GraphRefused as refused:
        print(refused.report.render(), file=sys.stderr)
        if refused_means:
            print(refused_means, file=sys.stderr)
        return None


def cmd_validate(args) -> int:
    from .validation import validate

    loaded = _load(args)
    report = validate(loaded)
    print(report.render(warnings_in_full=args.warnings))
    return 0 if report.conforms else 1


def _shorten(iri: str) -> str:
    for prefix, ns in (
        ("bp:", "https://w3id.org/bali-process-kg/def#"),
        ("graph/", "https://w3id.org/bali-process-kg/graph/"),
    ):
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri


def cmd_stats(args) -> int:
    from . import statistics

    loaded = _load(args)
    print(f"Graph version {loaded.version} ({len(loaded.store)} quads)\n")
    print("Triples per named graph:")
    for graph, count in statistics.triples_per_graph(loaded).items():
        print(f"  {count:>7}  <{graph}>  ({loaded.graph_files[graph].name})")
    print("\nInstances per class:")
    for cls, count in statistics.instances_per_class(loaded).items():
        print(f"  {count:>7}  {_shorten(cls)}")
    unsourced = statistics.facts_without_source(loaded)
    print(f"\nFacts without source: {len(unsourced)}")
    for item in unsourced:
        print(f"  <{item.fact}>  ({_shorten(item.cls)})")
    return 0


def cmd_sources(args) -> int:
    from . import statistics

    if args.quality:  # the ready-made query `source-quality`, as a table
        return cmd_query(
            argparse.Namespace(query_id="source-quality", param=[], format="table", data_dir=args.data_dir)
        )
    sys.stdout.write(statistics.sources_markdown(_load(args)))
    return 0


def cmd_export(args) -> int:
    loaded = _load(args)
    data = dump(loaded, args.format)
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from .app import create_app
    from .connections import protocol_for

    overrides = {
        k: v
        for k, v in {
            "data_dir": args.data_dir,
            "host": args.host,
            "port": args.port,
            "engine": args.engine,
            "workers": args.workers,
            "store_url": args.store,
        }.items()
        if v is not None
    }
    settings = Settings(**overrides)
    if settings.store_url:
        from .app import open_remote
        from .dataset import ServedDataset
        from .errors import RequestFailed
        from .remote import EngineEmpty

        try:
            store = open_remote(settings)
        except (EngineEmpty, RequestFailed, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        dataset = ServedDataset.published(settings, store.meta)
        print(f"Graph {dataset.version}: {dataset.triples} triples, served by {store.endpoints.describe()}.")
    else:
        dataset = _prepared(settings, "Not serving: the graph does not conform to the shapes.", apart=True)
        if dataset is None:
            return 1
        print(f"Graph {dataset.version}: {dataset.triples} triples, {len(dataset.named_graphs)} named graphs, valid.")
    print(f"SPARQL endpoint: http://{settings.host}:{settings.port}/sparql", flush=True)
    uvicorn.run(
        create_app(settings, dataset=None if settings.store_url else dataset),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=settings.access_log,
        http=protocol_for(settings),
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )
    return 0


def cmd_load(args) -> int:
    import shutil

    from .dataset import published_dir
    from .errors import RequestFailed
    from .publish import publish
    from .remote import Endpoints
    from .store import DUMPS_DIR

    settings = _settings(args)
    try:
        endpoints = Endpoints.parse(
            args.to, args.update or settings.store_update_url, args.graph_store or settings.store_graph_store_url
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dataset = _prepared(
        settings, "Not loaded: the graph does not conform to the shapes; the engine keeps what it serves."
    )
    if dataset is None:
        return 1
    try:
        done = publish(dataset, endpoints)
    except RequestFailed as error:
        print(f"error: {error.message}", file=sys.stderr)
        print("Not loaded: the engine keeps the version it served before.", file=sys.stderr)
        return 1
    # the dumps travel with the version: replicas sharing BALIKG_STORE_DIR serve them from here
    target = published_dir(settings, dataset.version) / DUMPS_DIR
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / (".staging-" + DUMPS_DIR)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(dataset.directory / DUMPS_DIR, staging)
        staging.rename(target)
    if done.changed:
        print(
            f"Loaded graph {done.version} ({done.triples} triples) into {endpoints.describe()}; it was {done.previous or 'empty'}."
        )
    else:
        print(f"The engine at {endpoints.describe()} already serves graph {done.version}; nothing to load.")
    print(f"Dumps of this version: {target}")
    return 0


def cmd_queries(args) -> int:
    from .catalogue import Catalogue

    allowlist = Settings().service_allowlist
    for query in Catalogue():
        params = ", ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in query.params)
        off = "" if query.runs_with(allowlist) else "  (federated: off, see BALIKG_SERVICE_ALLOWLIST)"
        print(f"{query.id:<38} {query.title}" + (f"  [{params}]" if params else "") + off)
    return 0


def cmd_query(args) -> int:
    import asyncio
    import csv
    import io

    from .catalogue import Catalogue, ParameterError
    from .errors import RequestFailed
    from .executor import LocalExecutor
    from .service import QueryService
    from .store import open_store

    catalogue = Catalogue()
    query = catalogue.get(args.query_id)
    if query is None:
        print(f"error: no ready-made query '{args.query_id}' (see `balikg queries`)", file=sys.stderr)
        return 1
    values = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"error: --param expects name=value, got {item!r}", file=sys.stderr)
            return 2
        values[name] = value
    try:
        bindings = query.bindings(values)
    except ParameterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = _settings(args)
    dataset = _prepared(settings)
    if dataset is None:
        return 1
    graph = query.form == "graph"
    media = {
        "csv": "text/csv",
        "json": "application/sparql-results+json",
        "tsv": "text/tab-separated-values",
        "table": "text/csv",
    }[args.format]
    if graph:
        media = "application/ld+json" if args.format == "json" else "text/turtle"
    if query.services and not query.runs_with(settings.service_allowlist):
        print(f"error: {query.federation_off_message()}", file=sys.stderr)
        return 1
    store = open_store(settings.engine, dataset.directory)
    service = QueryService(LocalExecutor(store, settings.service_allowlist, settings.service_map), settings)
    request = service.request(
        query.body, media_type=media, bindings=bindings, max_rows=10**9, columns=query.column_names, own_text=True
    )
    try:
        outcome = asyncio.run(service.answer(request))
    except RequestFailed as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    if args.format == "table" and not graph:
        rows = list(csv.reader(io.StringIO(outcome.body.decode("utf-8"))))
        widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))] if rows else []
        for index, row in enumerate(rows):
            print("  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
            if index == 0:
                print("  ".join("-" * w for w in widths))
        print(f"({len(rows) - 1} rows)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(outcome.body)
    return 0


def cmd_wikidata(args) -> int:
    import asyncio

    from . import wikidata
    from .catalogue import Catalogue
    from .errors import RequestFailed
    from .executor import LocalExecutor
    from .service import QueryService
    from .store import open_store

    if args.format and (args.format == "csv") != (args.action == "diff"):
        print(f"error: {args.action} writes {'csv' if args.action == 'diff' else 'quickstatements'}", file=sys.stderr)
        return 2
    try:
        snapshot = wikidata.load_snapshot(args.snapshot)
    except wikidata.SnapshotError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    settings = _settings(args)
    dataset = _prepared(settings)
    if dataset is None:
        return 1
    service = QueryService(LocalExecutor(open_store(settings.engine, dataset.directory)), settings)
    try:
        statements = asyncio.run(wikidata.our_statements(service, Catalogue()))
    except RequestFailed as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    differences = wikidata.diff(statements, snapshot)
    if args.action == "diff":
        text = wikidata.diff_csv(differences)
        summary = ", ".join(f"{n} {status}" for status, n in wikidata.counts(differences).items())
        print(f"{len(differences)} statements: {summary}", file=sys.stderr)
    else:
        text = wikidata.quickstatements(differences)
        print(f"{text.count(chr(10))} QuickStatements commands", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="balikg", description="The Bali Process Knowledge Graph.")
    parser.add_argument("--version", action="version", version=f"balikg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--data-dir", type=Path, help="folder of data files (default: BALIKG_DATA_DIR or the shipped graph)"
        )
        sub.set_defaults(handler=handler)
        return sub

    add("validate", cmd_validate, "Parse every file and check the graph against the SHACL shapes.").add_argument(
        "--warnings", action="store_true", help="print every warning in full, not only their counts"
    )
    serve = add("serve", cmd_serve, "Validate the graph, then serve the SPARQL endpoint with uvicorn.")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--engine", choices=["oxigraph", "rdflib"], help="query engine (default oxigraph)")
    serve.add_argument("--workers", type=int, help="query worker processes (default: one per CPU, at most 8, plus one)")
    serve.add_argument(
        "--store",
        metavar="URL",
        help="answer from a SPARQL engine loaded with `balikg load --to` (an Oxigraph server's base URL, or another "
        "engine's query URL) instead of the embedded store",
    )
    load_to = add("load", cmd_load, "Validate the graph, then publish it into a SPARQL engine as one new version.")
    load_to.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the engine: an Oxigraph server's base URL, or another engine's query URL",
    )
    load_to.add_argument("--update", metavar="URL", help="the engine's SPARQL Update URL, if not derived from --to")
    load_to.add_argument(
        "--graph-store", metavar="URL", help="the engine's Graph Store URL for quads (default: batched SPARQL Update)"
    )
    commands.add_parser("queries", help="List the ready-made queries.").set_defaults(handler=cmd_queries)
    run = add("query", cmd_query, "Run one ready-made query locally (no server needed).")
    run.add_argument("query_id", help="the query's id (see `balikg queries`)")
    run.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter value (repeatable)"
    )
    run.add_argument(
        "--format", choices=["table", "csv", "json", "tsv"], default="table", help="output format (default table)"
    )
    add("stats", cmd_stats, "Triples per named graph, instances per class, facts without a source.")
    add("sources", cmd_sources, "Print data/SOURCES.md: every cited source and the facts it supports.").add_argument(
        "--quality",
        action="store_true",
        help="instead, per kind of fact: how many facts cite a primary-record or official document, and the share",
    )
    wd = add(
        "wikidata",
        cmd_wikidata,
        "Compare our well-sourced statements with a Wikidata snapshot (diff, as CSV), or write the ones Wikidata "
        "lacks as QuickStatements (export).",
    )
    wd.add_argument("action", choices=["diff", "export"], help="diff: every statement and its status; export: commands")
    wd.add_argument(
        "--snapshot", required=True, help="Wikidata entities as JSON, in Special:EntityData's shape ({'entities': …})"
    )
    wd.add_argument(
        "--format",
        choices=["csv", "quickstatements"],
        help="csv for diff (the default), quickstatements for export (the default)",
    )
    wd.add_argument("-o", "--output", help="file to write (default: standard output)")
    export = add("export", cmd_export, "Write the whole graph in one RDF format.")
    export.add_argument("--format", choices=sorted(DUMP_FORMATS), default="ttl", help="output format (default ttl)")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (LoadError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
