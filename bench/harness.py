"""The harness: for each scale, prepare the data, then start one server at a time and measure the workload.

Servers run one after another, never side by side, so that on a small machine they do not compete for
cores or memory with each other (the load generator does share the machine with the server it loads).
Our server is started twice per scale: once with an empty store cache (load + SHACL validation + store
written: the first start) and once reusing that cache (the warm start that serves the workload).
Numbers are returned as plain dataclasses; `report` turns them into Markdown.
"""

from __future__ import annotations

import shutil
import subprocess
import time
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


def _measure_all(
    server: servers.Server, restart, variant: str, items: list[Item], settings: Settings, log
) -> tuple[servers.Server, dict[str, Measured]]:
    """Measure every item; a request that times out is recorded as failed and the server restarted, since
    some servers keep computing an abandoned query and would hold up everything after it."""
    results = {}
    for item in items:
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
        results[item.name] = measured
        log(
            f"  {variant:<21} {item.name:<36} size={measured.answer.size} "
            + (
                f"p50={measured.latency.p50 * 1000:.1f}ms rps={measured.throughput.rps:.1f}"
                if measured.latency
                else f"FAILED {measured.answer.status} {measured.answer.error}"
            )
        )
    return server, results


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
    timeout = settings.start_timeout
    for name in settings.servers:
        log(f"×{factor}: starting {name}")
        first = load_seconds = None
        if name == "balikg":
            cache = folder / "store-cache"
            if settings.first_start:
                shutil.rmtree(cache, ignore_errors=True)
                first = servers.start_balikg(data_dir, cache, folder / "balikg-first.log", timeout)
                first.stop()
                log(f"  first start (empty cache, validates): {first.startup_seconds:.1f} s")
            launch = lambda: servers.start_balikg(data_dir, cache, folder / "balikg.log", timeout)
        elif name == "oxigraph":
            load_seconds = servers.load_oxigraph([quads], folder / "oxigraph-db")
            launch = lambda: servers.start_oxigraph(folder / "oxigraph-db", folder / "oxigraph.log", timeout)
        elif name == "oxigraph-materialised":
            load_seconds = servers.load_oxigraph([quads, union], folder / "oxigraph-materialised-db")
            launch = lambda: servers.start_oxigraph(
                folder / "oxigraph-materialised-db",
                folder / "oxigraph-materialised.log",
                timeout,
                union_default_graph=False,
            )
        else:
            launch = lambda: servers.start_rdflib_endpoint(quads, folder / "rdflib-endpoint.log", timeout)
        server = first_served = launch()
        results, peak = {}, 0
        try:
            # Ours is measured twice on the same process: as served (ready-made routes, result cache on)
            # and with every request distinct (the engine's cost), under the name balikg-nocache.
            for variant in [name, "balikg-nocache"] if name == "balikg" else [name]:
                before = server
                server, results[variant] = _measure_all(server, launch, variant, items, settings, log)
                peak = max(peak, before.peak_rss)
        finally:
            server.stop()
        for variant, measured in results.items():
            scale.runs[variant] = ServerRun(
                variant,
                first_served.startup_seconds,
                max(peak, server.peak_rss),
                first_start_seconds=first.startup_seconds if first else None,
                first_start_rss=first.peak_rss if first else None,
                load_seconds=load_seconds,
                results=measured,
            )
    return scale


def run(settings: Settings, log=print) -> list[ScaleRun]:
    return [run_scale(factor, settings, log) for factor in settings.scales]
