"""Ranks: where records of one fact disagree, exactly one is preferred, and every answer comes from it.

Competing records (see docs/data-guide.md, "Competing records and ranks") carry `wikibase:rank`; the shape
`shapes:competingRecordsRanked` refuses disagreeing records of one fact unless exactly one is preferred.
These tests pin the cases an audit found answered from a weaker source, list every group of competing
treaty actions, and check that no ready-made query returns a second row for one fact or answers from a
record that another, preferred record of the same fact outranks.
"""

import pyoxigraph as ox
import pytest

from server.catalogue import Catalogue

ID = "https://w3id.org/bali-process-kg/id/"
PREFIXES = """PREFIX bp: <https://w3id.org/bali-process-kg/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX wikibase: <http://wikiba.se/ontology#>
"""
CATALOGUE = Catalogue()

UN_UNTOC_TABLE = (
    "http://treaties.un.org/Pages/ShowMTDSGDetails.aspx?src=UNTSONLINE&tabid=3&mtdsg_no=XVIII-12&chapter=18&lang=en"
)
DUTCH_GAZETTE_UNTOC = "https://zoek.officielebekendmakingen.nl/dossier/trb-2007-70.html"
# The UN status pages as the documents facts cite; the graph read them in relays (internacia-db, zmjones/untreaties),
# which the pages link with bp:copy.
UNTC_UNTOC = "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XVIII-12&chapter=18&clang=_en"
UNTC_TIP = "https://treaties.un.org/Pages/ViewDetails.aspx?src=TREATY&mtdsg_no=XVIII-12-a&chapter=18&clang=_en"
INDIA_MEA = "https://mea.gov.in/press-releases.htm?dtl/12790/India+signs+the+UN+Convention+against+Transnational+Organised+Crime+UNTOC"
ASEAN_SECRETARIAT = (
    "https://asean.org/a-step-closer-for-entry-into-force-of-the-asean-convention-against-trafficking-in-persons/"
)
BERNAMA_RELAY = "https://1343actionline.ph/1067-asean-leaders-sign-key-convention-against-trafficking-in-persons"

# (party, instrument, act, preferred record, its date, a source of the preferred record, the outranked record)
CASES = [
    (
        "AFG",
        "untoc",
        "consent",
        "afg--untoc--ratification",
        "2003-09-24",
        UN_UNTOC_TABLE,
        "afg--untoc--ratification--per-unodc-2008",
    ),
    (
        "AFG",
        "untoc",
        "consent",
        "afg--untoc--ratification",
        "2003-09-24",
        DUTCH_GAZETTE_UNTOC,
        "afg--untoc--ratification--per-unodc-2008",
    ),
    (
        "MDV",
        "untoc",
        "consent",
        "mdv--untoc--accession--per-maldives-mission",
        "2013-02-04",
        UNTC_UNTOC,
        "mdv--untoc--accession--per-maldives-mfa",
    ),
    (
        "IND",
        "untoc",
        "signature",
        "ind--untoc--signature",
        "2002-12-12",
        INDIA_MEA,
        "ind--untoc--signature--per-chronicle-india",
    ),
    (
        "MMR",
        "actip",
        "consent",
        "mmr--actip--ratification",
        "2017-01-16",
        ASEAN_SECRETARIAT,
        "mmr--actip--ratification--per-gnlm",
    ),
    (
        "AFG",
        "tip-protocol",
        "consent",
        "afg--tip-protocol--deposit",
        "2014-08-15",
        UNTC_TIP,
        "afg--tip-protocol--accession--per-whatconvention",
    ),
    (
        "IDN",
        "actip",
        "signature",
        "idn--actip--signature",
        "2015-11-21",
        BERNAMA_RELAY,
        "idn--actip--signature--per-acrath",
    ),
]
ACT_CLASS = {"consent": "bp:ConsentToBeBound", "signature": "bp:Signature"}


def select(loaded, query, substitutions=None):
    solutions = loaded.store.query(
        PREFIXES + query if not query.lstrip().startswith(("#", "PREFIX")) else query,
        default_graph=[ox.NamedNode(g) for g in loaded.union_graphs],
        substitutions=substitutions,
    )
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]


