"""The harness: for each scale, prepare the data, then start the servers and measure the workload.

By default servers run one after another, never side by side, so that on a small machine they do not
compete for memory with each other (the load generator does share the machine with the server it loads).
With `interleave`, all of them are started first and then measured in turn query by query, each idle while
another is loaded: a machine whose speed drifts over minutes then moves every server's number for a query
alike, so the ratios between servers hold still (at the price of holding every server in memory at once).
Our server is started twice per scale: once with an empty store cache (load + SHACL validation + store
written: the first start) and once reusing that cache (the warm start that serves the workload).
Numbers are returned as plain dataclasses; `report` turns them into Markdown.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from server.datafiles import DEFAULT_DATA_DIR

from . import measure, servers
from .generate import generate
from .workload import Item, workload


@dataclass
class Settings:
    scales: list[int]
    duration: float = 3.0
    reps: int = 20
    connections: int = 8
    workdir: Path = Path("/tmp/balikg-bench")
    servers: tuple[str, ...] = servers.NAMES
    only: tuple[str, ...] = ()  # item names to run; empty: the whole workload
    first_start: bool = True  # also time our start with an empty store cache (it validates)
    interleave: bool = False  # start every server first, then measure them in turn for each query
    start_timeout: float = 3600.0
    request_timeout: float = 120.0


@dataclass
class Measured:
    """One item on one server."""

    answer: measure.Answer
    latency: measure.Latency | None = None
    throughput: measure.Throughput | None = None
    estimated: bool = False  # throughput estimated as 1/p50: one request outlasts the load duration


@dataclass
class ServerRun:
    name: str
    startup_seconds: float
    peak_rss: int
    first_start_seconds: float | None = None  # ours: with an empty store cache (includes validation)
    first_start_rss: int | None = None
    load_seconds: float | None = None  # Oxigraph server: `oxigraph load`
    results: dict[str, Measured] = field(default_factory=dict)


@dataclass
class ScaleRun:
    factor: int
    quads: int
    generate_seconds: float | None
    export_seconds: float
    runs: dict[str, ServerRun] = field(default_factory=dict)


def _measure(
    server: servers.Server, restart, variant: str, item: Item, settings: Settings, log
) -> tuple[servers.Server, Measured]:
    """Measure one item; a request that times out is recorded as failed and the server restarted, since
    some servers keep computing an abandoned query and would hold up everything after it."""
    request = item.request_for(variant, server.sparql_path)
    measured = Measured(measure.answer(server.base, request, item.graph, settings.request_timeout))
    if measured.answer.size is not None:
        measured.latency = measure.latency(server.base, request, settings.reps, max(2.0, settings.duration))
        # A query so slow that the load run would complete a handful of requests at best (or none, which
        # wrk reports as 0 req/s) is estimated as 1/p50 instead, and marked as such in the report.
        if measured.latency.p50 * settings.connections / 2 <= settings.duration:
            measured.throughput = measure.throughput(server.base, request, settings.duration, settings.connections)
        if not measured.throughput or measured.throughput.requests < settings.connections:
            measured.throughput = measure.Throughput(1 / measured.latency.p50, 0, 0, "1/p50")
            measured.estimated = True
    elif measured.answer.status == 0:
        log(f"  {variant}: {item.name} timed out; restarting the server")
        server.stop()
        server = restart()
    log(
        f"  {variant:<21} {item.name:<36} size={measured.answer.size} "
        + (
            f"p50={measured.latency.p50 * 1000:.1f}ms rps={measured.throughput.rps:.1f}"
            if measured.latency
            else f"FAILED {measured.answer.status} {measured.answer.error}"
        )
    )
    return server, measured


@dataclass
class _Launched:
    """One server of a scale run: how to (re)start it, and every process started for it."""

    name: str
    launch: Callable[[], servers.Server]
    first: servers.Server | None = None  # ours, started once with an empty store cache
    load_seconds: float | None = None
    started: list[servers.Server] = field(default_factory=list)

    @property
    def variants(self) -> list[str]:
        # Ours is measured twice on the same process: as served (ready-made routes, result cache on) and
        # with every request distinct (the engine's cost), under the name balikg-nocache.
        return [self.name, "balikg-nocache"] if self.name == "balikg" else [self.name]

    def start(self) -> servers.Server:
        self.started.append(self.launch())
        return self.started[-1]

    def run(self, variant: str, results: dict[str, Measured]) -> ServerRun:
        return ServerRun(
            variant,
            self.started[0].startup_seconds,
            max(server.peak_rss for server in self.started),
            first_start_seconds=self.first.startup_seconds if self.first else None,
            first_start_rss=self.first.peak_rss if self.first else None,
            load_seconds=self.load_seconds,
            results=results,
        )


def _data(factor: int, folder: Path) -> tuple[Path, float | None]:
    if factor == 1:
        return DEFAULT_DATA_DIR, None
    data_dir = folder / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    began = time.monotonic()
    generate(factor, data_dir)
    return data_dir, time.monotonic() - began


def run_scale(factor: int, settings: Settings, log=print) -> ScaleRun:
    folder = settings.workdir / f"x{factor}"
    folder.mkdir(parents=True, exist_ok=True)
    data_dir, generate_seconds = _data(factor, folder)
    quads, union = folder / "graph.nq", folder / "union.nt"
    began = time.monotonic()
    for path, fmt in ((quads, "nq"), (union, "nt")):
        subprocess.run(
            [servers.executable("balikg"), "export", "--data-dir", str(data_dir), "--format", fmt, "-o", str(path)],
            check=True,
            capture_output=True,
        )
    export_seconds = time.monotonic() - began
    with quads.open("rb") as handle:
        scale = ScaleRun(factor, sum(1 for _ in handle), generate_seconds, export_seconds)
    log(f"×{factor}: {scale.quads} quads in {quads}")
    items = [i for i in workload() if not settings.only or i.name in settings.only]
    launched = [_launcher(name, folder, data_dir, quads, union, settings, log) for name in settings.servers]
    results = {variant: {} for each in launched for variant in each.variants}
    if settings.interleave:
        running = {}
        try:
            for each in launched:
                log(f"×{factor}: starting {each.name}")
                running[each.name] = each.start()
            for item in items:
                for each in launched:
                    for variant in each.variants:
                        running[each.name], results[variant][item.name] = _measure(
                            running[each.name], each.start, variant, item, settings, log
                        )
        finally:
            for server in running.values():
                server.stop()
    else:
        for each in launched:
            log(f"×{factor}: starting {each.name}")
            server = each.start()
            try:
                for variant in each.variants:
                    for item in items:
                        server, results[variant][item.name] = _measure(server, each.start, variant, item, settings, log)
            finally:
                server.stop()
    for each in launched:
        for variant in each.variants:
            scale.runs[variant] = each.run(variant, results[variant])
    return scale


def _launcher(name: str, folder: Path, data_dir: Path, quads: Path, union: Path, settings: Settings, log) -> _Launched:
    """How to start server `name` over this scale's data (loading Oxigraph's store, timing our first start)."""
    timeout = settings.start_timeout
    if name == "balikg":
        cache = folder / "store-cache"
        first = None
        if settings.first_start:
            shutil.rmtree(cache, ignore_errors=True)
            first = servers.start_balikg(data_dir, cache, folder / "balikg-first.log", timeout)
            first.stop()
            log(f"  first start (empty cache, validates): {first.startup_seconds:.1f} s")
        return _Launched(name, lambda: servers.start_balikg(data_dir, cache, folder / "balikg.log", timeout), first)
    if name == "oxigraph":
        load_seconds = servers.load_oxigraph([quads], folder / "oxigraph-db")
        launch = lambda: servers.start_oxigraph(folder / "oxigraph-db", folder / "oxigraph.log", timeout)
        return _Launched(name, launch, load_seconds=load_seconds)
    if name == "oxigraph-materialised":
        load_seconds = servers.load_oxigraph([quads, union], folder / "oxigraph-materialised-db")
        launch = lambda: servers.start_oxigraph(
            folder / "oxigraph-materialised-db",
            folder / "oxigraph-materialised.log",
            timeout,
            union_default_graph=False,
        )
        return _Launched(name, launch, load_seconds=load_seconds)
    return _Launched(name, lambda: servers.start_rdflib_endpoint(quads, folder / "rdflib-endpoint.log", timeout))


def run(settings: Settings, log=print) -> list[ScaleRun]:
    return [run_scale(factor, settings, log) for factor in settings.scales]
