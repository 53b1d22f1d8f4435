"""Servers under test: starting them on free loopback ports, timing start-up, sampling memory, stopping.

Four launchers — this project (`balikg serve`), Oxigraph server twice (`oxigraph serve-read-only` with
`--union-default-graph`, and without it over a database whose default graph holds a copy of the union, the
layout our own store uses) and rdflib-endpoint — each start one process in its own session, so the whole
process tree (our query workers included) can be measured and stopped together. Start-up is the time
from `Popen` to the first successful answer to a probe query; peak RSS is the largest sum of VmRSS over
the process tree, sampled from /proc every 0.1 s while the server lives. What the servers are asked
is the workload's business.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROBE = "ASK { ?s ?p ?o }"
NAMES = ("balikg", "oxigraph", "oxigraph-materialised", "rdflib-endpoint")
#: where each server answers SPARQL queries
SPARQL_PATHS = {"balikg": "/sparql", "oxigraph": "/query", "oxigraph-materialised": "/query", "rdflib-endpoint": "/"}


def executable(name: str) -> str:
    """A console script of this virtual environment, else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"'{name}' not found (pip install -e '.[bench]')")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from the parent ids in /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def tree_rss_bytes(root: int) -> int:
    total = 0
    for pid in _tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


@dataclass
class Server:
    """One running server: its process, base URL, start-up time and memory high-water mark."""

    name: str
    process: subprocess.Popen
    base: str
    log: Path
    started: float
    startup_seconds: float | None = None
    peak_rss: int = 0
    _sampling: bool = field(default=True, repr=False)

    def _sample(self) -> None:
        while self._sampling and self.process.poll() is None:
            self.peak_rss = max(self.peak_rss, tree_rss_bytes(self.process.pid))
            time.sleep(0.1)

    @property
    def sparql_path(self) -> str:
        return SPARQL_PATHS[self.name]

    def wait_ready(self, timeout: float) -> None:
        deadline = self.started + timeout
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
                try:
                    answer = client.post(
                        self.base + self.sparql_path,
                        data={"query": PROBE},
                        headers={"Accept": "application/sparql-results+json"},
                    )
                    if answer.status_code == 200:
                        self.startup_seconds = time.monotonic() - self.started
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        self._sampling = False
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(
    name: str, argv: list[str], port: int, log: Path, *, env: dict | None = None, timeout: float = 600.0
) -> Server:
    """Start `argv`, sample its memory, and return once it answers the probe query."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        started = time.monotonic()
        process = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log, started)
    threading.Thread(target=server._sample, daemon=True).start()
    server.wait_ready(timeout)
    return server


def start_balikg(data_dir: Path | None, store_cache: Path, log: Path, timeout: float = 600.0) -> Server:
    """This project, with a persistent store cache so a second start skips validation."""
    port = free_port()
    argv = [executable("balikg"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    # Row cap and time limit raised so that large answers are compared whole rather than cut or refused.
    env = {"BALIKG_STORE_DIR": str(store_cache), "BALIKG_MAX_ROWS": "10000000", "BALIKG_QUERY_TIMEOUT": "120"}
    return start("balikg", argv, port, log, env=env, timeout=timeout)


def load_oxigraph(files: list[Path], location: Path) -> float:
    """`oxigraph load` the files into a fresh database (triple files into the default graph); return the
    seconds it took."""
    shutil.rmtree(location, ignore_errors=True)
    began = time.monotonic()
    subprocess.run(
        [executable("oxigraph"), "load", "--location", str(location), "--file", *map(str, files)],
        check=True,
        capture_output=True,
    )
    return time.monotonic() - began


def start_oxigraph(location: Path, log: Path, timeout: float = 600.0, union_default_graph: bool = True) -> Server:
    port = free_port()
    argv = [executable("oxigraph"), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    name = "oxigraph" if union_default_graph else "oxigraph-materialised"
    return start(name, argv + ["--union-default-graph"] * union_default_graph, port, log, timeout=timeout)


def start_rdflib_endpoint(quads: Path, log: Path, timeout: float = 600.0) -> Server:
    """rdflib-endpoint loads the file into an in-memory `Dataset(default_union=True)`."""
    port = free_port()
    argv = [executable("rdflib-endpoint"), "serve", str(quads), "--host", "127.0.0.1", "--port", str(port)]
    return start("rdflib-endpoint", argv, port, log, timeout=timeout)
