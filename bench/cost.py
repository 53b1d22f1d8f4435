"""Where a request's CPU goes: our front process, our query workers, and Oxigraph server, per request.

`python -m bench cost` starts `balikg serve` and, over the very same store directory (whose default graph
already holds the union), `oxigraph serve-read-only`. For each workload item it sends distinct requests
(a new comment each, so no cache answers) from `--connections` connections, 8 by default (`wrk` when
installed, else the asyncio client of `measure`, whose own CPU is not counted), and reads each server
process's CPU time from /proc/<pid>/stat at the start and end of a window inside the run. Requests in the window are
the run's rate times the window's length. The answer says, per request: milliseconds of CPU in our front
process (HTTP, routing, the guard, the pipe to the workers), in our workers (the engine, serialising the
answer, the pipe), and in Oxigraph server (all of it) — so the gap between the two throughputs can be read
as front cost, worker overhead or engine time rather than guessed at. The window skips the run's first and
last half second: when the load stops, it drops connections with queries in flight, and a worker whose
query does not end within the executor's grace is replaced, which is not the cost of a request.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from math import exp, log
from pathlib import Path

from server.dataset import prepare
from server.settings import Settings

from . import measure, servers
from .workload import Item, workload

#: seconds cut from each end of a run before CPU is read (see the module's docstring)
EDGE = 0.5


@dataclass
class Cost:
    """Milliseconds of CPU per request, by process, and the rate the run reached."""

    rps: float
    front_ms: float
    workers_ms: float

    @property
    def total_ms(self) -> float:
        return self.front_ms + self.workers_ms

    def line(self) -> str:
        return f"{self.rps:8.1f} req/s  front {self.front_ms:.3f} ms  workers {self.workers_ms:.3f} ms"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cost(server: servers.Server, item: Item, sent_as: str, duration: float, connections: int) -> Cost:
    request = item.request_for(sent_as, server.sparql_path)
    # A second of warm-up, and time for any worker stopped at its end to be replaced.
    measure.throughput(server.base, request, 1, connections)
    time.sleep(1.5)
    load: list[measure.Throughput] = []
    sender = threading.Thread(
        target=lambda: load.append(measure.throughput(server.base, request, duration, connections)), daemon=True
    )
    sender.start()
    time.sleep(EDGE)
    pids = servers._tree(server.process.pid)
    before = {pid: _cpu_seconds(pid) for pid in pids}
    began = time.monotonic()
    time.sleep(duration - 2 * EDGE)
    after = {pid: _cpu_seconds(pid) for pid in pids}
    window = time.monotonic() - began
    sender.join()
    (result,) = load
    if result.errors:
        raise RuntimeError(f"{server.name} {item.name}: {result.errors} failed requests")
    requests = result.rps * window
    root = server.process.pid
    return Cost(
        result.rps,
        (after[root] - before[root]) * 1000 / requests,
        sum(after[p] - before[p] for p in pids if p != root) * 1000 / requests,
    )


def run(workdir: Path, duration: float, connections: int, only: tuple[str, ...], log=print) -> dict:
    """{item name: (our Cost, Oxigraph's Cost)} for the shipped graph."""
    store_cache = workdir / "stores"
    served = prepare(Settings(store_dir=str(store_cache)))
    items = [i for i in workload() if not only or i.name in only]
    costs: dict[str, list[Cost]] = {i.name: [] for i in items}
    launchers = (
        ("balikg-nocache", lambda: servers.start_balikg(None, store_cache, workdir / "logs" / "cost-balikg.log")),
        (
            "oxigraph-materialised",
            lambda: servers.start_oxigraph(
                served.directory / "oxigraph", workdir / "logs" / "cost-oxigraph.log", union_default_graph=False
            ),
        ),
    )
    for sent_as, launch in launchers:
        server = launch()
        try:
            for item in items:
                costs[item.name].append(_cost(server, item, sent_as, duration, connections))
                log(f"  {server.name:22s} {item.name:38s} {costs[item.name][-1].line()}")
        finally:
            server.stop()
    return costs


def render(costs: dict, command: str, duration: float, connections: int) -> str:
    lines = [
        f"`{command}` — {duration:g} s of distinct requests per query and server, {connections} connections, "
        "CPU read from /proc; milliseconds of CPU per request.",
        "",
        "| query | ours: front | ours: workers | ours: total | Oxigraph server | req/s ours / Oxigraph | ÷ |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (ours, theirs) in costs.items():
        lines.append(
            f"| {name} | {ours.front_ms:.2f} | {ours.workers_ms:.2f} | {ours.total_ms:.2f} | {theirs.total_ms:.2f} "
            f"| {ours.rps:.0f} / {theirs.rps:.0f} | {ours.rps / theirs.rps:.2f} |"
        )

    def mean(values) -> float:
        values = list(values)
        return exp(sum(log(v) for v in values) / len(values))

    pairs = list(costs.values())
    lines.append(
        f"| **geometric mean** | {mean(o.front_ms for o, _ in pairs):.2f} | {mean(o.workers_ms for o, _ in pairs):.2f} "
        f"| {mean(o.total_ms for o, _ in pairs):.2f} | {mean(t.total_ms for _, t in pairs):.2f} | "
        f"{mean(o.rps for o, _ in pairs):.0f} / {mean(t.rps for _, t in pairs):.0f} "
        f"| {mean(o.rps / t.rps for o, t in pairs):.2f} |"
    )
    return "\n".join(lines) + "\n"
