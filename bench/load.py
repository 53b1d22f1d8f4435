"""A bounded load test: many concurrent clients against a `balikg serve` on loopback, for a fixed time.

`python -m bench load` starts its own server (or uses `--url http://127.0.0.1:PORT` of one already running
on this machine), opens `--connections` clients (default 200) that each send a mix of requests — /health,
ready-made queries, distinct SPARQL texts (no cache hits), entity pages, the home page — for `--duration`
seconds (default 30; `--duration 300` is the soak), then stops by itself and reports: connection errors,
status codes, the share of 503s and whether each carried Retry-After, latency percentiles per kind of
request, and the server's RSS before and after. Only loopback addresses are accepted.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

MIX = [
    ("health", "GET", "/health", None),
    ("ready-made", "GET", "/queries/treaty-status.json?instrument=tip-protocol&as_of=2016-12-31", None),
    ("ready-made", "GET", "/queries/members.csv?kind=state", None),
    (
        "sparql-distinct",
        "POST",
        "/sparql",
        "SELECT ?s ?iso WHERE {{ ?s <https://w3id.org/bali-process-kg/def#iso3> ?iso }} # {n}",
    ),
    ("entity-page", "GET", "/id/state/IDN", None),
    ("home", "GET", "/", None),
]


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    connection_errors: int = 0
    missing_retry_after: int = 0
    requests: int = 0


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    total = 0.0
    pids = [pid] + [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == pid]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


async def _client(base: str, deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1)) as client:
        n = 0
        while time.monotonic() < deadline:
            kind, method, path, text = rng.choice(MIX)
            n += 1
            headers = {"accept": "text/html"} if kind in ("entity-page", "home") else {}
            started = time.monotonic()
            try:
                if method == "POST":
                    response = await client.post(path, data={"query": text.format(n=f"{seed}-{n}")}, headers=headers)
                else:
                    response = await client.get(path, headers=headers)
            except httpx.HTTPError:
                tally.connection_errors += 1
                await asyncio.sleep(0.05)
                continue
            tally.requests += 1
            tally.latencies[kind].append(time.monotonic() - started)
            tally.statuses[response.status_code] += 1
            if response.status_code == 503 and not response.headers.get("retry-after"):
                tally.missing_retry_after += 1
            if response.status_code == 503:
                await asyncio.sleep(float(response.headers.get("retry-after", "1")) * rng.random())


async def _run(base: str, connections: int, duration: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + duration
    await asyncio.gather(*(_client(base, deadline, tally, i) for i in range(connections)))
    return tally


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(tally: Tally, connections: int, duration: float, rss_before, rss_after) -> str:
    total = sum(tally.statuses.values())
    lines = [
        f"{connections} connections for {duration:g} s: {tally.requests} responses, "
        f"{tally.connection_errors} connection errors",
        "statuses: " + ", ".join(f"{code} × {count}" for code, count in sorted(tally.statuses.items())),
        f"503 share: {100 * tally.statuses.get(503, 0) / max(total, 1):.1f} %, "
        f"503 without Retry-After: {tally.missing_retry_after}",
        "latency by request kind (p50 / p99 / max, ms):",
    ]
    for kind, values in sorted(tally.latencies.items()):
        lines.append(
            f"  {kind:<16} {1000 * statistics.median(values):7.1f} / {1000 * _percentile(values, 0.99):7.1f}"
            f" / {1000 * max(values):7.1f}   ({len(values)} requests)"
        )
    if rss_before is not None:
        lines.append(f"server RSS (with workers): {rss_before:.0f} MB before, {rss_after:.0f} MB after")
    return "\n".join(lines)


def main(url: str | None, connections: int, duration: float, workdir: Path) -> int:
    if url is not None and urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the load test only targets a server on this machine (127.0.0.1)")
    if url is None:
        from .servers import executable, free_port, start  # (only when the test starts its own server)

        port = free_port()
        server = start(
            "balikg",
            [executable("balikg"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            port,
            workdir / "load-server.log",
            env={"BALIKG_STORE_DIR": str(workdir / "stores")},
        )
        try:
            return _measure(server.base, server.process.pid, connections, duration)
        finally:
            server.stop()
    return _measure(url.rstrip("/"), None, connections, duration)


def _measure(base: str, pid: int | None, connections: int, duration: float) -> int:
    httpx.get(base + "/", headers={"accept": "text/html"}, timeout=60)  # warm the page caches once
    before = _rss_mb(pid)
    tally = asyncio.run(_run(base, connections, duration))
    print(report(tally, connections, duration, before, _rss_mb(pid)))
    bad = tally.connection_errors + tally.statuses.get(500, 0) + tally.statuses.get(502, 0) + tally.missing_retry_after
    return 1 if bad else 0
