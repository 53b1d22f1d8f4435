"""The remote mode: the app in front of an Oxigraph server, with one and two replicas, beside the embedded
default, at each data scale, in one run.

`python -m bench remote --scale 1 10 100` does, for each scale: the graph (the shipped one, or ×N with fresh
IRIs), `balikg load --to` into a fresh Oxigraph server (timed: validation and publication), the embedded
server over the same store cache, then one and two `balikg serve --store` replicas. Each set-up answers two
workloads for `--duration` seconds from `--connections` concurrent clients that spread their requests over
the replicas in turn:

- **entity pages, distinct IRIs** (`/id/…` of every entity in the graph, each client starting at its own
  offset): bound by the app (page building, the profile's queries), the case replicas are for;
- **distinct small queries** (one SPARQL text per request, so the result cache never answers): bound by
  the engine and the hop to it.

It reports requests per second, p50 and p99 latency, failures, the app's start-up time and its RSS (the
app's process tree only: with a remote store that is the app, not the engine). Only loopback addresses are
used; every server started is stopped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from . import servers
from .harness import _data

ENTITIES = (
    'SELECT DISTINCT ?s WHERE { ?s a ?class FILTER (STRSTARTS(STR(?s), "https://w3id.org/bali-process-kg/id/")) }'
)
SMALL = "SELECT ?s ?iso WHERE {{ ?s <https://w3id.org/bali-process-kg/def#iso3> ?iso }} # {n}"
ENV = {"BALIKG_MAX_ROWS": "100000", "BALIKG_QUERY_TIMEOUT": "60"}


@dataclass
class Outcome:
    setup: str
    workload: str
    requests: int
    failures: str
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Setup:
    name: str
    startup_seconds: float
    rss_mb: float


def _start_app(name: str, argv_tail: list[str], log: Path, cache: Path, timeout: float) -> servers.Server:
    port = servers.free_port()
    argv = [servers.executable("balikg"), "serve", "--host", "127.0.0.1", "--port", str(port), *argv_tail]
    env = {**ENV, "BALIKG_STORE_DIR": str(cache)}
    return servers.start("balikg", argv, port, log, env=env, timeout=timeout)


def _start_engine(location: Path, log: Path, timeout: float) -> servers.Server:
    port = servers.free_port()
    argv = [servers.executable("oxigraph"), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    return servers.start("oxigraph", argv + ["--timeout-s", "90"], port, log, timeout=timeout)


async def _drive(bases: list[str], paths: list[str] | None, connections: int, duration: float):
    """Clients that send for `duration` seconds, round-robin over `bases`; entity pages if `paths`, else
    distinct small queries. Returns (latencies of answered requests, failures)."""
    latencies: list[float] = []
    failures: Counter = Counter()
    deadline = time.monotonic() + duration

    async def client(index: int) -> None:
        limits = httpx.Limits(max_connections=len(bases))
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            n = index * 7919
            while time.monotonic() < deadline:
                n += 1
                base = bases[n % len(bases)]
                started = time.monotonic()
                try:
                    if paths:
                        response = await http.get(base + paths[n % len(paths)], headers={"accept": "text/html"})
                    else:
                        response = await http.post(
                            base + "/sparql",
                            data={"query": SMALL.format(n=f"{index}-{n}")},
                            headers={"accept": "application/sparql-results+json"},
                        )
                except httpx.HTTPError:
                    failures["connection"] += 1
                    continue
                if response.status_code == 200:
                    latencies.append(time.monotonic() - started)
                else:
                    failures[response.status_code] += 1

    await asyncio.gather(*(client(i) for i in range(connections)))
    return latencies, failures


def _outcome(setup: str, workload: str, latencies: list[float], failures: Counter, duration: float) -> Outcome:
    ordered = sorted(latencies) or [float("nan")]
    return Outcome(
        setup,
        workload,
        len(latencies),
        ", ".join(f"{count} × {status}" for status, count in sorted(failures.items(), key=str)) or "0",
        len(latencies) / duration,
        1000 * statistics.median(ordered),
        1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    )


def _entity_paths(base: str) -> list[str]:
    answer = httpx.post(
        base + "/sparql", data={"query": ENTITIES}, headers={"accept": "application/sparql-results+json"}, timeout=120
    )
    answer.raise_for_status()
    prefix = "https://w3id.org/bali-process-kg"
    return sorted(b["s"]["value"][len(prefix) :] for b in answer.json()["results"]["bindings"])


def run_scale(factor: int, workdir: Path, duration: float, connections: int, timeout: float, log=print):
    folder = workdir / f"remote-x{factor}"
    folder.mkdir(parents=True, exist_ok=True)
    data_dir, _ = _data(factor, folder)
    cache = folder / "store-cache"  # kept between runs: a graph validated once is not validated again
    validates = not (cache.is_dir() and any(cache.iterdir()))
    shutil.rmtree(folder / "engine-db", ignore_errors=True)
    setups: list[Setup] = []
    outcomes: list[Outcome] = []
    engine = _start_engine(folder / "engine-db", folder / "engine.log", timeout)
    try:
        began = time.monotonic()
        subprocess.run(
            [servers.executable("balikg"), "load", "--to", engine.base, "--data-dir", str(data_dir)],
            check=True,
            capture_output=True,
            env={**os.environ, "BALIKG_STORE_DIR": str(cache)},
        )
        load_seconds = time.monotonic() - began
        log(f"×{factor}: {'validated and ' if validates else ''}published in {load_seconds:.1f} s")
        plans = [
            ("embedded", [["--data-dir", str(data_dir)]]),
            ("remote, 1 replica", [["--store", engine.base]]),
            ("remote, 2 replicas", [["--store", engine.base], ["--store", engine.base]]),
        ]
        for name, replicas in plans:
            apps = []
            try:
                for i, tail in enumerate(replicas):
                    apps.append(_start_app(name, tail, folder / f"app-{len(setups)}-{i}.log", cache, timeout))
                bases = [app.base for app in apps]
                paths = _entity_paths(bases[0])
                for workload, chosen in (("entity pages, distinct IRIs", paths), ("distinct small queries", None)):
                    latencies, failures = asyncio.run(_drive(bases, chosen, connections, duration))
                    outcomes.append(_outcome(name, workload, latencies, failures, duration))
                    log(f"  {name:<20} {workload:<28} {outcomes[-1].rps:7.1f} req/s  p50 {outcomes[-1].p50_ms:.1f} ms")
                rss = max(servers.tree_rss_bytes(app.process.pid) for app in apps) / 2**20
                peak = max(app.peak_rss for app in apps) / 2**20
                setups.append(Setup(name, max(app.startup_seconds for app in apps), max(rss, peak)))
            finally:
                for app in apps:
                    app.stop()
    finally:
        engine.stop()
    return load_seconds, validates, setups, outcomes


def render(results: dict[int, tuple], command: str, duration: float, connections: int) -> str:
    lines = [
        f"Command: `{command}`; {duration:g} s per workload, {connections} clients, {os.cpu_count()} cores shared by",
        "the engine, the app and the load generator.",
        "",
    ]
    for factor, (load_seconds, validates, setups, outcomes) in results.items():
        what = "validation and publication" if validates else "publication; the graph was validated in an earlier run"
        lines += [
            f"**×{factor}**: `balikg load --to` ({what}) {load_seconds:.1f} s.",
            "",
            "| set-up | app start-up (s) | app peak RSS (MB, per replica) |",
            "|---|---:|---:|",
        ]
        lines += [f"| {s.name} | {s.startup_seconds:.1f} | {s.rss_mb:.0f} |" for s in setups]
        lines += [
            "",
            "| set-up | workload | req/s | p50 (ms) | p99 (ms) | not answered (count × status) |",
            "|---|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {o.setup} | {o.workload} | {o.rps:.1f} | {o.p50_ms:.1f} | {o.p99_ms:.1f} | {o.failures} |"
            for o in outcomes
        ]
        lines.append("")
    return "\n".join(lines)
