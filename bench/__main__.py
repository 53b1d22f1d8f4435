"""The benchmark's command line: `python -m bench run|load|remote|cost|writers|generate …`.

Each command imports its module when it runs, so that one command does not load what the others need.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

from . import servers


def cmd_generate(args) -> int:
    from .generate import generate

    counts = generate(args.factor, args.out, args.data_dir)
    print(f"wrote {sum(counts.values())} triples (before de-duplication) in {len(counts)} files to {args.out}")
    return 0


def cmd_run(args) -> int:
    from .harness import Settings, run
    from .report import render

    # On SIGTERM, unwind through the harness's `finally` blocks so no server is left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = Settings(
        scales=args.scale,
        duration=args.duration,
        reps=args.reps,
        connections=args.connections,
        workdir=args.workdir,
        servers=tuple(args.servers),
        only=tuple(args.only),
        first_start=not args.no_first_start,
        interleave=args.interleave,
        request_timeout=args.request_timeout,
    )
    scales = run(settings, log=lambda line: print(line, flush=True))
    text = render(scales, _typed(), args.duration, args.reps, args.connections, interleaved=args.interleave)
    return _report(text, args.out)


def _typed() -> str:
    """The command as it was typed, for the report's heading."""
    return "python -m bench " + shlex.join(sys.argv[1:])


def _report(text: str, out: Path | None) -> int:
    if out:
        out.write_text(text, encoding="utf-8")
        print(f"report written to {out}")
    else:
        print(text)
    return 0


def cmd_load(args) -> int:
    from .load import main as load

    return load(args.url, args.connections, args.duration, args.workdir)


def cmd_remote(args) -> int:
    from .remote import render, run_scale

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {
        factor: run_scale(factor, args.workdir, args.duration, args.connections, args.start_timeout, log=print)
        for factor in args.scale
    }
    return _report(render(results, _typed(), args.duration, args.connections), args.out)


def cmd_cost(args) -> int:
    from .cost import render, run

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    costs = run(args.workdir, args.duration, args.connections, tuple(args.only))
    return _report(render(costs, _typed(), args.duration, args.connections), args.out)


def cmd_writers(args) -> int:
    from .writers import render, run

    costs = run(args.workdir / "stores", args.rounds, tuple(args.only))
    return _report(render(costs, _typed()), args.out)


def _report_options(command: argparse.ArgumentParser, workdir: str) -> None:
    """--workdir (what the folder keeps) and --out, which every command that writes a report takes."""
    command.add_argument("--workdir", type=Path, default=Path("/tmp/balikg-bench"), help=workdir)
    command.add_argument("--out", type=Path, help="write the report here (default: standard output)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark the SPARQL endpoint.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the servers, run the workload, write a Markdown report")
    run.add_argument("--scale", type=int, nargs="+", default=[1], help="data scale factors (default 1)")
    run.add_argument("--duration", type=float, default=3.0, help="seconds of load per query and server (default 3)")
    run.add_argument("--reps", type=int, default=20, help="sequential requests per query for latency (default 20)")
    run.add_argument("--connections", type=int, default=8, help="concurrent connections for throughput (default 8)")
    run.add_argument("--servers", nargs="+", choices=servers.NAMES, default=list(servers.NAMES))
    run.add_argument("--only", nargs="+", default=[], metavar="QUERY", help="run only these workload items")
    run.add_argument("--no-first-start", action="store_true", help="skip timing our start with an empty store cache")
    run.add_argument(
        "--interleave",
        action="store_true",
        help="start the servers together and measure them in turn for each query (steadier ratios; more memory)",
    )
    run.add_argument("--request-timeout", type=float, default=120.0, help="seconds before a request counts as failed")
    _report_options(run, "data, stores and logs")
    run.set_defaults(handler=cmd_run)
    load = commands.add_parser("load", help="many concurrent clients for a fixed time; report errors and 503s")
    load.add_argument("--connections", type=int, default=200, help="concurrent clients (default 200)")
    load.add_argument("--duration", type=float, default=30.0, help="seconds (default 30; 300 for the soak)")
    load.add_argument("--url", help="a server already running on 127.0.0.1 (default: start one)")
    load.add_argument("--workdir", type=Path, default=Path("/tmp/balikg-load"), help="store cache and server log")
    load.set_defaults(handler=cmd_load)
    remote = commands.add_parser(
        "remote", help="the app in front of an Oxigraph server (1 and 2 replicas) beside the embedded store"
    )
    remote.add_argument("--scale", type=int, nargs="+", default=[1], help="data scale factors (default 1)")
    remote.add_argument("--duration", type=float, default=15.0, help="seconds per workload and set-up (default 15)")
    remote.add_argument("--connections", type=int, default=16, help="concurrent clients (default 16)")
    remote.add_argument("--start-timeout", type=float, default=1800.0, help="seconds a server may take to start")
    _report_options(remote, "data, stores and logs")
    remote.set_defaults(handler=cmd_remote)
    cost = commands.add_parser(
        "cost", help="CPU per request: our front process and query workers beside Oxigraph server (needs wrk)"
    )
    cost.add_argument("--duration", type=float, default=5.0, help="seconds of load per query and server (default 5)")
    cost.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    cost.add_argument("--only", nargs="+", default=[], metavar="QUERY", help="measure only these workload items")
    _report_options(cost, "store cache and logs")
    cost.set_defaults(handler=cmd_cost)
    writers = commands.add_parser(
        "writers", help="CPU per SPARQL JSON answer in one process: rows by name, as tuples, the engine's writer"
    )
    writers.add_argument("--rounds", type=int, default=9, help="alternating measurements per query (default 9)")
    writers.add_argument("--only", nargs="+", default=[], metavar="QUERY", help="measure only these queries")
    _report_options(writers, "store cache")
    writers.set_defaults(handler=cmd_writers)
    generate = commands.add_parser("generate", help="write the real graph ×N with fresh IRIs")
    generate.add_argument("--factor", type=int, required=True)
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--data-dir", type=Path, help="data to scale (default: the shipped graph)")
    generate.set_defaults(handler=cmd_generate)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
