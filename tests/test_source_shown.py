"""The source a ready-made query shows for a record is the strongest one the record cites.

A record may cite several pages: the depositary's table and a relay, a report and a press story about it.
The `source` column then names a primary record before an official, scholarly, press or other page, and
the alphabetically first among pages of one kind, so a researcher who cites the column never cites a
weaker page than the graph has. Each test builds a small world of made-up records (the ontology plus a few
records, no real facts) and runs the shipped query on it.
"""

import pytest
from worlds import run, state, store_of

# Named so that the weaker page of each pair sorts first: "http:" < "https:", "a" < "z".
NGO_SUMMARY = "http://a.example/ngo-summary"
NEWS_STORY = "http://b.example/news-story"
MINISTRY = "https://m.example/ministry-release"
DEPOSITARY = "https://z.example/depositary-table"
KINDS = {
    NGO_SUMMARY: "OtherSource",
    NEWS_STORY: "PressSource",
    MINISTRY: "OfficialSource",
    DEPOSITARY: "PrimaryRecordSource",
}


def cites(*sources: str) -> str:
    return "dcterms:source " + " , ".join(f"<{s}>" for s in sources) + " .\n"


@pytest.fixture(scope="module")
def world():
    described = "".join(
        f'<{iri}> a bp:Source ; dcterms:title "{iri}"@en ; bp:sourceKind bp:{kind} .\n' for iri, kind in KINDS.items()
    )
    records = [
        state("AAA"),
        state("BBB"),
        state("CCC"),
        'id:tip-ranking\\/aaa-2016 a bp:TipReportRanking ; bp:jurisdiction id:state\\/AAA ; bp:reportYear "2016"^^xsd:gYear ; bp:tier bp:Tier2 ; '
        + cites(NGO_SUMMARY, NEWS_STORY, DEPOSITARY),
        'id:tip-ranking\\/bbb-2016 a bp:TipReportRanking ; bp:jurisdiction id:state\\/BBB ; bp:reportYear "2016"^^xsd:gYear ; bp:tier bp:Tier1 ; '
        + cites(NGO_SUMMARY, NEWS_STORY),
        'id:action\\/aaa-ratification a bp:Ratification ; bp:party id:state\\/AAA ; bp:instrument id:instrument\\/tip-protocol ; bp:date "2005-06-01"^^xsd:date ; '
        + cites(NGO_SUMMARY, MINISTRY, DEPOSITARY),
        'id:action\\/bbb-accession a bp:Accession ; bp:party id:state\\/BBB ; bp:instrument id:instrument\\/tip-protocol ; bp:date "2009-01-01"^^xsd:date ; '
        + cites(NEWS_STORY, MINISTRY),
        'id:action\\/ccc-accession a bp:Accession ; bp:party id:state\\/CCC ; bp:instrument id:instrument\\/tip-protocol ; bp:date "2010-01-01"^^xsd:date ; '
        + cites(NGO_SUMMARY),
    ]
    return store_of(described + "".join(records))


def sources_shown(store, query_id: str, **values) -> dict[str, str]:
    return {row["iso3"]: row["source"] for row in run(store, query_id, **values)}


def test_a_tier_is_shown_with_the_report_rather_than_a_story_about_it(world):
    shown = sources_shown(world, "tip-tiers", year="2016")
    assert shown["AAA"] == DEPOSITARY
    assert shown["BBB"] == NEWS_STORY  # a press story before an NGO summary, though the summary sorts first


def test_a_deposit_is_shown_with_the_depositary_rather_than_a_relay(world):
    shown = sources_shown(world, "treaty-status", instrument="tip-protocol", as_of="2025-01-01")
    assert shown == {"AAA": DEPOSITARY, "BBB": MINISTRY, "CCC": NGO_SUMMARY}
