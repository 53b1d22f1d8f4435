"""The outcome-indicator cube (docs/indicators.md): values written as xsd:nonNegativeInteger, every
observation answered once by the ready-made query, figures of two bodies or units never added up, and the
figures an audit should not see change without a new source.
"""

import re

import pyoxigraph as ox
import pytest
from rdflib import Namespace, URIRef
from rdflib.namespace import RDF, XSD

from server.catalogue import Catalogue
from server.datafiles import QUERIES_DIR

BP = Namespace("https://w3id.org/bali-process-kg/def#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
WIKIBASE = Namespace("http://wikiba.se/ontology#")
ID = "https://w3id.org/bali-process-kg/id/"
CATALOGUE = Catalogue()


def _rows(loaded, query_id, **values):
    query = CATALOGUE.get(query_id)
    substitutions = {ox.Variable(name): binding.to_term() for name, binding in query.bindings(values).items()}
    solutions = loaded.store.query(
        query.body, default_graph=[ox.NamedNode(g) for g in loaded.union_graphs], substitutions=substitutions
    )
    names = [v.value for v in solutions.variables]
    return [
        {n: (s[n].value if s[n] is not None else None) for n in names if n in query.column_names} for s in solutions
    ]


def test_every_observation_writes_one_value_as_xsd_non_negative_integer(data):
    """The store (Oxigraph) keeps derived integer types as xsd:integer, so the written type is checked here."""
    observations = set(data.subjects(RDF.type, QB.Observation))
    assert len(observations) >= 20
    for obs in observations:
        measure = data.value(obs, QB.measureType)
        values = list(data.objects(obs, measure))
        assert len(values) == 1, obs
        assert values[0].datatype == XSD.nonNegativeInteger and int(values[0]) >= 0, obs


def test_every_observation_is_also_an_outcome_observation_in_the_one_data_set(data):
    for obs in data.subjects(RDF.type, QB.Observation):
        assert (obs, RDF.type, BP.OutcomeObservation) in data
        assert list(data.objects(obs, QB.dataSet)) == [URIRef(ID + "dataset/outcome-indicators")]


def test_the_query_adds_nothing_up():
    text = (QUERIES_DIR / "indicators.rq").read_text(encoding="utf-8")
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert not re.search(r"\b(SUM|AVG|COUNT)\s*\(", body, re.I)


def _key(data, obs):
    dims = [QB.dataSet, SDMX.refArea, SDMX.refPeriod, QB.measureType, BP.unitCounted, BP.reportingBody]
    return tuple(data.value(obs, d) for d in dims)


def test_the_query_answers_every_observation_of_indonesia_once_and_only_the_preferred_of_competing_ones(
    loaded_graph, data
):
    rows = _rows(loaded_graph, "indicators")
    idn = [o for o in data.subjects(QB.measureType, None) if (o, SDMX.refArea, URIRef(ID + "state/IDN")) in data]
    preferred_keys = {_key(data, o) for o in idn if (o, WIKIBASE.rank, WIKIBASE.PreferredRank) in data}
    answering = [
        o
        for o in idn
        if (o, WIKIBASE.rank, WIKIBASE.DeprecatedRank) not in data
        and ((o, WIKIBASE.rank, WIKIBASE.PreferredRank) in data or _key(data, o) not in preferred_keys)
    ]
    assert preferred_keys, "the data has competing figures ranked"
    assert len(rows) == len(answering) < len(idn)
    keys = [(r["period"], r["measure"], r["unit"], r["reporting_body"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_the_preferred_ministry_figure_answers_not_the_outranked_one(loaded_graph):
    rows = _rows(loaded_graph, "indicators", measure="cases-recorded")
    values = {(r["period"], r["value"]) for r in rows}
    assert ("2019", "191") in values and ("2019", "111") not in values
    assert ("2020", "382") in values and ("2020", "213") not in values


def test_two_bodies_figures_stay_side_by_side(loaded_graph):
    rows = _rows(loaded_graph, "indicators", measure="victims-identified")
    bodies = {r["reporting_body"] for r in rows}
    assert {
        "Indonesia",
        "Commission for the Protection of Children (Indonesia)",
        "Ministry of Women's Empowerment and Child Protection of Indonesia",
    } <= bodies
    years_with_two_bodies = {r["period"] for r in rows if r["reporting_body"] == "Indonesia"} & {
        r["period"] for r in rows if r["reporting_body"].startswith("Ministry of Women")
    }
    assert {"2018", "2019"} <= years_with_two_bodies
    assert all(r["measure"] == "victims-identified" for r in rows)


@pytest.mark.parametrize(
    "period,measure,unit,body,value,source",
    [
        (
            "2014",
            "prosecutions",
            "persons",
            "Attorney General's Office of Indonesia",
            "134",
            ID + "source/us-state-department-tip-report-2015-indonesia",
        ),
        (
            "2014",
            "convictions",
            "persons",
            "Attorney General's Office of Indonesia",
            "79",
            ID + "source/us-state-department-tip-report-2015-indonesia",
        ),
        (
            "Reporting period of the 2017 US TIP Report",
            "victims-assisted",
            "persons",
            "Ministry of Foreign Affairs of Indonesia",
            "478",
            "https://www.state.gov/reports/2017-trafficking-in-persons-report/indonesia/",
        ),
        (
            "Reporting period of the 2017 US TIP Report",
            "officials-prosecuted",
            "persons",
            "Indonesia",
            "2",
            "https://www.state.gov/reports/2017-trafficking-in-persons-report/indonesia/",
        ),
        (
            "2017",
            "prosecutions",
            "not-stated",
            "Courts of Indonesia (national court data)",
            "407",
            "https://pulitzercenter.org/stories/human-trafficking-still-problem-and-indonesia-made-little-progress",
        ),
    ],
)
def test_pinned_figures(loaded_graph, period, measure, unit, body, value, source):
    rows = _rows(loaded_graph, "indicators", state="IDN", measure=measure)
    pinned = {
        "state": "IDN",
        "period": period,
        "measure": measure,
        "unit": unit,
        "reporting_body": body,
        "value": value,
        "qualifier": None,
        "source": source,
    }
    assert pinned in [{k: r[k] for k in pinned} for r in rows]


def test_a_figure_has_a_year_only_where_the_data_says_which_year_it_belongs_to(loaded_graph):
    years = {r["period"]: r["year"] for r in _rows(loaded_graph, "indicators", state="IDN")}
    assert years["2017"] == "2017"  # a calendar year
    assert years["2016, up to 9 December"] == "2016"  # a period recorded as starting and ending in 2016
    assert years["2005–2013"] is None  # a span of years
    assert years["Reporting period of the 2017 US TIP Report"] is None  # no dates recorded
