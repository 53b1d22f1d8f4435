"""A real server for tests: `balikg serve` in a child process on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from server.datafiles import DEFAULT_DATA_DIR

PROTOCOL_GRAPHS = Path(__file__).parent / "fixtures" / "protocol" / "protocol-graphs.trig"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def data_dir_with_protocol_graphs(folder: Path) -> Path:
    """The shipped graph plus the W3C protocol tests' named graphs, in a fresh folder."""
    if not folder.exists():
        shutil.copytree(DEFAULT_DATA_DIR, folder)
        shutil.copy(PROTOCOL_GRAPHS, folder / PROTOCOL_GRAPHS.name)
    return folder


@contextmanager
def _running(name: str, argv: list[str], log_path: Path, ready, *, env: dict | None = None, timeout: float = 180):
    """Start `argv` in its own session with its output in `log_path`, wait until `ready()` is true, yield
    the process, then stop the whole session (SIGTERM, then SIGKILL)."""
    log = open(log_path, "w")  # a file, not a pipe nobody reads
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited during start-up:\n" + log_path.read_text())
            try:
                if ready():
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready in time")
            time.sleep(0.1)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@contextmanager
def running_server(data_dir: Path, store_dir: Path, **settings):
    """Start `balikg serve`, wait until /health answers, yield (base URL, process), then stop it."""
    port = free_port()
    env = {**os.environ, "BALIKG_STORE_DIR": str(store_dir)}
    env.update({f"BALIKG_{k.upper()}": str(v) for k, v in settings.items()})
    argv = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    base = f"http://127.0.0.1:{port}"
    with _running(
        "server",
        argv,
        Path(store_dir) / f"server-{port}.log",
        lambda: httpx.get(base + "/health", timeout=2).status_code == 200,
        env=env,
    ) as process:
        yield base, process


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def oxigraph_executable() -> str:
    """The `oxigraph` command of the `oxigraph` wheel (a test dependency), beside this interpreter."""
    candidate = Path(sys.executable).parent / "oxigraph"
    return str(candidate) if candidate.exists() else shutil.which("oxigraph") or "oxigraph"


@contextmanager
def running_oxigraph(location: Path, timeout_s: int = 20, read_only: bool = False):
    """A real Oxigraph server on a free loopback port over the database at `location` (read-write, or
    read-only over a database loaded beforehand); yields its base URL. `timeout_s` is the server's own
    query time limit (`--timeout-s`)."""
    port = free_port()
    mode = "serve-read-only" if read_only else "serve"
    argv = [oxigraph_executable(), mode, "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    argv += [] if read_only else ["--timeout-s", str(timeout_s)]
    base = f"http://127.0.0.1:{port}"
    with _running(
        "oxigraph",
        argv,
        Path(location).parent / f"oxigraph-{port}.log",
        lambda: httpx.post(base + "/query", data={"query": "ASK {}"}, timeout=2).status_code == 200,
        timeout=60,
    ):
        yield base
