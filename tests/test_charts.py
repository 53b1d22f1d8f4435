"""Charts: labels measured so they fit, every chart linked to the ready-made query and CSV behind it, the
outcome indicators drawn one observation per dot (never a sum of two bodies' figures), and no ready-made or
page query adding up observations of two reporting bodies.

The browser checks of the same pages (text overflow measured by Chromium) are in tests/test_browser.py.
"""

import re
from pathlib import Path

import pytest
from rdflib import Literal, Namespace, URIRef, Variable
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from server import charts
from server.datafiles import QUERIES_DIR
from server.pages import STRINGS

BP = Namespace("https://w3id.org/bali-process-kg/def#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
WIKIBASE = Namespace("http://wikiba.se/ontology#")
STATE = "https://w3id.org/bali-process-kg/id/state/"
PAGE_QUERIES = Path(__file__).resolve().parent.parent / "server" / "sparql"


# --- labels fit -------------------------------------------------------------------------------------------


def _text_extents(svg: str):
    """(x0, width) of the viewBox and, for every <text>, its estimated left and right edge."""
    x0, _, width, _ = (float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split())
    edges = []
    for match in re.finditer(r"<text( [^>]*)>(.*?)</text>", svg):
        attributes, content = match.group(1), match.group(2)
        anchor = (re.search(r'text-anchor="(\w+)"', attributes) or ["", "start"])[1]
        size = float(re.search(r'font-size="([\d.]+)"', attributes).group(1))
        lines = re.findall(r'<tspan x="([-\d.]+)"[^>]*>([^<]*)</tspan>', content) or [
            (re.search(r'x="([-\d.]+)"', attributes).group(1), content)
        ]
        for x, text in lines:
            w = charts.text_width(text, size)
            left = {"start": float(x), "middle": float(x) - w / 2, "end": float(x) - w}[anchor]
            edges.append((left, left + w, text))
    return x0, width, edges


@pytest.mark.parametrize("lang", ["en", "id"])
def test_bar_labels_in_either_language_lie_inside_the_picture(lang):
    long_label = {"en": "dedicated anti-trafficking law", "id": "undang-undang khusus pemberantasan perdagangan orang"}
    svg = charts.bars([(long_label[lang], 26), (STRINGS["without_plan"][lang], 3)], "t")
    x0, width, edges = _text_extents(svg)
    assert edges and all(x0 <= left and right <= x0 + width for left, right, _ in edges), edges


def test_a_longer_label_makes_a_wider_picture_not_a_clipped_one():
    short = _text_extents(charts.bars([("law", 3)], "t"))[1]
    long = _text_extents(charts.bars([("a dedicated anti-trafficking law of some length", 3)], "t"))[1]
    assert long > short + 150


def test_timeline_labels_near_either_end_stay_inside_the_picture():
    items = [
        ("2015-01-02", "First meeting of a body with a long name that goes on " * 2, "event"),
        ("2018-12-30", "Last meeting of a body with a long name that goes on " * 2, "event"),
        ("2016-06-30", "W" * 60, "event"),  # one word wider than the room on either side
    ]
    x0, width, edges = _text_extents(charts.timeline(items, "t"))
    for left, right, text in edges:
        assert x0 <= left and right <= x0 + width, text


def test_legend_of_the_parties_chart_is_as_wide_as_its_longest_name():
    svg = charts.parties_over_time({"A very long instrument name indeed, in Indonesian": [(2003, 5)]}, "t")
    x0, width, edges = _text_extents(svg)
    assert all(x0 <= left and right <= x0 + width for left, right, _ in edges)


# --- the indicators chart ---------------------------------------------------------------------------------


def _obs(measure, body, year, value, period=None, unit="persons"):
    return charts.Observation(measure, unit, body, period or str(year), year, value)


def _chart(observations):
    return charts.indicators(observations, series_name=lambda b, u: f"{b} ({u})", measure_title=str)


def test_a_missing_year_breaks_the_line():
    chart = _chart([_obs("prosecutions", "AGO", y, v) for y, v in ((2013, 1), (2014, 2), (2017, 3), (2018, 4))])
    (_, svg), *_ = chart.panels
    paths = re.findall(r'<path d="([^"]+)"', svg)
    assert len(paths) == 2 and all(p.count("L") == 1 for p in paths)  # 2013–2014 and 2017–2018, nothing across


def test_two_bodies_figures_for_one_year_are_two_dots_never_their_sum():
    chart = _chart([_obs("victims-identified", "Police", 2018, 480), _obs("victims-identified", "Ministry", 2018, 276)])
    values = sorted(int(v) for v in re.findall(r'data-value="(\d+)"', chart.panels[0][1]))
    assert values == [276, 480]


def test_a_figure_without_a_year_or_outside_the_years_is_listed_not_drawn():
    tip = _obs("victims-assisted", "MFA", None, 478, period="Reporting period of the 2017 US TIP Report")
    old = _obs("victims-assisted", "IOM", 2005, 10)
    part = _obs("victims-identified", "Police", 2016, 194, period="2016, up to 9 December")
    chart = _chart([tip, old, part])
    assert sorted(reason for _, reason in chart.unplaced) == ["period", "range"]
    ((measure, svg),) = chart.panels
    assert measure == "victims-identified" and 'fill="#fff"' in svg  # a part-year figure is a hollow dot


def test_a_part_year_figure_gives_way_to_the_same_bodys_whole_year_figure():
    chart = _chart([_obs("x", "Police", 2016, 200), _obs("x", "Police", 2016, 194, period="2016, up to 9 December")])
    assert [(o.value, reason) for o, reason in chart.unplaced] == [(194, "whole-year")]


def _answering_observations(data, iso3: str):
    """A state's observations the graph answers with: not deprecated, and preferred where records compete."""
    dims = [QB.dataSet, SDMX.refArea, SDMX.refPeriod, QB.measureType, BP.unitCounted, BP.reportingBody]
    area = URIRef(STATE + iso3)
    observations = [o for o in data.subjects(SDMX.refArea, area) if (o, RDF.type, QB.Observation) in data]
    preferred = {
        tuple(data.value(o, d) for d in dims)
        for o in observations
        if (o, WIKIBASE.rank, WIKIBASE.PreferredRank) in data
    }
    return [
        o
        for o in observations
        if (o, WIKIBASE.rank, WIKIBASE.DeprecatedRank) not in data
        and (
            (o, WIKIBASE.rank, WIKIBASE.PreferredRank) in data or tuple(data.value(o, d) for d in dims) not in preferred
        )
    ]


def _year_of(data, period) -> int | None:
    """The year the data places a period in, read from the Turtle (independently of the query)."""
    if isinstance(period, Literal) and period.datatype == XSD.gYear:
        return int(str(period))
    start, end = data.value(period, BP.startDate), data.value(period, BP.endDate)
    if start is not None and end is not None and str(start)[:4] == str(end)[:4]:
        return int(str(start)[:4])
    return None


def _measure_property(notation: str) -> URIRef:
    head, *rest = notation.split("-")
    return BP[head + "".join(word.capitalize() for word in rest)]


def _points(html: str) -> list[dict]:
    return [
        dict(re.findall(r'data-(\w+)="([^"]*)"', match.group(0)))
        for match in re.finditer(r'<circle class="point"[^>]*>', html)
    ]


@pytest.mark.parametrize(("path", "iso3"), [("/id/state/IDN", "IDN"), ("/", "IDN"), ("/id/state/AUS", "AUS")])
def test_every_dot_of_the_indicators_chart_is_one_observation_of_one_body(client, data, path, iso3):
    # in English whatever language cookie an earlier test left on the shared client
    html = client.get(path, params={"lang": "en"}, headers={"Accept": "text/html"}).text
    html = html.replace("&#39;", "'").replace("&amp;", "&")
    points = _points(html)
    answering = _answering_observations(data, iso3)
    assert points and answering
    drawn = []
    for point in points:
        matches = [
            o
            for o in answering
            if _year_of(data, data.value(o, SDMX.refPeriod)) == int(point["year"])
            and data.value(o, QB.measureType) == _measure_property(point["measure"])
            and Literal(point["body"], lang="en") in set(data.objects(data.value(o, BP.reportingBody), RDFS.label))
            and int(data.value(o, _measure_property(point["measure"]))) == int(point["value"])
        ]
        assert len(matches) == 1, point  # a single observation, not a sum or a mix of bodies
        drawn.append(matches[0])
    in_range = [o for o in answering if 2013 <= (_year_of(data, data.value(o, SDMX.refPeriod)) or 0) <= 2020]
    assert sorted(drawn) == sorted(in_range)  # every figure with a year in range is drawn, once
    listed = re.search(r'<ul class="unplaced small" id="indicators-unplaced">(.*?)</ul>', html, re.S).group(1)
    assert listed.count("<li>") == len(answering) - len(in_range)  # the others are listed under the chart


def test_a_state_without_observations_has_no_indicators_chart(client, data):
    observed = set(data.objects(None, SDMX.refArea))
    iso3 = next(str(code) for state, code in sorted(data.subject_objects(BP.iso3)) if state not in observed)
    html = client.get(f"/id/state/{iso3}", headers={"Accept": "text/html"}).text
    assert 'id="entity-name"' in html and 'id="chart-indicators"' not in html


# --- every chart names its query --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/id/state/IDN"])
def test_every_chart_links_to_its_ready_made_query_and_a_csv_of_its_numbers(client, path):
    html = client.get(path, headers={"Accept": "text/html"}).text
    figures = re.findall(r"<figure id=\"chart-[\w-]+\">.*?</figure>", html, re.S)
    assert figures
    for figure in figures:
        queries = re.findall(r'class="chart-query" href="([^"]+)"', figure)
        csvs = re.findall(r'class="chart-csv" href="([^"]+)"', figure)
        assert queries and len(queries) == len(csvs), figure[:80]
        for page, csv in zip(queries, csvs, strict=True):
            page, csv = page.replace("&amp;", "&"), csv.replace("&amp;", "&")
            assert re.fullmatch(r"/queries/[a-z0-9-]+(\?.*)?", page)
            assert csv.split("?")[0] == page.split("?")[0] + ".csv"
            answer = client.get(csv)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), csv
            assert len(answer.text.splitlines()) > 1, csv  # the chart's numbers, not an empty table


