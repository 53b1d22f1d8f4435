"""The result writers produce the SPARQL 1.1 result formats, whatever the terms hold, and honour the row cap."""

import json

import pyoxigraph as ox
import pytest

from server import formats, results
from server.executor import run_query
from server.query import QueryRequest
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


# ---- the engine's own JSON writer ----------------------------------------------------------------------

JSON = "application/sparql-results+json"
#: text that looks like the JSON around a row when it sits inside a literal
LOOKALIKES = ['a,{"b', '[{"x', "},{", '},{"', ',{"}', 'a,{",b', '[{"]', ',{"s":{"type":"uri"', "é 中 \u0001 \\ \n"]


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _values_query(rows: list[tuple[str, ...]]) -> str:
    lines = " ".join("(" + " ".join(cells) + ")" for cells in rows)
    return f"SELECT ?s ?o ?n WHERE {{ VALUES (?s ?o ?n) {{ {lines} }} }}"


def _both_writers(query: str, cap: int):
    """The answer written by the engine's writer (through `run_query`, which falls back when unsure) and by ours."""
    store = OxigraphStore.over(ox.Store(), [], "test")
    engine = run_query(store, QueryRequest(query, media_types=(JSON,), max_rows=cap))
    answer = store.query(query)
    answer.solutions = None
    ours = results.serialize(answer, JSON, cap)
    return engine, ours


def _rows_of(texts: list[str]) -> list[tuple[str, ...]]:
    rows = []
    for i, text in enumerate(texts):
        language = ["@en", "^^<http://www.w3.org/2001/XMLSchema#date>", ""][i % 3]
        rows.append((f"<https://example.org/{i}>", _literal(text) + language, "UNDEF" if i % 4 == 0 else str(i)))
    return rows


@pytest.mark.parametrize("cap", [0, 1, 2, len(LOOKALIKES) - 1, len(LOOKALIKES), 10_000])
def test_the_engines_json_is_byte_for_byte_ours_and_capped_alike(cap):
    engine, ours = _both_writers(_values_query(_rows_of(LOOKALIKES)), cap)
    assert engine.body == ours.body
    assert (engine.count, engine.truncated) == (ours.count, ours.truncated) == (min(cap, 9), cap < 9)
    assert len(json.loads(engine.body)["results"]["bindings"]) == engine.count


def test_rows_are_counted_across_the_engines_buffer_boundaries():
    # ~300 kB of rows whose literals are full of look-alikes: many of the writer's 8 kB buffers end mid-row
    texts = [LOOKALIKES[i % len(LOOKALIKES)] * (1 + i % 17) for i in range(1500)]
    query = _values_query(_rows_of(texts))
    for cap in [*range(0, 1501, 97), 1499, 1500, 1501]:
        engine, ours = _both_writers(query, cap)
        assert (engine.body, engine.count, engine.truncated) == (ours.body, ours.count, ours.truncated), cap


def test_rows_are_counted_wherever_the_writers_buffer_ends():
    store = OxigraphStore.over(ox.Store(), [], "test")
    body = store.query(_values_query(_rows_of(LOOKALIKES))).solutions.serialize(format=ox.QueryResultsFormat.JSON)
    for end in range(1, len(body)):
        sink = results._EngineJsonSink(100)
        sink.write(body[:end])
        sink.write(body[end:])
        assert sink.rows == len(LOOKALIKES), end


def test_random_literals_are_written_and_counted_as_ours_writes_them():
    import random

    alphabet = ',{}[]":\\ab\n\té'
    generator = random.Random(14)
    texts = ["".join(generator.choice(alphabet) for _ in range(generator.randrange(12))) for _ in range(400)]
    query = _values_query(_rows_of(texts))
    for cap in (0, 7, 399, 400):
        engine, ours = _both_writers(query, cap)
        assert (engine.body, engine.count, engine.truncated) == (ours.body, ours.count, ours.truncated)


@pytest.mark.parametrize(
    "query,rows",
    [
        ('SELECT ?x WHERE { VALUES ?x { UNDEF "a" UNDEF } }', 3),  # rows with no bound variable: `{}`
        ("SELECT * WHERE { }", 1),
        ('SELECT ?x WHERE { VALUES ?x { ",{}," "[{}]" } }', 2),  # a literal that looks like an empty row
    ],
)
def test_a_row_the_count_cannot_be_sure_of_is_written_by_our_writer(query, rows):
    store = OxigraphStore.over(ox.Store(), [], "test")
    answer = store.query(query)
    with pytest.raises(results.RowsUncounted):
        results.serialize(answer, JSON, 100)
    engine, ours = _both_writers(query, 100)  # run_query runs the query again for our writer
    assert (engine.body, engine.count, engine.truncated) == (ours.body, rows, False)


def test_solutions_the_engine_can_write_are_never_pulled_into_python():
    store = OxigraphStore.over(ox.Store(), [], "test")
    answer = store.query('SELECT ?x WHERE { VALUES ?x { "a" "b" } }')
    answer.rows = None  # our writer would fail on this
    written = results.serialize(answer, JSON, 100)
    assert json.loads(written.body)["results"]["bindings"] == [
        {"x": {"type": "literal", "value": v}} for v in ("a", "b")
    ]


def test_a_triple_term_in_tsv_is_written_in_triple_term_syntax():
    triple = ox.Triple(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("o"))
    written = results.serialize(_bindings([(triple, None)]), "text/tab-separated-values", 10)
    assert written.body.decode().splitlines()[1] == '<<( <https://example.org/s> <https://example.org/p> "o" )>>\t'
