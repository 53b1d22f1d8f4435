"""The result writers produce the SPARQL 1.1 result formats, whatever the terms hold, and honour the row cap."""

import json

import pyoxigraph as ox
import pytest

from server import formats, results
from server.store import OxigraphStore, QueryResult

XSD = "http://www.w3.org/2001/XMLSchema#"
TERMS = [
    ox.NamedNode("https://w3id.org/bali-process-kg/id/state/IDN"),
    ox.Literal('quote " backslash \\ newline \n tab \t control \u0001 non-ASCII é 中'),
    ox.Literal("Perdagangan Orang", language="id"),
    ox.Literal("2009-04-20", datatype=ox.NamedNode(XSD + "date")),
    ox.BlankNode("b0"),
]


def _bindings(rows):
    return QueryResult("bindings", variables=["x", "y"], rows=iter(rows))


def test_json_results_parse_to_the_terms_written():
    rows = [(term, None) for term in TERMS]
    written = results.serialize(_bindings(rows), "application/sparql-results+json", 100)
    document = json.loads(written.body)
    assert document["head"] == {"vars": ["x", "y"]}
    got = [b["x"] for b in document["results"]["bindings"]]
    assert got == [
        {"type": "uri", "value": TERMS[0].value},
        {"type": "literal", "value": TERMS[1].value},
        {"type": "literal", "value": "Perdagangan Orang", "xml:lang": "id"},
        {"type": "literal", "value": "2009-04-20", "datatype": XSD + "date"},
        {"type": "bnode", "value": "b0"},
    ]
    assert all("y" not in b for b in document["results"]["bindings"])  # unbound stays absent


@pytest.mark.parametrize("media_type", formats.offers("bindings"))
@pytest.mark.parametrize(
    "available,cap,count,truncated", [(0, 5, 0, False), (5, 5, 5, False), (6, 5, 5, True), (3, 0, 0, True)]
)
def test_row_cap_counts_and_flags(media_type, available, cap, count, truncated):
    rows = [(ox.Literal(str(i)), None) for i in range(available)]
    written = results.serialize(_bindings(rows), media_type, cap)
    assert (written.count, written.truncated) == (count, truncated)


def test_engine_rows_keep_the_column_order_and_leave_unbound_values_unbound():
    store = OxigraphStore.over(ox.Store(), [], "test")
    answer = store.query('SELECT ?b ?a ?c WHERE { VALUES (?a ?b ?c) { (1 UNDEF "c") (UNDEF "b" UNDEF) } }')
    assert answer.variables == ["b", "a", "c"]
    assert [tuple(None if t is None else t.value for t in row) for row in answer.rows] == [
        (None, "1", "c"),
        ("b", None, None),
    ]


def test_a_triple_term_in_tsv_is_written_in_triple_term_syntax():
    triple = ox.Triple(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("o"))
    written = results.serialize(_bindings([(triple, None)]), "text/tab-separated-values", 10)
    assert written.body.decode().splitlines()[1] == '<<( <https://example.org/s> <https://example.org/p> "o" )>>\t'
