"""Packaging: the wheel carries the graph, works from any directory, and its console script imports."""

import configparser
import os
import subprocess
import sys
import zipfile
from importlib import import_module
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("bali_process_kg-*.whl")
    return built


def test_wheel_ships_ontology_data_and_queries(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "server/_bundle/ontology/bali-process.ttl" in names
    assert "server/_bundle/ontology/shapes.ttl" in names
    shipped_data = {Path(n).name for n in names if n.startswith("server/_bundle/data/ttl/")}
    assert shipped_data == {p.name for p in (REPO / "data" / "ttl").glob("*.ttl")}
    assert "server/sparql/facts-without-source.rq" in names
    # the map's shapes and their licence (the app draws the map from them; no npm at run time)
    assert {"server/static/map/countries.json", "server/static/map/LICENSE"} <= set(names)


def test_every_console_script_imports(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode())
    scripts = dict(parser["console_scripts"])
    assert "balikg" in scripts
    for target in scripts.values():
        module, _, attribute = target.partition(":")
        assert callable(getattr(import_module(module), attribute))


def test_installed_wheel_validates_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Only the installed copy of `server` may be importable: the checkout is not on the path.
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("BALIKG_DATA_DIR", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import server.cli, sys; print(server.cli.__file__); sys.exit(server.cli.main(['validate']))",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith(str(target))
    assert "The graph conforms." in result.stdout