def run_ready(loaded, query_id, **values):
    query = CATALOGUE.get(query_id)
    substitutions = {ox.Variable(name): binding.to_term() for name, binding in query.bindings(values).items()}
    rows = select(loaded, query.body, substitutions)
    return [{c.name: row.get(c.name) for c in query.columns} for row in rows]


@pytest.mark.parametrize(
    "party,instrument,act,node,date,source,outranked",
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[5].split('/')[2]}" for c in CASES],
)
def test_the_preferred_record_is_the_strongest_sources(
    loaded_graph, party, instrument, act, node, date, source, outranked
):
    rows = select(
        loaded_graph,
        f"""
        SELECT ?record ?date ?rank WHERE {{
          ?record a/rdfs:subClassOf* {ACT_CLASS[act]} ; bp:party <{ID}state/{party}> ;
                  bp:instrument <{ID}instrument/{instrument}> ; bp:date ?date .
          OPTIONAL {{ ?record wikibase:rank ?rank }}
        }}""",
    )
    preferred = [r for r in rows if r["rank"] == "http://wikiba.se/ontology#PreferredRank"]
    assert [(r["record"], r["date"]) for r in preferred] == [(f"{ID}action/{node}", date)]
    assert f"{ID}action/{outranked}" in {r["record"] for r in rows if r not in preferred}
    assert select(
        loaded_graph,
        f"""
        SELECT ?reason WHERE {{ <{ID}action/{node}> dcterms:source <{source}> ; bp:rankReason ?reason }}""",
    )


@pytest.mark.parametrize(
    "party,instrument,act,node,date,source,outranked",
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[5].split('/')[2]}" for c in CASES],
)
def test_treaty_status_answers_with_the_preferred_date(
    loaded_graph, party, instrument, act, node, date, source, outranked
):
    rows = [
        r
        for r in run_ready(loaded_graph, "treaty-status", instrument=instrument, as_of="2026-12-01")
        if r["iso3"] == party
    ]
    assert len(rows) == 1
    assert rows[0]["action_date" if act == "consent" else "signature_date"] == date
    if act == "consent":
        assert rows[0]["source"] in _sources(loaded_graph, node)


def _sources(loaded, node):
    return {r["s"] for r in select(loaded, f"SELECT ?s WHERE {{ <{ID}action/{node}> dcterms:source ?s }}")}


def test_indonesia_signs_actip_once_in_its_2015_2018_list(loaded_graph):
    rows = run_ready(loaded_graph, "indonesia-2015-2018")
    signatures = [
        r
        for r in rows
        if r["kind"] == "treaty action"
        and r["detail"] == "Signature"
        and r["label"].startswith("ASEAN Convention Against Trafficking")
    ]
    assert [(r["date"], r["item"]) for r in signatures] == [("2015-11-21", f"{ID}action/idn--actip--signature")]


COMPETING_TREATY_ACTIONS = """
SELECT ?party ?instrument ?act (COUNT(DISTINCT ?record) AS ?records) (COUNT(DISTINCT ?date) AS ?dates)
       (COUNT(DISTINCT ?preferred) AS ?preferred_records)
WHERE {
  VALUES ?act { bp:Signature bp:ConsentToBeBound }
  ?record a/rdfs:subClassOf* ?act ; bp:party ?party ; bp:instrument ?instrument ; bp:date ?date .
  OPTIONAL { ?record wikibase:rank wikibase:PreferredRank . BIND (?record AS ?preferred) }
}
GROUP BY ?party ?instrument ?act
HAVING (COUNT(DISTINCT ?date) > 1)
ORDER BY ?party ?instrument ?act
"""


def test_every_group_of_competing_treaty_actions_has_exactly_one_preferred_record(loaded_graph):
    groups = select(loaded_graph, COMPETING_TREATY_ACTIONS)
    assert len(groups) >= 7, "the audit's cases are competing groups"
    assert [g for g in groups if g["preferred_records"] != "1"] == []


