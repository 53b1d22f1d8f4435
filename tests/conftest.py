"""Shared fixtures: the shipped graph loaded once per session, and a runner for the `balikg` command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.datafiles import DataLayout
from server.loader import load
from server.validation import validate


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/queries/* from the current results instead of comparing",
    )


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def loaded_graph():
    return load(DataLayout())


@pytest.fixture(scope="session")
def validation_report(loaded_graph):
    return validate(loaded_graph)


def run_balikg(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in a child process, as a user would (same interpreter, so the same install)."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture
def balikg():
    return run_balikg


@pytest.fixture(scope="session")
def store_cache(tmp_path_factory):
    """One store-directory cache for every server the tests start (same files → no re-validation)."""
    return tmp_path_factory.mktemp("store-cache")


@pytest.fixture(scope="session")
def protocol_data_dir(tmp_path_factory):
    from live import data_dir_with_protocol_graphs

    return data_dir_with_protocol_graphs(tmp_path_factory.mktemp("protocol") / "data")


@pytest.fixture(scope="session")
def live_server(protocol_data_dir, store_cache):
    """A real `balikg serve` on loopback with the shipped graph and the W3C protocol tests' graphs."""
    from live import running_server

    with running_server(protocol_data_dir, store_cache, query_timeout=10, max_rows=1000, workers=2) as (base, _):
        yield base


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """A real Oxigraph server on loopback (the `oxigraph` wheel), empty until a test loads it. With
    BALIKG_TEST_ENGINE_URL set (scripts/virtuoso.sh does), the engine that URL names instead — a loopback
    engine the caller started."""
    if os.environ.get("BALIKG_TEST_ENGINE_URL"):
        yield os.environ["BALIKG_TEST_ENGINE_URL"]
        return
    from live import running_oxigraph

    with running_oxigraph(tmp_path_factory.mktemp("oxigraph") / "db") as base:
        yield base


@pytest.fixture(scope="session")
def remote_server(oxigraph_server, protocol_data_dir, store_cache):
    """A real `balikg serve --store` in front of that Oxigraph server, loaded with `balikg load --to` with
    the same graph as `live_server`: the remote-store path end to end."""
    from live import running_server

    loaded = run_balikg(
        "load",
        "--to",
        oxigraph_server,
        "--data-dir",
        str(protocol_data_dir),
        env={"BALIKG_STORE_DIR": str(store_cache)},
    )
    assert loaded.returncode == 0, loaded.stderr
    with running_server(
        protocol_data_dir,
        store_cache,
        store_url=oxigraph_server,
        query_timeout=10,
        max_rows=1000,
        workers=2,
        store_poll_seconds=0.5,
    ) as (base, _):
        yield base


@pytest.fixture(scope="session")
def client(store_cache):
    """The app built in-process by its factory, with explicit inputs (no environment variables), its
    lifespan run: real worker processes, no HTTP server. The fast API tests use it."""
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.catalogue import Catalogue
    from server.dataset import prepare
    from server.settings import Settings

    settings = Settings(store_dir=store_cache, workers=2, query_timeout=10, max_rows=1000)
    app = create_app(settings, dataset=prepare(settings), catalogue=Catalogue())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def data():
    """The shipped data files parsed by rdflib (no ontology, no store): for tests that read the Turtle as
    written, not as the engines see it."""
    from rdflib import Graph

    from server.datafiles import DEFAULT_DATA_DIR

    graph = Graph()
    for path in sorted(DEFAULT_DATA_DIR.glob("*.ttl")):
        graph.parse(path)
    return graph
