"""Facts researchers will cite, pinned after checking each against two independent sources, and the
invariants the data must keep. The second source of each pinned fact is named beside it.
"""

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

ID = "https://w3id.org/bali-process-kg/id/"
BP = "https://w3id.org/bali-process-kg/def#"
PREFIXES = (
    f"PREFIX bp: <{BP}>\nPREFIX id: <{ID}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "PREFIX org: <http://www.w3.org/ns/org#>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
)
GAPS = (Path(__file__).resolve().parent.parent / "data" / "GAPS.md").read_text(encoding="utf-8")


def select(loaded, query):
    return list(loaded.store.query(PREFIXES + query, default_graph=[ox.NamedNode(g) for g in loaded.union_graphs]))


def ask(loaded, query) -> bool:
    return bool(loaded.store.query(PREFIXES + query, default_graph=[ox.NamedNode(g) for g in loaded.union_graphs]))


def action(node, kind, party, instrument, date):
    return (
        f"ASK {{ <{ID}action/{node}> a bp:{kind} ; bp:party <{ID}state/{party}> ; "
        f'bp:instrument <{ID}instrument/{instrument}> ; bp:date "{date}"^^xsd:date ; dcterms:source ?s }}'
    )


PINNED_TREATY_ACTIONS = [
    # (node, kind, party, instrument, date) — second source in the comment
    (
        "aus--tip-protocol--ratification",
        "Ratification",
        "AUS",
        "tip-protocol",
        "2005-09-14",
    ),  # PacLII + Dutch Trb. 2010, 317
    (
        "chn--tip-protocol--accession",
        "Accession",
        "CHN",
        "tip-protocol",
        "2010-02-08",
    ),  # Macao gazette + Dutch Trb. 2010, 317
    ("chn--untoc--ratification", "Ratification", "CHN", "untoc", "2003-09-23"),  # Macao gazette + Dutch Trb. 2007, 70
    ("afg--untoc--signature", "Signature", "AFG", "untoc", "2000-12-14"),  # UNTC + Dutch Trb. 2007, 70
    ("afg--untoc--ratification", "Ratification", "AFG", "untoc", "2003-09-24"),  # UNTC + Dutch Trb. 2007, 70
    ("bgd--untoc--accession", "Accession", "BGD", "untoc", "2011-07-13"),  # UNTC + Austrian BGBl. III 145/2011
    (
        "tha--tip-protocol--ratification",
        "Ratification",
        "THA",
        "tip-protocol",
        "2013-10-17",
    ),  # Thai MFA + BGBl. III 9/2014
    (
        "sgp--tip-protocol--accession",
        "Accession",
        "SGP",
        "tip-protocol",
        "2015-09-28",
    ),  # Singapore MFA + stoptrafficking.sg
    ("kir--tip-protocol--accession", "Accession", "KIR", "tip-protocol", "2005-09-15"),  # PacLII + WhatConvention
    ("idn--untoc--ratification", "Ratification", "IDN", "untoc", "2009-04-20"),  # BGBl. III relay + observerid.com
    ("phl--actip--ratification", "Ratification", "PHL", "actip", "2017-02-07"),  # ASEAN Tribune + Canadian Inquirer
    ("tha--actip--ratification", "Ratification", "THA", "actip", "2016-07-24"),  # The Diplomat + SeafoodSource
    (
        "syr--tip-protocol--ratification",
        "Ratification",
        "SYR",
        "tip-protocol",
        "2009-04-08",
    ),  # BGBl. III 78/2009 + AUC CMRS (signed 2000, ratified 2009)
    (
        "jor--untoc--ratification",
        "Ratification",
        "JOR",
        "untoc",
        "2009-05-22",
    ),  # BGBl. III 145/2011 + AUC CMRS (signed 2002, ratified 2009)
    (
        "btn--untoc--accession--per-unodc",
        "Accession",
        "BTN",
        "untoc",
        "2023-02-20",
    ),  # UNODC South Asia + internacia-db relay of UNTC
    (
        "mdv--untoc--accession--per-maldives-mission",
        "Accession",
        "MDV",
        "untoc",
        "2013-02-04",
    ),  # Maldives mission + internacia-db relay
    (
        "vut--untoc--accession",
        "Accession",
        "VUT",
        "untoc",
        "2006-01-04",
    ),  # Austrian BGBl. III 96/2006 + untreaties relay of UNTC (date, "a")
    (
        "mys--tip-protocol--accession",
        "Accession",
        "MYS",
        "tip-protocol",
        "2009-02-26",
    ),  # BGBl. III 78/2009 + untreaties relay of UNTC (date, "a")
]


