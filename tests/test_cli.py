"""The `balikg` command: exit codes, messages, and what each subcommand prints or writes."""

import shutil
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from server.datafiles import DEFAULT_DATA_DIR

FIXTURES = Path(__file__).parent / "fixtures"


def _copy_of_shipped_data(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data_dir)
    return data_dir


def test_validate_accepts_the_shipped_graph(balikg):
    result = balikg("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The graph conforms." in result.stdout


def test_validate_names_file_and_line_of_broken_turtle(balikg, tmp_path):
    data_dir = _copy_of_shipped_data(tmp_path)
    broken = data_dir / "zz-broken.ttl"
    broken.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "unterminated .\n')

    result = balikg("validate", "--data-dir", str(data_dir))

    assert result.returncode == 1
    assert f"{broken}:3:" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_refuses_a_shacl_violation_and_names_file_focus_and_shape(balikg, tmp_path):
    data_dir = _copy_of_shipped_data(tmp_path)
    bad = data_dir / "zz-bad-state.ttl"
    shutil.copy(FIXTURES / "shapes" / "invalid" / "StateShape--iso3-lower-case.ttl", bad)

    result = balikg("validate", "--data-dir", str(data_dir))

    assert result.returncode == 1
    assert str(bad) in result.stdout
    assert "focus node: <https://w3id.org/bali-process-kg/id/state/idn>" in result.stdout
    assert "shape: shapes:StateShape" in result.stdout
    assert "does NOT conform" in result.stdout


def test_serve_refuses_a_graph_that_does_not_conform_and_says_where(balikg, tmp_path):
    data_dir = _copy_of_shipped_data(tmp_path)
    bad = data_dir / "zz-bad-state.ttl"
    shutil.copy(FIXTURES / "shapes" / "invalid" / "StateShape--iso3-lower-case.ttl", bad)

    # (validated in a child process of the server; the refusal comes back to it and it exits before listening)
    result = balikg("serve", "--data-dir", str(data_dir), "--port", "1", env={"BALIKG_STORE_DIR": str(tmp_path / "s")})

    assert result.returncode == 1
    assert str(bad) in result.stderr
    assert "focus node: <https://w3id.org/bali-process-kg/id/state/idn>" in result.stderr
    assert "Not serving: the graph does not conform to the shapes." in result.stderr
    assert "Traceback" not in result.stderr


def test_data_dir_can_come_from_the_environment(balikg, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(FIXTURES / "shapes" / "invalid" / "SourceShape--no-title.ttl", data_dir)

    result = balikg("validate", env={"BALIKG_DATA_DIR": str(data_dir)})

    assert result.returncode == 1
    assert "SourceShape--no-title.ttl" in result.stdout


def test_missing_data_dir_is_a_clear_error(balikg, tmp_path):
    result = balikg("validate", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "data folder not found" in result.stderr


def test_stats_lists_graphs_classes_and_unsourced_facts(balikg):
    result = balikg("stats")
    assert result.returncode == 0, result.stderr
    for graph_file in sorted(DEFAULT_DATA_DIR.glob("*.ttl")):
        assert f"<https://w3id.org/bali-process-kg/graph/{graph_file.stem}>" in result.stdout
    assert "bp:TreatyAction" in result.stdout
    assert "Facts without source: 0" in result.stdout


@pytest.mark.parametrize(
    "fmt,rdflib_format,quads",
    [
        ("ttl", "turtle", False),
        ("nt", "nt", False),
        ("rdfxml", "xml", False),
        ("trig", "trig", True),
        ("nq", "nquads", True),
        ("jsonld", "json-ld", True),
    ],
)
def test_export_writes_a_parseable_dump(balikg, tmp_path, loaded_graph, fmt, rdflib_format, quads):
    out = tmp_path / f"dump.{fmt}"

    result = balikg("export", "--format", fmt, "-o", str(out))

    assert result.returncode == 0, result.stderr
    if quads:
        dataset = Dataset()
        dataset.parse(out, format=rdflib_format)
        assert len(list(dataset.quads())) == len(loaded_graph.served_quads())
        assert {str(g.identifier) for g in dataset.graphs() if len(g)} == set(loaded_graph.union_graphs)
    else:
        graph = Graph().parse(out, format=rdflib_format)
        union = {
            (q.subject, q.predicate, q.object)
            for g in loaded_graph.union_graphs
            for q in loaded_graph.store.quads_for_pattern(None, None, None, _named(g))
        }
        assert len(graph) == len(union)


def _named(iri):
    import pyoxigraph

    return pyoxigraph.NamedNode(iri)


def test_unknown_command_is_a_usage_error(balikg):
    result = balikg("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