# --- deposit kinds in both languages ----------------------------------------------------------------------


def test_deposit_kinds_in_the_treaty_table_are_in_the_pages_language(client):
    kinds = ("ratification", "accession", "acceptance", "approval", "succession", "deposit")
    assert all(STRINGS[f"deposit_{k}"]["en"] and STRINGS[f"deposit_{k}"]["id"] for k in kinds)
    html = client.get("/id/state/IDN?lang=id", headers={"Accept": "text/html"}).text
    shown = re.findall(r'class="deposit-kind" data-kind="([\w-]+)">([^<]+)<', html)
    assert shown and all(text == STRINGS["deposit_" + kind.replace("-", "_")]["id"] for kind, text in shown)
    assert "ratifikasi" in {text for _, text in shown}


# --- nothing adds up two bodies' figures ------------------------------------------------------------------

OBSERVATION_TERMS = {BP.reportingBody, QB.measureType, QB.dataSet, SDMX.refArea, SDMX.refPeriod, BP.unitCounted}
MEASURES = {
    BP[m]
    for m in (
        "investigations",
        "prosecutions",
        "convictions",
        "victimsIdentified",
        "victimsAssisted",
        "officialsProsecuted",
        "casesRecorded",
    )
}
ADDING = {"Aggregate_Sum", "Aggregate_Count", "Aggregate_Avg"}


