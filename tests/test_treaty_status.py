"""How the treaty-status and seed-figures queries decide a member state's status from its records.

Each test builds a small world of made-up states (the ontology plus a few records, no real facts) and
runs the shipped query on it, so the rules are pinned independently of what the real data holds.
"""

import pytest
from worlds import run, state, store_of


def record(node: str, kind: str, code: str, prop: str, value: str) -> str:
    datatype = {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")
    return (
        f"id:{node} a bp:{kind} ; bp:party id:state\\/{code} ; bp:instrument id:instrument\\/tip-protocol ; "
        f'bp:{prop} "{value}"^^xsd:{datatype} ; dcterms:source src:{node.replace("/", "-")} .\n'
    )


@pytest.fixture(scope="module")
def world():
    turtle = "".join(state(code) for code in ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH", "III")) + "".join(
        [
            record("action\\/aaa-ratification", "Ratification", "AAA", "date", "2005-06-01"),
            record("action\\/aaa-signature", "Signature", "AAA", "date", "2001-01-10"),
            record("party-statement\\/bbb", "PartyStatement", "BBB", "asOf", "2003"),
            record("party-statement\\/ccc", "PartyStatement", "CCC", "asOf", "2010-03-31"),
            record("action\\/ccc-accession", "Accession", "CCC", "date", "2012-02-02"),
            record("non-party\\/ddd", "NonPartyStatement", "DDD", "asOf", "2020-03-31"),
            record("action\\/ddd-accession", "Accession", "DDD", "date", "2022-05-01"),
            record("action\\/eee-signature", "Signature", "EEE", "date", "2002-12-11"),
            record("party-statement\\/fff", "PartyStatement", "FFF", "asOf", "2008-07"),
            record("non-party\\/ggg", "NonPartyStatement", "GGG", "asOf", "2021"),
            # Competing records of one deposit: the earlier date is outranked by the preferred record.
            record("action\\/hhh-accession", "Accession", "HHH", "date", "2014-08-14"),
            record("action\\/hhh-deposit", "ConsentToBeBound", "HHH", "date", "2014-08-15"),
            'id:action\\/hhh-deposit wikibase:rank wikibase:PreferredRank ; bp:rankReason "The depositary\'s date."@en .\n',
            # A deprecated record is never an answer, even when it is the only one.
            record("action\\/iii-accession", "Accession", "III", "date", "2014-01-01"),
            'id:action\\/iii-accession wikibase:rank wikibase:DeprecatedRank ; bp:rankReason "Contradicted."@en .\n',
        ]
    )
    return store_of(turtle)


def known_on(store, as_of: str) -> dict[str, tuple]:
    rows = run(store, "treaty-status", instrument="tip-protocol", as_of=as_of)
    return {r["iso3"]: (r["status"], r["known_on"]) for r in rows}


def status_on(store, as_of: str) -> dict[str, tuple]:
    rows = run(store, "treaty-status", instrument="tip-protocol", as_of=as_of)
    return {r["iso3"]: (r["status"], r["action"], r["action_date"]) for r in rows}


def test_a_deposit_makes_a_party_from_its_date_and_a_signature_before_it_makes_a_signatory(world):
    assert status_on(world, "2005-06-01")["AAA"] == ("party", "ratification", "2005-06-01")
    assert status_on(world, "2004-12-31")["AAA"] == ("signatory", None, None)


def test_a_party_statement_makes_a_party_from_its_date_with_no_deposit_date(world):
    assert status_on(world, "2004-01-01")["BBB"] == ("party", "party-statement", None)
    assert status_on(world, "2025-01-01")["FFF"] == ("party", "party-statement", None)


def test_a_year_or_month_in_a_party_statement_counts_from_its_last_day(world):
    assert status_on(world, "2003-06-30")["BBB"] == ("unknown", None, None)
    assert status_on(world, "2003-12-31")["BBB"] == ("party", "party-statement", None)
    assert status_on(world, "2008-07-15")["FFF"] == ("unknown", None, None)
    assert status_on(world, "2008-07-31")["FFF"] == ("party", "party-statement", None)


def test_a_dated_deposit_wins_over_a_party_statement(world):
    assert status_on(world, "2011-01-01")["CCC"] == ("not-party", None, None)
    assert status_on(world, "2012-02-02")["CCC"] == ("party", "accession", "2012-02-02")


def test_a_non_party_statement_holds_before_its_date_and_is_known_on_it_after(world):
    assert known_on(world, "2019-01-01")["DDD"] == ("not-party", "2020-03-31")
    assert known_on(world, "2020-03-31")["DDD"] == ("not-party", "2020-03-31")
    # after the list's date: still not a party as known on that day, until a recorded deposit
    assert known_on(world, "2021-06-30")["DDD"] == ("not-party", "2020-03-31")
    assert status_on(world, "2022-05-01")["DDD"] == ("party", "accession", "2022-05-01")
    assert known_on(world, "2022-05-01")["DDD"] == ("party", None)


def test_a_year_in_a_non_party_statement_is_known_on_that_year(world):
    assert known_on(world, "2020-12-31")["GGG"] == ("not-party", "2021")
    assert known_on(world, "2025-01-01")["GGG"] == ("not-party", "2021")


def test_the_source_of_the_deciding_record_is_given(world):
    rows = {r["iso3"]: r["source"] for r in run(world, "treaty-status", instrument="tip-protocol", as_of="2015-12-31")}
    assert rows["BBB"] == "https://example.org/source/party-statement-bbb"
    assert rows["CCC"] == "https://example.org/source/action-ccc-accession"
    assert rows["EEE"] == "https://example.org/source/action-eee-signature"


def test_seed_figures_count_party_statements_only_where_no_deposit_is_dated(world):
    def parties(as_of):
        rows = run(world, "seed-figures", as_of=as_of)
        return int(next(r for r in rows if r["claim"] == "member states party to the TIP Protocol")["computed_value"])

    assert parties("2003-12-31") == 1  # BBB
    assert parties("2005-06-01") == 2  # and AAA's ratification
    assert parties("2008-07-31") == 3  # and FFF
    assert parties("2011-01-01") == 3  # not CCC: its statement loses to its later deposit
    assert parties("2012-02-02") == 4  # and CCC's accession


def test_the_preferred_record_decides_among_competing_records_and_a_deprecated_one_never_does(world):
    assert status_on(world, "2014-08-14")["HHH"] == ("not-party", None, None)
    assert status_on(world, "2014-08-15")["HHH"] == ("party", "deposit", "2014-08-15")
    assert status_on(world, "2015-12-31")["III"] == ("unknown", None, None)
    rows = {r["iso3"]: r["source"] for r in run(world, "treaty-status", instrument="tip-protocol", as_of="2015-12-31")}
    assert rows["HHH"] == "https://example.org/source/action-hhh-deposit"


def test_seed_figures_count_a_deposit_at_its_preferred_date(world):
    def parties(as_of):
        rows = run(world, "seed-figures", as_of=as_of)
        return int(next(r for r in rows if r["claim"] == "member states party to the TIP Protocol")["computed_value"])

    assert parties("2014-08-14") == 4  # AAA, BBB, CCC, FFF: not HHH's outranked date, not III's deprecated one
    assert parties("2014-08-15") == 5  # and HHH at its preferred date