@pytest.mark.parametrize(
    "node,kind,party,instrument,date", PINNED_TREATY_ACTIONS, ids=[p[0] for p in PINNED_TREATY_ACTIONS]
)
def test_pinned_treaty_action(loaded_graph, node, kind, party, instrument, date):
    assert ask(loaded_graph, action(node, kind, party, instrument, date))


@pytest.mark.parametrize(
    "instrument,date",
    [
        ("untoc", "2003-09-29"),  # UN Information Service press release + UNTOC article
        ("tip-protocol", "2003-12-25"),  # UN Treaty Collection + Library of Congress
        ("smuggling-protocol", "2004-01-28"),  # UN Information Service + NUS Centre for International Law
        ("actip", "2017-03-08"),  # ASEAN-ACT + Xây dựng Đảng
    ],
)
def test_pinned_entry_into_force(loaded_graph, instrument, date):
    assert ask(loaded_graph, f'ASK {{ <{ID}instrument/{instrument}> bp:enteredIntoForceOn "{date}"^^xsd:date }}')


@pytest.mark.parametrize(
    "entity,qid",
    [
        ("state/USA", "Q30"),
        ("state/CHN", "Q148"),
        ("state/JPN", "Q17"),
        ("state/FRA", "Q142"),  # OWID + conzept
        ("org/IOM", "Q472311"),  # supraverden + SpocWiki registries
        ("org/ICRC", "Q5987345"),
        ("org/IFRC", "Q1069175"),  # SpocWiki + internacia-db organisation files
    ],
)
def test_pinned_wikidata_links(loaded_graph, entity, qid):
    assert ask(loaded_graph, f"ASK {{ <{ID}{entity}> skos:exactMatch <http://www.wikidata.org/entity/{qid}> }}")


@pytest.mark.parametrize(
    "law,kind,date",
    [
        ("phl-ra-9208-2003", "DedicatedLaw", "2003-05-26"),  # Scribd copy of the Act + Respicio commentary
        ("tha-atip-act-be-2551-2008", "DedicatedLaw", "2008-01-30"),  # Siam Legal + Wikisource translation
        ("usa-pl-106-386-2000", "DedicatedLaw", "2000-10-28"),  # CFR + govrecords.org copy of the Act
    ],
)
def test_pinned_laws(loaded_graph, law, kind, date):
    assert ask(
        loaded_graph,
        f"ASK {{ <{ID}law/{law}> a bp:LegalAct ; bp:legalActKind bp:{kind} ; "
        f'bp:dateEnacted ?d FILTER (STR(?d) = "{date}") }}',
    )


def test_pinned_indonesian_law_21_2007(loaded_graph):
    rows = select(
        loaded_graph,
        f"SELECT ?title ?kind WHERE {{ <{ID}law/idn-uu-21-2007> bp:originalTitle ?title ; "
        "bp:legalActKind ?kind ; bp:jurisdiction id:state\\/IDN }",
    )
    assert rows and "Perdagangan Orang" in rows[0]["title"].value
    assert rows[0]["kind"].value == BP + "DedicatedLaw"


@pytest.mark.parametrize(
    "state,year,tier",
    [
        ("THA", 2018, "Tier2"),  # Thai PBS + ecoi.net copy of the 2018 report
        ("MMR", 2018, "Tier3"),  # The News + Channel NewsAsia
        ("CHN", 2017, "Tier3"),  # CNN + The Aquila Report
        ("PHL", 2016, "Tier1"),  # Tawid News + Asia Foundation
        ("JPN", 2018, "Tier1"),  # ecoi.net copy of the 2018 report + Kyodo
        ("FJI", 2015, "Tier2"),  # State Department archive of the 2015 narrative + FBC News
        ("SGP", 2015, "Tier2"),  # ecoi.net copy of the 2015 narrative + The Online Citizen
        ("MMR", 2015, "Tier2WatchList"),  # copy of the 2015 report page + State Department waiver memorandum
        ("FRA", 2016, "Tier1"),  # 2016 narrative (State Department archive) + the 2017 narrative's look back
    ],
)
def test_pinned_tip_tiers(loaded_graph, state, year, tier):
    assert ask(
        loaded_graph,
        f"ASK {{ ?r a bp:TipReportRanking ; bp:jurisdiction id:state\\/{state} ; "
        f'bp:reportYear "{year}"^^xsd:gYear ; bp:tier bp:{tier} }}',
    )


@pytest.mark.parametrize("plan,start,end", [("aus-nap-2015-2019", "2015", "2019")])  # Home Affairs + TimeBase
def test_pinned_action_plan(loaded_graph, plan, start, end):
    assert ask(
        loaded_graph,
        f"ASK {{ <{ID}plan/{plan}> bp:startDate ?s ; bp:endDate ?e "
        f'FILTER (STR(?s) = "{start}" && STR(?e) = "{end}") }}',
    )


