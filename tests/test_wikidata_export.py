"""Contributing back to Wikidata: `balikg wikidata diff` and `export`, and the /wikidata page.

Our statements (signatory P1891, ratified by P6193, member of P463, each with its date) are compared with a
trimmed Wikidata entity snapshot (tests/fixtures/wikidata/entities.json). The export is QuickStatements v1:
every line is checked against a grammar written from Wikidata's help page for the tool, every exported
statement is traced back to a record and a source in the graph, and applying the export to the snapshot
leaves nothing more to export.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import re
from pathlib import Path

import pytest
from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from server import wikidata
from server.catalogue import Catalogue
from server.dataset import prepare
from server.executor import LocalExecutor
from server.service import QueryService
from server.settings import Settings
from server.store import open_store

SNAPSHOT = Path(__file__).parent / "fixtures" / "wikidata" / "entities.json"
BP = Namespace("https://w3id.org/bali-process-kg/def#")
WIKIBASE = Namespace("http://wikiba.se/ontology#")
WD = "http://www.wikidata.org/entity/"

# QuickStatements v1 (https://www.wikidata.org/wiki/Help:QuickStatements, "Command sequence syntax"): fields
# separated by TAB; an entity, a property, a value; then qualifiers as property–value pairs; then sources,
# whose property is written with S instead of P. Values used here: an item (Q…), a string in double quotes,
# a time `+YYYY-MM-DDT00:00:00Z/precision` (9 year, 10 month, 11 day; unused parts zero).
ITEM = r"Q[1-9][0-9]*"
STRING = r'"[^"\t\n]*"'
TIME = r"\+[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T00:00:00Z/11|(?:0[1-9]|1[0-2])-00T00:00:00Z/10|00-00T00:00:00Z/9)"
VALUE = f"(?:{ITEM}|{STRING}|{TIME})"
QS_LINE = re.compile(rf"^{ITEM}\tP[1-9][0-9]*\t{VALUE}(?:\tP[1-9][0-9]*\t{VALUE})*(?:\tS[1-9][0-9]*\t{VALUE})+$")


@pytest.fixture(scope="module")
def statements(store_cache):
    settings = Settings(store_dir=store_cache)
    service = QueryService(LocalExecutor(open_store("oxigraph", prepare(settings).directory)), settings)
    return asyncio.run(wikidata.our_statements(service, Catalogue()))


@pytest.fixture(scope="module")
def snapshot():
    return wikidata.load_snapshot(SNAPSHOT)


@pytest.fixture(scope="module")
def exported(statements, snapshot) -> list[str]:
    return wikidata.quickstatements(wikidata.diff(statements, snapshot)).splitlines()


def parse_command(line: str) -> dict:
    fields = line.split("\t")
    command = {"item": fields[0], "property": fields[1], "value": fields[2], "qualifiers": {}, "sources": {}}
    for name, value in zip(fields[3::2], fields[4::2], strict=True):
        (command["sources"] if name.startswith("S") else command["qualifiers"])[name] = value
    return command


def _time(value: str) -> tuple[str, int]:
    time, precision = value.split("/")
    return time, int(precision)


def test_the_grammar_refuses_malformed_commands():
    for bad in [
        "Q1\tP585\tQ2",  # no reference
        'Q1 P6193 Q2 S854 "x"',  # spaces, not tabs
        'Q1\tP6193\tQ2\tP585\t2000-12-12\tS854\t"x"',  # time without sign and precision
        'Q1\tP6193\tQ2\tP585\t+2000-12-12T00:00:00Z/11\tP854\t"x"',  # reference written as a qualifier
        'Q1\tP6193\tQ2\tP585\t+2000-13-12T00:00:00Z/11\tS854\t"x"',
    ]:
        assert not QS_LINE.match(bad), bad


def test_every_exported_line_is_a_quickstatements_v1_command(exported):
    assert exported, "the fixture snapshot lacks statements we hold, so something is exported"
    for line in exported:
        assert QS_LINE.match(line), line
        command = parse_command(line)
        assert command["property"] in ("P1891", "P6193", "P463")
        assert set(command["qualifiers"]) <= {"P585", "P580"}
        assert "S854" in command["sources"]


def test_every_exported_statement_traces_back_to_a_record_and_its_source(exported, data):
    for line in exported:
        command = parse_command(line)
        item, value = URIRef(WD + command["item"]), URIRef(WD + command["value"])
        url = URIRef(command["sources"]["S854"].strip('"'))
        kind = data.value(url, BP.sourceKind)
        assert kind not in (BP.PressSource, BP.OtherSource, None), (line, kind)
        accessed = data.value(url, BP.accessed)
        if "S813" in command["sources"]:
            assert _time(command["sources"]["S813"]) == wikidata.wikidata_time(str(accessed))
        else:
            assert accessed is None
        date = command["qualifiers"].get("P585") or command["qualifiers"].get("P580")
        found = []
        for fact in data.subjects(DCTERMS.source, url):
            if (fact, WIKIBASE.rank, WIKIBASE.DeprecatedRank) in data:
                continue
            if command["property"] == "P463":
                whole = data.value(fact, URIRef("http://www.w3.org/ns/org#member"))
                part = data.value(fact, URIRef("http://www.w3.org/ns/org#organization"))
                when = data.value(fact, BP.startDate)
                subject, object_ = part, whole
            else:
                is_signature = (fact, RDF.type, BP.Signature) in data
                if is_signature != (command["property"] == "P1891"):
                    continue
                subject, object_ = data.value(fact, BP.instrument), data.value(fact, BP.party)
                when = data.value(fact, BP.date)
            if subject is None or object_ is None:
                continue
            if (object_ if command["property"] == "P463" else subject, SKOS.exactMatch, item) not in data:
                continue
            if (subject if command["property"] == "P463" else object_, SKOS.exactMatch, value) not in data:
                continue
            if date is None or (when is not None and wikidata.wikidata_time(str(when)) == _time(date)):
                found.append(fact)
        assert found, f"no record in the graph states {line!r}"


def test_no_statement_resting_only_on_press_or_other_sources_is_exported(statements, snapshot, exported):
    weak = [s for s in statements if s.sources and not s.citable_sources]
    assert weak, "the graph has statements cited only by press or other sources (the test must be able to fail)"
    exported_keys = {(c["item"], c["property"], c["value"]) for c in map(parse_command, exported)}
    for statement in weak:
        assert (statement.item, statement.property, statement.value) not in exported_keys or any(
            s.key[:3] == statement.key[:3] and s.citable_sources for s in statements if s is not statement
        )
    for command in map(parse_command, exported):
        statement = next(s for s in statements if s.key[:3] == (command["item"], command["property"], command["value"]))
        assert command["sources"]["S854"].strip('"') in {s.url for s in statement.citable_sources}


def test_only_answering_records_are_offered(statements, data):
    """A deprecated record, or one another record of the same act outranks, is never a statement."""
    facts = {f for s in statements for f in s.facts}
    deprecated = set(data.subjects(WIKIBASE.rank, WIKIBASE.DeprecatedRank))
    assert facts and not facts & {str(f) for f in deprecated}
    outranked = URIRef("https://w3id.org/bali-process-kg/id/action/idn--untoc--signature--per-uu-5-2009")
    assert (outranked, RDF.type, BP.Signature) in data
    assert str(outranked) not in facts
    assert "https://w3id.org/bali-process-kg/id/action/idn--untoc--signature" in facts


def test_the_diff_reads_the_snapshot_as_wikidata_means_it(statements, snapshot):
    status = {d.statement.key[:3]: d.status for d in wikidata.diff(statements, snapshot)}
    tip, untoc, smuggling = "Q3924287", "Q331504", "Q7251927"
    assert status[(tip, "P6193", "Q252")] == "agrees"  # same value and day
    assert status[(tip, "P6193", "Q408")] == "date-missing"  # claim without P585
    assert status[(tip, "P6193", "Q664")] == "date-differs"  # claim with another day
    assert status[(tip, "P1891", "Q252")] == "missing"  # the only such claim is deprecated
    assert all(v == "not-in-snapshot" for k, v in status.items() if k[0] == smuggling)
    assert all(v == "missing" for k, v in status.items() if k[0] == untoc)


def apply(commands: list[str], snapshot: dict) -> dict:
    """A small QuickStatements applier: add the statement, or, if the item has it, the qualifier to it."""
    result = copy.deepcopy(snapshot)
    for command in map(parse_command, commands):
        claims = result["entities"][command["item"]].setdefault("claims", {}).setdefault(command["property"], [])
        claim = next(
            (
                c
                for c in claims
                if c.get("rank") != "deprecated" and c["mainsnak"]["datavalue"]["value"]["id"] == command["value"]
            ),
            None,
        )
        if claim is None:
            claim = {
                "mainsnak": {
                    "snaktype": "value",
                    "property": command["property"],
                    "datavalue": {"value": {"id": command["value"]}, "type": "wikibase-entityid"},
                },
                "type": "statement",
                "rank": "normal",
            }
            claims.append(claim)
        for name, value in command["qualifiers"].items():
            time, precision = _time(value)
            snak = {
                "snaktype": "value",
                "property": name,
                "datavalue": {"value": {"time": time, "precision": precision}, "type": "time"},
            }
            if snak not in claim.setdefault("qualifiers", {}).setdefault(name, []):
                claim["qualifiers"][name].append(snak)
        claim.setdefault("references", []).append(
            {"snaks": {k.replace("S", "P", 1): [v] for k, v in command["sources"].items()}}
        )
    return result


def test_applying_the_export_leaves_nothing_to_export(statements, snapshot, exported):
    applied = apply(exported, snapshot)
    second = wikidata.diff(statements, applied)
    assert [d for d in second if d.exported] == []
    assert wikidata.quickstatements(second) == ""
    before = wikidata.counts(wikidata.diff(statements, snapshot))
    after = wikidata.counts(second)
    assert after["agrees"] > before["agrees"] and after["date-differs"] == before["date-differs"]


def test_wikidata_time_precision():
    assert wikidata.wikidata_time("2000-12-12") == ("+2000-12-12T00:00:00Z", 11)
    assert wikidata.wikidata_time("2002-02") == ("+2002-02-00T00:00:00Z", 10)
    assert wikidata.wikidata_time("2002") == ("+2002-00-00T00:00:00Z", 9)


# ---- the command line --------------------------------------------------------------------------------------


def test_cli_export_writes_the_commands(balikg, store_cache, tmp_path, exported):
    out = tmp_path / "qs.txt"
    env = {"BALIKG_STORE_DIR": str(store_cache)}
    result = balikg(
        "wikidata", "export", "--snapshot", str(SNAPSHOT), "--format", "quickstatements", "-o", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == exported
    diff = balikg("wikidata", "diff", "--snapshot", str(SNAPSHOT), env=env)
    assert diff.returncode == 0, diff.stderr
    rows = list(csv.DictReader(io.StringIO(diff.stdout)))
    assert {r["status"] for r in rows} == set(wikidata.STATUSES)
    assert sum(r["exported"] == "yes" for r in rows) == len({tuple(line.split("\t")[:3]) for line in exported})


def test_cli_refuses_a_file_that_is_not_a_snapshot_and_a_wrong_format(balikg, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"claims": {}}))
    result = balikg("wikidata", "diff", "--snapshot", str(bad))
    assert result.returncode == 1 and "snapshot" in result.stderr
    assert balikg("wikidata", "diff", "--snapshot", str(SNAPSHOT), "--format", "quickstatements").returncode == 2


# ---- the page --------------------------------------------------------------------------------------------


def test_the_page_lists_our_statements_in_both_languages(client):
    en = client.get("/wikidata", headers={"accept": "text/html"})
    assert en.status_code == 200
    assert "Statements for Wikidata" in en.text and 'id="wikidata-no-snapshot"' in en.text
    assert "Q3924287" in en.text
    id_ = client.get("/wikidata?lang=id", headers={"accept": "text/html"})
    assert "Pernyataan untuk Wikidata" in id_.text


def test_the_page_and_csv_compare_with_a_configured_snapshot(store_cache, statements, snapshot):
    from fastapi.testclient import TestClient

    from server.app import create_app

    settings = Settings(store_dir=store_cache, workers=1, wikidata_snapshot=SNAPSHOT)
    with TestClient(
        create_app(settings, dataset=prepare(settings), catalogue=Catalogue()), base_url="http://127.0.0.1"
    ) as c:
        page = c.get("/wikidata", headers={"accept": "text/html"})
        assert 'id="wikidata-counts"' in page.text and "date-differs" not in page.text  # labels, not codes
        assert "another date" in page.text
        table = c.get("/wikidata.csv")
        assert table.headers["content-type"].startswith("text/csv")
        assert table.text == wikidata.diff_csv(wikidata.diff(statements, snapshot))