def _walk(node):
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk(value)


def _triples(node):
    for part in _walk(node):
        if part.name == "BGP":
            yield from part.triples


def adding_across_bodies(text: str) -> list[str]:
    """The aggregates of a query that add up (SUM, COUNT, AVG) over observations without grouping by the
    reporting body (its variable, or that variable's label)."""
    problems = []
    for join in (n for n in _walk(translateQuery(parseQuery(text)).algebra) if n.name == "AggregateJoin"):
        kinds = {a.name for a in join.A} & ADDING
        triples = list(_triples(join.p))
        touches = any(
            p in OBSERVATION_TERMS | MEASURES or (p == RDF.type and o in (QB.Observation, BP.OutcomeObservation))
            for _, p, o in triples
        )
        if not (kinds and touches):
            continue
        bodies = {o for _, p, o in triples if p == BP.reportingBody and isinstance(o, Variable)}
        names = {o for s, p, o in triples if s in bodies and p == RDFS.label}
        grouped = {e for e in (join.p.expr or []) if isinstance(e, Variable)}
        if not bodies or not grouped & (bodies | names):
            problems.append(", ".join(sorted(kinds)))
    return problems


def test_the_check_catches_a_query_that_adds_up_two_bodies_figures():
    total = """PREFIX bp: <https://w3id.org/bali-process-kg/def#> PREFIX qb: <http://purl.org/linked-data/cube#>
    PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
    SELECT ?year (SUM(?v) AS ?total) WHERE { ?o qb:measureType bp:prosecutions ; bp:prosecutions ?v ;
      sdmx-dimension:refPeriod ?year ; bp:reportingBody ?body } GROUP BY ?year"""
    per_body = total.replace("GROUP BY ?year", "GROUP BY ?year ?body").replace("SELECT ?year", "SELECT ?year ?body")
    assert adding_across_bodies(total) == ["Aggregate_Sum"]
    assert adding_across_bodies(per_body) == []


@pytest.mark.parametrize(
    "path", sorted(QUERIES_DIR.glob("*.rq")) + sorted(PAGE_QUERIES.glob("*.rq")), ids=lambda p: p.name
)
def test_no_query_adds_up_observations_of_two_reporting_bodies(path):
    assert adding_across_bodies(path.read_text(encoding="utf-8")) == []


def test_home_charts_speak_indonesian_on_the_indonesian_page(client):
    html = client.get("/?lang=id", headers={"Accept": "text/html"}).text
    laws = re.search(r'<figure id="chart-laws">.*?</figure>', html, re.S).group(0)
    status = re.search(r'<figure id="chart-status">.*?</figure>', html, re.S).group(0)
    assert "undang-undang khusus anti-perdagangan orang" in laws and "dedicated anti-trafficking law" not in laws
    assert ">bukan pihak<" in status and ">not-party<" not in status