@pytest.mark.parametrize(
    "event,date",
    [
        ("2016-03-23-sixth-ministerial-conference", "2016-03-23"),  # DFAT transcript + Thai MFA
        ("2015-05-20-putrajaya-ministerial-meeting-on-irregular-movement", "2015-05-20"),  # joint statement + China.org
        (
            "2015-05-29-special-meeting-on-irregular-migration-in-the-indian-ocean",
            "2015-05-29",
        ),  # Thai MFA site + China.org
        (
            "2017-10-13-first-consultation-mechanism-meeting",
            "2017-10-13",
        ),  # Australian joint statement + Bali Process site
        ("2023-02-10-eighth-ministerial-conference", "2023-02-10"),  # Bali Process site + IOM
    ],
)
def test_pinned_events(loaded_graph, event, date):
    assert ask(loaded_graph, f'ASK {{ <{ID}event/{event}> bp:startDate ?d FILTER (STR(?d) = "{date}") }}')


def test_bali_declaration_was_adopted_at_the_sixth_conference(loaded_graph):
    assert ask(
        loaded_graph,
        f"ASK {{ <{ID}event/2016-03-23-sixth-ministerial-conference> bp:outcome "
        f"<{ID}instrument/bali-declaration-2016> }}",
    )


def test_indonesia_and_australia_are_permanent_co_chairs_since_2002(loaded_graph):
    for state in ("IDN", "AUS"):
        assert ask(
            loaded_graph,
            f"ASK {{ ?m org:member id:state\\/{state} ; org:organization id:forum\\/bali-process ; "
            'org:role bp:CoChairRole ; bp:startDate ?s FILTER (STRSTARTS(STR(?s), "2002")) }',
        )


# ---- invariants -----------------------------------------------------------------------------------

MEMBER_STATES = """
SELECT DISTINCT ?state ?iso WHERE {
  ?m org:member ?state ; org:organization id:forum\\/bali-process ; org:role bp:MemberRole .
  ?state a bp:State ; bp:iso3 ?iso .
}"""


@pytest.mark.parametrize("instrument", ["untoc", "tip-protocol", "smuggling-protocol"])
def test_every_member_state_has_a_dated_status_record(loaded_graph, instrument):
    unknown = [
        r["iso"].value
        for r in select(loaded_graph, MEMBER_STATES)
        if not ask(
            loaded_graph,
            f"""ASK {{
        {{ ?a bp:party <{r["state"].value}> ; bp:instrument id:instrument\\/{instrument} ; bp:date ?d }}
        UNION {{ ?a a ?statement ; bp:party <{r["state"].value}> ; bp:instrument id:instrument\\/{instrument} ; bp:asOf ?d
                 FILTER (?statement IN (bp:NonPartyStatement, bp:PartyStatement)) }} }}""",
        )
    ]
    assert unknown == []


def period_end(var):
    """SPARQL for the last day of an xsd:date, gYearMonth or gYear held as a string in ?var."""
    return f'IF(STRLEN(?{var}) = 4, CONCAT(?{var}, "-12-31"), IF(STRLEN(?{var}) = 7, CONCAT(?{var}, "-31"), ?{var}))'


def period_start(var):
    """SPARQL for the first day of an xsd:date, gYearMonth or gYear held as a string in ?var."""
    return f'IF(STRLEN(?{var}) = 4, CONCAT(?{var}, "-01-01"), IF(STRLEN(?{var}) = 7, CONCAT(?{var}, "-01"), ?{var}))'


def test_no_source_says_a_state_was_not_a_party_after_it_had_become_one(loaded_graph):
    # a deposit or a party statement that predates a non-party statement is a contradiction to resolve,
    # not a history (no member state has denounced these instruments); periods compare conservatively
    rows = select(
        loaded_graph,
        f"""
        SELECT ?party ?instrument ?was ?not WHERE {{
          ?np a bp:NonPartyStatement ; bp:party ?party ; bp:instrument ?instrument ; bp:asOf ?not .
          {{ ?c a/rdfs:subClassOf* bp:ConsentToBeBound ; bp:party ?party ; bp:instrument ?instrument ; bp:date ?was .
            BIND (STR(?was) AS ?from) }}
          UNION
          {{ ?c a bp:PartyStatement ; bp:party ?party ; bp:instrument ?instrument ; bp:asOf ?was .
            BIND (STR(?was) AS ?s)
            BIND ({period_end("s")} AS ?from) }}
          BIND (STR(?not) AS ?n)
          FILTER (?from < {period_start("n")})
        }}""",
    )
    assert [(r["party"].value, r["instrument"].value, r["was"].value, r["not"].value) for r in rows] == []


