"""The ready-made query catalogue: well-formed headers, typed parameters bound safely, every query run
with its examples on both engines and compared with a reviewed golden file.

Regenerate the golden files (after reviewing the change) with `pytest --update-golden tests/test_catalogue.py`.
"""

import csv
import io
import re
from pathlib import Path

import pytest

from server.catalogue import Catalogue, CatalogueError, ParameterError, parse_query_file
from server.dataset import prepare
from server.executor import run_query
from server.query import QueryRequest, bindings_of
from server.settings import Settings
from server.store import OxigraphStore, RdflibStore

GOLDEN = Path(__file__).parent / "golden" / "queries"
CATALOGUE = Catalogue()
#: the queries that run offline: federated ones (tagged `federated`, calling a remote endpoint) are tested
#: against a local mirror in tests/test_federation.py
OFFLINE = CATALOGUE.available([])
REQUIRED_IDS = {
    "members",
    "members-cochairing-with-legislation",
    "treaty-status",
    "parties-over-time",
    "legislation",
    "members-without-legislation",
    "action-plans",
    "timeline",
    "tip-tiers",
    "indonesia-2015-2018",
    "seed-figures",
    "sources",
    "describe",
}
REQUIRED_COLUMNS = {
    "members": "member, label, label_id, kind, iso3, wikidata, roles, since",
    "members-cochairing-with-legislation": "member, label, body, role, law, law_title, law_year",
    "treaty-status": "state, label, iso3, status, action, action_date, signature_date, known_on, source",
    "parties-over-time": "year, new_parties, cumulative_parties",
    "legislation": "state, label, iso3, law, title, identifier, year, kind, source",
    "members-without-legislation": "state, label, iso3, gap_note",
    "action-plans": "state, label, iso3, plan, title, start_year, end_year, source",
    "timeline": "date, event, label, kind, place, outcome",
    "tip-tiers": "state, label, iso3, tier, source",
    "indonesia-2015-2018": "date, kind, item, label, label_id, detail, source",
    "seed-figures": "claim, claimed_value, computed_value, counting_rule, note",
    "sources": "source, title, publisher, facts",
}


@pytest.fixture(scope="module")
def engines(store_cache):
    served = prepare(Settings(), Path(store_cache))
    return {"oxigraph": OxigraphStore(served.directory), "rdflib": RdflibStore(served.directory)}


def run(store, query, values, media_type=None):
    media_type = media_type or ("application/n-triples" if query.form == "graph" else "text/csv")
    outcome = run_query(
        store,
        QueryRequest(
            query.body,
            media_types=(media_type,),
            bindings=bindings_of(query.bindings(values)),
            columns=query.column_names,
            max_rows=10**6,
        ),
    )
    return outcome.body.decode("utf-8")


def examples(query) -> dict:
    return {p.name: p.example for p in query.params}


def test_the_catalogue_has_every_required_query_and_column():
    assert set(CATALOGUE.queries) >= REQUIRED_IDS
    for query_id, columns in REQUIRED_COLUMNS.items():
        assert ", ".join(c.name for c in CATALOGUE.get(query_id).columns) == columns


@pytest.mark.parametrize("query", list(CATALOGUE), ids=lambda q: q.id)
def test_header_is_complete_and_params_match_the_body(query):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", query.id)
    assert query.title and query.title_id and query.description and query.description_id and query.tags
    for param in query.params:
        assert param.example, param.name
        param.to_binding(param.example)  # every example is a valid value of its type
    query.bindings(examples(query))
    used = set(re.findall(r"[?$]_([A-Za-z0-9_]+)", query.body))
    assert used == {p.name for p in query.params}
    if query.form != "graph":
        assert query.columns


