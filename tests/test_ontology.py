"""The ontology and the shapes: they parse, every term is documented, and every term we use exists."""

import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from server.datafiles import DEFAULT_DATA_DIR, ONTOLOGY_FILE, QUERIES_DIR, SHAPES_FILE

BP = Namespace("https://w3id.org/bali-process-kg/def#")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE)


def _declared_terms(ontology: Graph) -> set[URIRef]:
    return {s for s in ontology.subjects() if isinstance(s, URIRef) and s.startswith(str(BP))}


def test_ontology_parses_and_declares_the_core_classes(ontology):
    for name in [
        "State",
        "Territory",
        "InternationalOrganisation",
        "Forum",
        "Body",
        "Membership",
        "Instrument",
        "TreatyAction",
        "Signature",
        "Ratification",
        "Accession",
        "Acceptance",
        "Approval",
        "Succession",
        "LegalAct",
        "ActionPlan",
        "Event",
        "Meeting",
        "TipReportRanking",
        "Source",
    ]:
        assert (BP[name], RDF.type, OWL.Class) in ontology, name


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_term_has_a_label_in_each_language(ontology, lang):
    missing = [
        t
        for t in _declared_terms(ontology)
        if not any(getattr(l, "language", None) == lang for l in ontology.objects(t, RDFS.label))
    ]
    assert missing == []


def test_every_term_has_a_comment(ontology):
    missing = [t for t in _declared_terms(ontology) if ontology.value(t, RDFS.comment) is None]
    assert missing == []


def test_every_term_is_typed(ontology):
    untyped = [t for t in _declared_terms(ontology) if ontology.value(t, RDF.type) is None]
    assert untyped == []


def test_treaty_action_kinds_are_subclasses_of_treaty_action(ontology):
    assert (BP.Signature, RDFS.subClassOf, BP.TreatyAction) in ontology
    assert (BP.ConsentToBeBound, RDFS.subClassOf, BP.TreatyAction) in ontology
    for kind in ["Ratification", "Accession", "Acceptance", "Approval", "Succession"]:
        assert (BP[kind], RDFS.subClassOf, BP.ConsentToBeBound) in ontology


def test_concepts_belong_to_a_scheme(ontology):
    concepts = set(ontology.subjects(SKOS.inScheme, None))
    assert concepts, "the ontology defines controlled values"
    for concept in concepts:
        assert (ontology.value(concept, SKOS.inScheme), RDF.type, SKOS.ConceptScheme) in ontology


def test_source_kinds_are_ordered_for_citation_primary_record_first(ontology):
    """The ready-made queries show a record's source by this order (tests/test_source_shown.py)."""
    kinds = set(ontology.subjects(SKOS.inScheme, BP.SourceKinds))
    order = {ontology.value(kind, BP.citationOrder).toPython(): kind for kind in kinds}
    assert len(order) == len(kinds), "every source kind has its own citation order"
    assert [order[n] for n in sorted(order)] == [
        BP.PrimaryRecordSource,
        BP.OfficialSource,
        BP.ScholarlySource,
        BP.PressSource,
        BP.OtherSource,
    ]


_BP_TERM = re.compile(r"(?:bp:|<https://w3id\.org/bali-process-kg/def#)([A-Za-z][A-Za-z0-9]*)")


def _files_using_terms() -> list[Path]:
    return [SHAPES_FILE, *sorted(DEFAULT_DATA_DIR.glob("*.ttl")), *sorted(QUERIES_DIR.glob("*.rq"))]


@pytest.mark.parametrize("path", _files_using_terms(), ids=lambda p: p.name)
def test_every_bp_term_used_is_declared(ontology, path):
    """SHACL lets a misspelt property through, so check every bp: term against the ontology."""
    declared = {str(t)[len(str(BP)) :] for t in _declared_terms(ontology)}
    text = path.read_text(encoding="utf-8")
    # Names of our own shapes (bp:…Shape is not used; shapes live in shapes#) are not ontology terms.
    used = set(_BP_TERM.findall(text))
    assert sorted(used - declared) == []


def test_shapes_graph_passes_shacl_shacl():
    shapes = Graph().parse(SHAPES_FILE)
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_one_named_node_shape_per_class(ontology):
    shapes = Graph().parse(SHAPES_FILE)
    SH = Namespace("http://www.w3.org/ns/shacl#")
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    for shape in node_shapes:
        target = shapes.value(shape, SH.targetClass)
        assert target is not None, shape
        assert str(shape) == "https://w3id.org/bali-process-kg/shapes#" + str(target).split("#")[1] + "Shape"
        assert shapes.value(shape, SH.name) is not None and shapes.value(shape, SH.message) is not None
    classes_with_instances_in_data = {
        BP.State,
        BP.Territory,
        BP.Membership,
        BP.TreatyAction,
        BP.LegalAct,
        BP.ActionPlan,
        BP.Event,
        BP.TipReportRanking,
        BP.Source,
        BP.Instrument,
    }
    targets = {shapes.value(s, SH.targetClass) for s in node_shapes}
    assert classes_with_instances_in_data <= targets
