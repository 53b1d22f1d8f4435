"""Preparing the served dataset is all-or-nothing: a store directory is written once per version of the files,
reused while the files are unchanged, written anew when they change, and never written for a graph that
does not conform — whatever was prepared before stays as it was."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server import dataset as dataset_module
from server.datafiles import DEFAULT_DATA_DIR
from server.dataset import GraphRefused, prepare, prepare_apart
from server.settings import Settings
from server.store import META_FILE, OxigraphStore

FIXTURES = Path(__file__).parent / "fixtures" / "shapes" / "invalid"


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    return folder


def _settings(data_dir: Path, store_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, store_dir=store_dir)


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_a_second_prepare_of_the_same_files_reuses_the_store_without_validating(data_dir, tmp_path, monkeypatch):
    stores = tmp_path / "stores"
    first = prepare(_settings(data_dir, stores))
    assert (first.directory / META_FILE).exists()
    assert OxigraphStore(first.directory).query("ASK { ?s a ?o }").boolean

    def no_loading(*args, **kwargs):
        raise AssertionError("a cached store directory must be reused without loading the files again")

    monkeypatch.setattr(dataset_module, "load", no_loading)
    again = prepare(_settings(data_dir, stores))
    assert again == first


def test_changed_files_get_a_new_store_directory_and_the_old_one_stays(data_dir, tmp_path):
    stores = tmp_path / "stores"
    first = prepare(_settings(data_dir, stores))
    before = _snapshot(first.directory)
    extra = data_dir / "members.ttl"
    extra.write_text(
        extra.read_text(encoding="utf-8") + "\n# a comment changes the bytes, so the version\n", encoding="utf-8"
    )
    second = prepare(_settings(data_dir, stores))
    assert second.version != first.version and second.directory != first.directory
    assert second.triples == first.triples
    assert _snapshot(first.directory) == before


def test_a_graph_that_does_not_conform_is_refused_and_nothing_is_written(data_dir, tmp_path):
    stores = tmp_path / "stores"
    served = prepare(_settings(data_dir, stores))
    before = {p.name for p in stores.iterdir()}
    (data_dir / "zz-invalid.ttl").write_text(  # a state with no source
        "@prefix bp: <https://w3id.org/bali-process-kg/def#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/bali-process-kg/id/state/XXA> a bp:State ; rdfs:label "Nowhere"@en ; bp:iso3 "XXA" .\n',
        encoding="utf-8",
    )
    with pytest.raises(GraphRefused) as refused:
        prepare(_settings(data_dir, stores))
    assert "id/state/XXA" in refused.value.report.render()
    assert {p.name for p in stores.iterdir()} == before  # no new directory, no half-written staging folder
    assert OxigraphStore(served.directory).query("ASK { ?s a ?o }").boolean


def test_invalid_turtle_is_refused_with_file_and_line(data_dir, tmp_path):
    from server.loader import LoadError

    (data_dir / "zz-broken.ttl").write_text(
        "@prefix bp: <https://w3id.org/bali-process-kg/def#> .\n\nbp:x bp:y .\n", encoding="utf-8"
    )
    with pytest.raises(LoadError, match=r"zz-broken\.ttl:3"):
        prepare(_settings(data_dir, tmp_path / "stores"))
    assert not (tmp_path / "stores").exists() or not any((tmp_path / "stores").iterdir())


# A server prepares with `prepare_apart`: loading and validating run in a child process, so the server's own
# memory never holds pySHACL, rdflib or the loaded graph.

PREPARE_AND_LIST_MODULES = """
import json, sys
from pathlib import Path
from server.dataset import prepare_apart
from server.settings import Settings
served = prepare_apart(Settings(data_dir=Path(sys.argv[1]), store_dir=Path(sys.argv[2])))
print(json.dumps({"triples": served.triples, "loaded_here": sorted({"pyshacl", "rdflib"} & set(sys.modules))}))
"""


def _prepare_in_a_fresh_interpreter(data_dir: Path, stores: Path) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", PREPARE_AND_LIST_MODULES, str(data_dir), str(stores)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_server_validates_a_new_graph_in_a_child_process_and_keeps_none_of_it(data_dir, tmp_path):
    stores = tmp_path / "stores"
    prepared = _prepare_in_a_fresh_interpreter(data_dir, stores)
    assert prepared["loaded_here"] == []  # validated, but not in this process
    assert prepared["triples"] > 10_000
    assert prepare(_settings(data_dir, stores)).triples == prepared["triples"]  # the store it wrote is the cache


def test_a_server_opens_a_store_written_earlier_without_a_child_process(data_dir, tmp_path, monkeypatch):
    stores = tmp_path / "stores"
    first = prepare(_settings(data_dir, stores))

    def no_child(*args, **kwargs):
        raise AssertionError("a cached store directory must be opened without starting a process")

    monkeypatch.setattr(dataset_module, "ProcessPoolExecutor", no_child)
    assert prepare_apart(_settings(data_dir, stores)) == first


def test_refusals_cross_from_the_child_process_with_file_line_and_focus_node(data_dir, tmp_path):
    from server.loader import LoadError

    shutil.copy(FIXTURES / "StateShape--iso3-lower-case.ttl", data_dir / "zz-bad-state.ttl")
    with pytest.raises(GraphRefused) as refused:
        prepare_apart(_settings(data_dir, tmp_path / "stores"))
    assert "focus node: <https://w3id.org/bali-process-kg/id/state/idn>" in refused.value.report.render()
    assert "zz-bad-state.ttl" in str(refused.value)

    (data_dir / "zz-bad-state.ttl").unlink()
    (data_dir / "zz-broken.ttl").write_text("@prefix bp: <https://w3id.org/bali-process-kg/def#> .\n\nbp:x bp:y .\n")
    with pytest.raises(LoadError, match=r"zz-broken\.ttl:3") as broken:
        prepare_apart(_settings(data_dir, tmp_path / "stores"))
    assert broken.value.line == 3 and broken.value.path == data_dir / "zz-broken.ttl"
    assert not (tmp_path / "stores").exists() or not any((tmp_path / "stores").iterdir())
