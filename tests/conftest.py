"""Shared fixtures: the shipped graph loaded once per session, and a runner for the `balikg` command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.datafiles import DataLayout
from server.loader import load
from server.validation import validate

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