OUTRANKED = """
SELECT DISTINCT ?record WHERE {
  { ?record wikibase:rank wikibase:DeprecatedRank }
  UNION
  {
    VALUES ?act { bp:Signature bp:ConsentToBeBound }
    ?record a/rdfs:subClassOf* ?act ; bp:party ?k1 ; bp:instrument ?k2 .
    ?better wikibase:rank wikibase:PreferredRank ; a/rdfs:subClassOf* ?act ; bp:party ?k1 ; bp:instrument ?k2 .
  } UNION {
    ?record a bp:TipReportRanking ; bp:jurisdiction ?k1 ; bp:reportYear ?k2 .
    ?better wikibase:rank wikibase:PreferredRank ; a bp:TipReportRanking ; bp:jurisdiction ?k1 ; bp:reportYear ?k2 .
  } UNION {
    ?record a bp:LegalAct ; bp:jurisdiction ?k1 ; bp:identifier ?k2 .
    ?better wikibase:rank wikibase:PreferredRank ; a bp:LegalAct ; bp:jurisdiction ?k1 ; bp:identifier ?k2 .
  } UNION {
    ?record bp:eventKind ?k1 ; rdfs:label ?k2 .
    ?better wikibase:rank wikibase:PreferredRank ; bp:eventKind ?k1 ; rdfs:label ?k2 .
  } UNION {
    ?record a bp:Claim ; bp:about ?k1 ; bp:quantity ?k2 ; bp:statedOn ?k3 ; dcterms:source ?k4 .
    ?better wikibase:rank wikibase:PreferredRank ; a bp:Claim ; bp:about ?k1 ; bp:quantity ?k2 ; bp:statedOn ?k3 ;
            dcterms:source ?k4 .
  }
  FILTER NOT EXISTS { ?record wikibase:rank wikibase:PreferredRank }
}"""

# What one row stands for in each ready-made query: no two rows may share it.
ROW_KEYS = {
    "action-plans": ("plan",),
    "indicators": ("state", "period", "measure", "unit", "reporting_body"),
    "indonesia-2015-2018": ("item",),
    "legislation": ("law",),
    "members-cochairing-with-legislation": ("member", "body", "law"),
    "members-without-legislation": ("state",),
    "members": ("member",),
    "parties-over-time": ("year",),
    "seed-figures": ("claim", "counting_rule"),
    "source-quality": ("class",),
    "sources": ("source",),
    "timeline": ("event",),
    "tip-tiers": ("state",),
    "treaty-status": ("state",),
    # one row per record and source, by design (each source becomes its own reference on Wikidata)
    "wikidata-statements": ("fact", "source"),
}
#: queries that run here: federated ones call a remote endpoint and are tested in test_federation.py
OFFLINE = CATALOGUE.available([])
RUNS = (
    [(q.id, {p.name: p.example for p in q.params}) for q in OFFLINE if q.form != "graph"]
    + [
        ("treaty-status", {"instrument": i, "as_of": d})
        for i in ("untoc", "tip-protocol", "smuggling-protocol", "actip")
        for d in ("2003-12-31", "2015-12-31", "2017-12-31", "2026-12-01")
    ]
    + [("parties-over-time", {"instrument": i}) for i in ("untoc", "smuggling-protocol", "actip")]
    + [("timeline", {"from": "2000-01-01", "to": "2026-12-31"}), ("tip-tiers", {"year": "2018"})]
)


def test_every_select_query_has_a_row_key():
    assert {q.id for q in OFFLINE if q.form != "graph"} == set(ROW_KEYS)


@pytest.mark.parametrize("query_id,values", RUNS, ids=[f"{q}-{'-'.join(v.values())}" for q, v in RUNS])
def test_no_ready_made_query_returns_two_rows_for_one_fact(loaded_graph, query_id, values):
    rows = run_ready(loaded_graph, query_id, **{k: v for k, v in values.items() if v})
    keys = [tuple(r[c] for c in ROW_KEYS[query_id]) for r in rows]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    outranked = {r["record"] for r in select(loaded_graph, OUTRANKED)}
    assert outranked, "the graph has outranked records to keep out of answers"
    assert [cell for r in rows for cell in r.values() if cell in outranked] == []


def test_indonesias_2015_2018_list_has_one_row_per_act(loaded_graph):
    rows = [r for r in run_ready(loaded_graph, "indonesia-2015-2018") if r["kind"] == "treaty action"]
    acts = [(r["label"], "signature" if r["detail"] == "Signature" else "consent") for r in rows]
    assert len(acts) == len(set(acts))
