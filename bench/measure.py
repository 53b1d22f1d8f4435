"""Measurements of one workload item on one running server: answer size, latency and throughput.

- `answer`: one request; the size of the answer in rows (SPARQL JSON) or triples (N-Triples lines), so
  the three servers can be checked to agree.
- `latency`: a sequential httpx client, `reps` requests (fewer if a time budget runs out), p50 and p95.
- `throughput`: requests per second from `connections` concurrent connections for a fixed duration,
  with `wrk` (Debian package) when it is installed, otherwise an asyncio httpx load generator. Requests
  that fail count as errors, not as throughput.
Every client sends `Accept-Encoding: identity`, so no server pays for compression the others skip.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .workload import Request

HEADERS = {"Accept-Encoding": "identity"}
TIMEOUT = 120.0


_sent = itertools.count()


def _send(client: httpx.Client, base: str, request: Request) -> httpx.Response:
    headers = {**HEADERS, "Accept": request.accept}
    if request.method == "GET":
        return client.get(base + request.path, headers=headers)
    return client.post(base + request.path, data=request.form_for(next(_sent)), headers=headers)


def count(response: httpx.Response, graph: bool) -> int:
    if graph:
        return sum(1 for line in response.text.splitlines() if line.strip() and not line.startswith("#"))
    data = json.loads(response.content)
    return len(data["results"]["bindings"]) if "results" in data else 1


@dataclass
class Answer:
    status: int
    size: int | None  # rows or triples; None when the request failed
    error: str = ""


def answer(base: str, request: Request, graph: bool, timeout: float = TIMEOUT) -> Answer:
    with httpx.Client(timeout=timeout) as client:
        try:
            response = _send(client, base, request)
        except httpx.HTTPError as error:
            return Answer(0, None, type(error).__name__)
    if response.status_code != 200:
        return Answer(response.status_code, None, response.text[:200].replace("\n", " "))
    try:
        return Answer(200, count(response, graph))
    except (ValueError, KeyError) as error:
        return Answer(200, None, f"unreadable answer ({response.headers.get('content-type')}): {error}")


@dataclass
class Latency:
    p50: float
    p95: float
    samples: int


def latency(base: str, request: Request, reps: int, budget: float) -> Latency:
    times = []
    began = time.monotonic()
    with httpx.Client(timeout=TIMEOUT) as client:
        while len(times) < reps and (not times or time.monotonic() - began < budget):
            start = time.perf_counter()
            response = _send(client, base, request)
            response.read()
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                break
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return Latency(statistics.median(times), p95, len(times))


@dataclass
class Throughput:
    rps: float
    requests: int
    errors: int
    tool: str


def throughput(base: str, request: Request, duration: float, connections: int) -> Throughput:
    if shutil.which("wrk"):
        return _wrk(base, request, duration, connections)
    return asyncio.run(_asyncio_load(base, request, duration, connections))


def wrk_script(request: Request) -> str:
    """wrk's Lua script for `request`; with a nonce, each request gets a comment no earlier run has sent
    (the run's own prefix, then a counter), so a server's result cache never answers it."""
    lua = [
        f'wrk.method = "{request.method}"',
        f'wrk.headers["Accept"] = "{request.accept}"',
        'wrk.headers["Accept-Encoding"] = "identity"',
    ]
    if request.form:
        lua += [
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
            f"wrk.body = [==[{request.body()}]==]",
        ]
    if request.nonce:  # "\n# bench <run> <n>", URL-encoded, after the query
        run = f"{time.time_ns():x}"
        lua += [
            "n = 0",
            f"request = function() n = n + 1; return wrk.format(nil, nil, nil, wrk.body .. '%0A%23+bench+{run}+' .. n) end",
        ]
    return "\n".join(lua) + "\n"


def wrk_argv(base: str, request: Request, duration: float, connections: int, script: str) -> list[str]:
    return [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        f"{TIMEOUT:.0f}s",
        "-s",
        script,
        base + request.path,
    ]


def wrk_result(stdout: str) -> Throughput:
    total = int(re.search(r"(\d+) requests in", stdout).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", stdout))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", stdout)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", stdout).group(1))
    return Throughput(rps * (total - errors) / total if total else 0.0, total, errors, "wrk")


def _wrk(base: str, request: Request, duration: float, connections: int) -> Throughput:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(request))
    try:
        run = subprocess.run(
            wrk_argv(base, request, duration, connections, script.name), capture_output=True, text=True, check=True
        )
    finally:
        Path(script.name).unlink()
    return wrk_result(run.stdout)


async def _asyncio_load(base: str, request: Request, duration: float, connections: int) -> Throughput:
    done = errors = 0
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits, headers=HEADERS) as client:

        async def one_connection():
            nonlocal done, errors
            while time.monotonic() < deadline:
                headers = {"Accept": request.accept}
                if request.method == "GET":
                    response = await client.get(base + request.path, headers=headers)
                else:
                    response = await client.post(
                        base + request.path, data=request.form_for(next(_sent)), headers=headers
                    )
                if response.status_code == 200:
                    done += 1
                else:
                    errors += 1

        began = time.monotonic()
        await asyncio.gather(*(one_connection() for _ in range(connections)))
        elapsed = time.monotonic() - began
    return Throughput(done / elapsed, done + errors, errors, "httpx")