def test_a_header_that_disagrees_with_the_body_is_refused(tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text(
        "#+ title: t\n#+ title_id: t\n#+ description: d\n#+ description_id: d\n#+ tags: [x]\n"
        "#+ params: []\n#+ columns: [{name: a, description: a}]\nSELECT ?a WHERE { ?a ?b ?_oops }\n"
    )
    with pytest.raises(CatalogueError, match="oops"):
        parse_query_file(bad)


@pytest.mark.parametrize("query", OFFLINE, ids=lambda q: q.id)
def test_query_matches_its_golden_file(query, engines, request):
    body = run(engines["oxigraph"], query, examples(query))
    golden = GOLDEN / f"{query.id}.{'nt' if query.form == 'graph' else 'csv'}"
    if query.form == "graph":
        body = "".join(sorted(body.splitlines(keepends=True)))
    if request.config.getoption("--update-golden"):
        golden.write_bytes(body.encode("utf-8"))
    assert golden.exists(), f"no golden file {golden.name}: run pytest --update-golden after reviewing the output"
    assert body == golden.read_bytes().decode("utf-8")
    if query.form != "graph":
        header = next(csv.reader(io.StringIO(body)))
        assert header == [c.name for c in query.columns]


def _normalised(body: str, form: str):
    if form == "graph":
        return sorted(body.splitlines())
    rows = list(csv.reader(io.StringIO(body)))
    # GROUP_CONCAT order is engine-dependent: compare concatenated cells as sets of parts.
    return [rows[0]] + sorted(tuple(" ; ".join(sorted(cell.split(" ; "))) for cell in row) for row in rows[1:])


@pytest.mark.parametrize("query", OFFLINE, ids=lambda q: q.id)
def test_both_engines_give_the_same_results(query, engines):
    fast = run(engines["oxigraph"], query, examples(query))
    reference = run(engines["rdflib"], query, examples(query))
    assert _normalised(fast, query.form) == _normalised(reference, query.form)
    assert len(_normalised(fast, query.form)) > 1, "the example finds something"


@pytest.mark.parametrize(
    "param_type,value",
    [
        ("iri", "https://example.org/x> } ; DROP ALL ; <"),
        ("iri", "not an iri"),
        ("iri", "https://example.org/a b"),
        ("iso3", '"} ; DROP'),
        ("iso3", "ID"),
        ("year", "2016\n} SELECT"),
        ("date", "2015-13-01"),
        ("date", '2015-12-31"^^<x>'),
        ("enum", "tip-protocol' OR 'a'='a"),
        ("integer", "1; DROP"),
        ("language", "en\nSELECT"),
    ],
)
def test_hostile_values_are_refused_with_a_message_naming_the_parameter(param_type, value):
    from server.catalogue import Param

    param = Param(name="p", type=param_type, required=True, description="d", example="x", enum=("tip-protocol",))
    with pytest.raises(ParameterError, match="parameter 'p': expected"):
        param.to_binding(value)


def test_string_values_with_quotes_and_braces_are_bound_as_data_not_syntax(engines):
    # A string parameter is bound by the engine: quotes, braces and newlines are just characters.
    from server.catalogue import Param

    hostile = 'x" } ; DROP ALL ; SELECT * { ?s ?p "\n'
    binding = Param(name="label", type="string", required=True, description="d", example="x").to_binding(hostile)
    query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?_label WHERE { ?s rdfs:label ?_label }"
    for store in engines.values():
        outcome = run_query(
            store, QueryRequest(query, media_types=("text/csv",), bindings=bindings_of({"_label": binding}))
        )
        assert outcome.count == 0


def test_unknown_and_missing_parameters_are_named():
    with pytest.raises(ParameterError, match="unknown parameter 'year'"):
        CATALOGUE.get("members").bindings({"year": "2016"})
    with pytest.raises(ParameterError, match="parameter 'instrument' is required"):
        CATALOGUE.get("treaty-status").bindings({})


def test_defaults_apply_and_today_is_a_date():
    bindings = CATALOGUE.get("treaty-status").bindings({"instrument": "untoc"})
    as_of = bindings["_as_of"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of.value) and as_of.datatype.endswith("#date")
    assert CATALOGUE.get("timeline").bindings({})["_from"].value == "2015-01-01"


@pytest.mark.parametrize(
    "param_type,value",
    [("year", "٢٠١٦"), ("integer", "٣"), ("date", "٢٠١٦-01-01"), ("iri", "http://["), ("iri", "a b:c")],
)
def test_values_outside_their_type_are_refused_even_in_other_scripts(param_type, value):
    from server.catalogue import Param

    with pytest.raises(ParameterError, match="parameter 'p'"):
        Param(name="p", type=param_type, required=True, description="d", example="x").to_binding(value)


def test_the_query_form_is_the_engines_reading():
    from server.catalogue import query_form

    assert query_form("DESCRIBE <http://example.org/x>") == "graph"
    assert query_form("# CONSTRUCT in a comment\nSELECT * WHERE { }") == "select"
    assert query_form("ASK { }") == "ask"


def test_readme_query_table_matches_the_catalogue():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[`([a-z0-9-]+)`\]\(queries/\1\.rq\) \| (.+?) \| (.*?) \|$", readme, re.M)
    assert {r[0] for r in rows} == set(CATALOGUE.queries)
    for query_id, title, params in rows:
        query = CATALOGUE.get(query_id)
        assert title == query.title
        assert params == (", ".join(f"`{p.name}`" for p in query.params) or "—")
