"""Links to Wikidata: well-formed entity IRIs, one thing per item, and every ontology alignment documented.

Things in data/ttl link to Wikidata items with skos:exactMatch; ontology terms align with Wikidata items or
properties with skos:exactMatch / closeMatch / broadMatch / narrowMatch / relatedMatch, each alignment listed
with its evidence in docs/wikidata.md.
"""

import re
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from server.datafiles import DEFAULT_DATA_DIR, ONTOLOGY_FILE

REPO = Path(__file__).resolve().parent.parent
WIKIDATA_DOC = REPO / "docs" / "wikidata.md"
BP = "https://w3id.org/bali-process-kg/def#"

MAPPING_PROPERTIES = {
    SKOS.exactMatch: "exactMatch",
    SKOS.closeMatch: "closeMatch",
    SKOS.broadMatch: "broadMatch",
    SKOS.narrowMatch: "narrowMatch",
    SKOS.relatedMatch: "relatedMatch",
}
ITEM_IRI = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
ENTITY_IRI = re.compile(r"^http://www\.wikidata\.org/entity/[PQ][1-9][0-9]*$")
# An entity IRI however it is spelt (https, www-less, lower case); a wiki/ page cited as a source is not one.
ENTITY_LIKE = re.compile(r"^https?://(www\.)?wikidata\.org/entity/", re.I)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE)


@pytest.fixture(scope="module")
def data_files() -> dict[str, Graph]:
    return {path.name: Graph().parse(path) for path in sorted(DEFAULT_DATA_DIR.glob("*.ttl"))}


def _wikidata_objects(graph: Graph):
    for s, p, o in graph:
        if isinstance(o, URIRef) and ENTITY_LIKE.match(str(o)):
            yield s, p, o


def _alignments(ontology: Graph) -> set[tuple[str, str, str]]:
    """(bp term local name, Wikidata id, match kind) for every mapping triple on a bp: term."""
    found = set()
    for prop, kind in MAPPING_PROPERTIES.items():
        for s, o in ontology.subject_objects(prop):
            if isinstance(s, URIRef) and str(s).startswith(BP):
                found.add((str(s)[len(BP) :], str(o).rsplit("/", 1)[-1], kind))
    return found


def test_data_links_are_wikidata_item_iris(data_files):
    bad = []
    for name, graph in data_files.items():
        for s, p, o in _wikidata_objects(graph):
            if p != SKOS.exactMatch or not ITEM_IRI.match(str(o)):
                bad.append((name, str(s), str(p), str(o)))
        for s, o in graph.subject_objects(SKOS.exactMatch):
            if not ITEM_IRI.match(str(o)):
                bad.append((name, str(s), "skos:exactMatch", str(o)))
    assert bad == [], "links to things are skos:exactMatch <http://www.wikidata.org/entity/Q…>"


def test_ontology_alignments_are_wikidata_entity_iris(ontology):
    bad = [
        (str(s), str(p), str(o))
        for s, p, o in _wikidata_objects(ontology)
        if p not in MAPPING_PROPERTIES or not ENTITY_IRI.match(str(o))
    ]
    for prop in MAPPING_PROPERTIES:
        bad += [
            (str(s), str(prop), str(o))
            for s, o in ontology.subject_objects(prop)
            if str(s).startswith(BP) and not ENTITY_IRI.match(str(o))
        ]
    assert bad == [], "alignments point at http://www.wikidata.org/entity/P… or Q…"


def test_the_ontology_has_at_least_eight_alignments(ontology):
    assert len(_alignments(ontology)) >= 8


def test_no_wikidata_item_stands_for_two_things(ontology, data_files):
    """One item, one thing: two resources sharing an exact match would claim to be the same thing."""
    holders: dict[str, set[str]] = defaultdict(set)
    for graph in [ontology, *data_files.values()]:
        for s, o in graph.subject_objects(SKOS.exactMatch):
            holders[str(o)].add(str(s))
    shared = {qid: sorted(subjects) for qid, subjects in holders.items() if len(subjects) > 1}
    assert shared == {}


def test_one_exact_match_per_thing(data_files):
    per_subject: dict[str, set[str]] = defaultdict(set)
    for graph in data_files.values():
        for s, o in graph.subject_objects(SKOS.exactMatch):
            per_subject[str(s)].add(str(o))
    assert {s: sorted(o) for s, o in per_subject.items() if len(o) > 1} == {}


_DOC_ROW = re.compile(
    r"^\| `bp:([A-Za-z][A-Za-z0-9]*)` \| \[?`?([PQ][1-9][0-9]*)`?\]?(?:\([^)]*\))? \| ([^|]+?) \| "
    r"(exactMatch|closeMatch|broadMatch|narrowMatch|relatedMatch) \| (.+?) \|$",
    re.M,
)


def _documented_alignments() -> list[tuple[str, str, str, str, str]]:
    return _DOC_ROW.findall(WIKIDATA_DOC.read_text(encoding="utf-8"))


def test_docs_list_exactly_the_ontology_alignments(ontology):
    documented = {(term, wid, kind) for term, wid, _label, kind, _evidence in _documented_alignments()}
    assert documented, "docs/wikidata.md has an alignment table"
    in_ontology = _alignments(ontology)
    assert sorted(in_ontology - documented) == [], "alignments in the ontology missing from docs/wikidata.md"
    assert sorted(documented - in_ontology) == [], "rows in docs/wikidata.md that the ontology does not state"


def test_every_documented_alignment_has_a_label_and_evidence():
    for term, wid, label, _kind, evidence in _documented_alignments():
        assert label.strip(), (term, wid)
        assert re.search(r"https?://", evidence), (term, wid, "evidence needs the URL where the id was checked")