def test_no_source_says_a_state_was_a_party_before_its_first_deposit(loaded_graph):
    # a party statement as of a period must not end before the earliest dated deposit of that state
    statements_with_deposits = """
        ?statement a bp:PartyStatement ; bp:party ?party ; bp:instrument ?instrument ; bp:asOf ?as_of .
        ?c a/rdfs:subClassOf* bp:ConsentToBeBound ; bp:party ?party ; bp:instrument ?instrument ; bp:date ?date ."""
    rows = select(
        loaded_graph,
        f"""
        SELECT ?statement ?as_of ?first WHERE {{
          {{ SELECT ?statement ?as_of (MIN(?date) AS ?first) WHERE {{ {statements_with_deposits} }} GROUP BY ?statement ?as_of }}
          BIND (STR(?as_of) AS ?s)
          FILTER ({period_end("s")} < STR(?first))
        }}""",
    )
    assert [(r["statement"].value, str(r["as_of"]), str(r["first"])) for r in rows] == []
    assert ask(loaded_graph, f"ASK {{ {statements_with_deposits} }}"), (
        "the check has party statements with deposits to compare"
    )


def test_no_treaty_action_precedes_its_instruments_opening(loaded_graph):
    rows = select(
        loaded_graph,
        "SELECT ?a WHERE { ?a bp:date ?d ; bp:instrument ?i . ?i bp:openedForSignatureOn ?o FILTER (?d < ?o) }",
    )
    assert rows == []
    assert ask(loaded_graph, "ASK { ?i bp:openedForSignatureOn ?o }"), "the check has opening dates to compare with"


def test_every_wikidata_link_is_unique_and_well_formed(loaded_graph):
    # Links of things; the ontology's own alignments (bp: terms to Wikidata P… or Q…) are checked in test_wikidata.
    rows = select(
        loaded_graph,
        "SELECT ?s ?q WHERE { ?s skos:exactMatch ?q "
        "FILTER (!STRSTARTS(STR(?s), 'https://w3id.org/bali-process-kg/def#')) }",
    )
    qids = [r["q"].value for r in rows]
    assert len(qids) > 40
    assert all(re.fullmatch(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*", q) for q in qids)
    assert len(set(qids)) == len(qids), "two resources claim the same Wikidata item"


def test_every_member_state_has_a_law_row_a_no_offence_record_or_a_documented_gap(loaded_graph):
    missing = []
    for row in select(loaded_graph, MEMBER_STATES):
        has_row = ask(
            loaded_graph,
            f"ASK {{ {{ ?l a bp:LegalAct ; bp:jurisdiction <{row['state'].value}> }} "
            f"UNION {{ ?n a bp:NoOffenceStatement ; bp:jurisdiction <{row['state'].value}> }} }}",
        )
        if not has_row and not re.search(rf"\b{row['iso'].value}\b", GAPS):
            missing.append(row["iso"].value)
    assert missing == []


def test_action_plans_start_before_they_end(loaded_graph):
    rows = select(
        loaded_graph,
        "SELECT ?p WHERE { ?p a bp:ActionPlan ; bp:startDate ?s ; bp:endDate ?e FILTER (STR(?s) > STR(?e)) }",
    )
    assert rows == []
    assert ask(loaded_graph, "ASK { ?p a bp:ActionPlan ; bp:endDate ?e }")


def test_one_tier_per_state_per_report_year(loaded_graph):
    rows = select(
        loaded_graph,
        "SELECT ?j ?y (COUNT(DISTINCT ?t) AS ?n) WHERE { ?r a bp:TipReportRanking ; "
        "bp:jurisdiction ?j ; bp:reportYear ?y ; bp:tier ?t } GROUP BY ?j ?y HAVING (COUNT(DISTINCT ?t) > 1)",
    )
    assert rows == []
    assert ask(loaded_graph, "ASK { ?r a bp:TipReportRanking }")


def test_no_source_is_described_with_two_english_titles(loaded_graph):
    # a source cited from several files is described once, so SOURCES.md and the pages show one title;
    # a source in another language may have no English title at all
    rows = select(
        loaded_graph,
        "SELECT ?s (COUNT(DISTINCT ?t) AS ?n) WHERE { ?s a bp:Source ; dcterms:title ?t "
        "FILTER (LANG(?t) = 'en') } GROUP BY ?s HAVING (COUNT(DISTINCT ?t) > 1)",
    )
    assert [r["s"].value for r in rows] == []
