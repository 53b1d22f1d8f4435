"""The shapes reject bad data for the right reason and accept good data.

Each file `fixtures/shapes/invalid/<Class>Shape--<why>.ttl` must fail with a violation from the shape
named in its file name, on the focus node the file names with `test:expectedFocus`; each file in
`valid/` must conform. Fixtures go through the real loader and validator, as data files would.
"""

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from server.datafiles import DataLayout
from server.loader import load
from server.validation import validate

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
EXPECTED_FOCUS = URIRef("https://w3id.org/bali-process-kg/test#expectedFocus")


def _validate_fixture(path: Path, tmp_path: Path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(path, data_dir / path.name)
    return validate(load(DataLayout.for_data_dir(data_dir)))


@pytest.mark.parametrize("path", sorted((FIXTURES / "invalid").glob("*.ttl")), ids=lambda p: p.stem)
def test_invalid_fixture_fails_on_the_named_shape_and_focus(path, tmp_path):
    shape_name = path.stem.split("--")[0]
    (expected_focus,) = [str(o) for o in Graph().parse(path).objects(None, EXPECTED_FOCUS)]

    report = _validate_fixture(path, tmp_path)

    assert not report.conforms
    hits = [(f.node_shape, f.focus) for f in report.violations]
    assert ("shapes:" + shape_name, expected_focus) in hits, report.render()


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.ttl")), ids=lambda p: p.stem)
def test_valid_fixture_conforms(path, tmp_path):
    report = _validate_fixture(path, tmp_path)
    assert report.conforms, report.render()


def test_every_node_shape_has_an_invalid_fixture():
    shapes = Graph().parse(FIXTURES.parent.parent.parent / "ontology" / "shapes.ttl")
    node_shapes = {
        str(s).rsplit("#", 1)[1]
        for s in shapes.subjects(
            URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef("http://www.w3.org/ns/shacl#NodeShape")
        )
    }
    covered = {p.stem.split("--")[0] for p in (FIXTURES / "invalid").glob("*.ttl")}
    assert sorted(node_shapes - covered) == []


def test_missing_indonesian_label_is_a_warning_not_a_violation(tmp_path):
    report = _validate_fixture(FIXTURES / "valid" / "StateShape--no-indonesian-label-is-only-a-warning.ttl", tmp_path)
    assert report.conforms
    assert [f.message for f in report.warnings] == ["No Indonesian label (@id) yet."]


def test_report_names_the_file_of_the_focus_node(tmp_path):
    report = _validate_fixture(FIXTURES / "invalid" / "StateShape--no-source.ttl", tmp_path)
    (finding,) = [f for f in report.violations if f.source_shape == "shapes:hasSource"]
    assert finding.files == (str(tmp_path / "data" / "StateShape--no-source.ttl"),)
    assert "StateShape--no-source.ttl" in report.render()


def test_every_sparql_constraint_is_answered_by_oxigraph_not_per_focus_node_by_pyshacl():
    from server.validation import SH, _split_sparql_constraints

    shapes = Graph().parse(FIXTURES.parent.parent.parent / "ontology" / "shapes.ttl")
    left_to_pyshacl, offloaded = _split_sparql_constraints(shapes)
    assert len(offloaded) == len(list(shapes.subject_objects(SH.sparql))) > 0
    assert list(left_to_pyshacl.subject_objects(SH.sparql)) == []


def test_sparql_constraint_message_names_the_bound_values(tmp_path):
    report = _validate_fixture(FIXTURES / "invalid" / "TreatyActionShape--before-opening-for-signature.ttl", tmp_path)
    (finding,) = [f for f in report.violations if f.node_shape == "shapes:TreatyActionShape"]
    assert (
        finding.message == "The action's date (2000-11-15) is before the instrument opened for signature (2000-12-12)."
    )
    assert finding.source_shape == "sh:sparql"
    assert finding.files == (str(tmp_path / "data" / "TreatyActionShape--before-opening-for-signature.ttl"),)
