"""Contributing back to Wikidata: our well-sourced statements compared with a Wikidata snapshot, and the
ones Wikidata lacks written as QuickStatements (v1 commands).

Our statements come from the ready-made query `wikidata-statements` (queries/wikidata-statements.rq), run
through the query service like any other: one row per record and source, for the records that answer (the
preferred or sole record of a fact, never a deprecated or outranked one), between two things that link to
Wikidata items. A *snapshot* is Wikidata's JSON entity format, as Special:EntityData gives it:
`{"entities": {"Q…": {"claims": {"P…": [statement, …]}}}}`.

Each of our statements is compared with the claims on its item in the snapshot:

- `missing`: the item has no non-deprecated claim with our property and value → exported;
- `date-missing`: it has one, but none carries our date qualifier (P585 for treaty actions, P580 for
  memberships) → exported (QuickStatements adds the qualifier and reference to the existing claim);
- `date-differs`: every matching claim gives another date → reported, never exported (a person decides);
- `agrees`: a matching claim has our date at our precision (or we have no date);
- `not-in-snapshot`: the snapshot does not hold the item, so nothing can be said → not exported.

A statement is exported only if at least one of its sources is not press or other (`bp:PressSource`,
`bp:OtherSource`); its references cite those sources only (S854 the document's URL, S813 the date it was
read when the graph records one — never an invented date).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

STATEMENTS_QUERY = "wikidata-statements"
ENTITY = "http://www.wikidata.org/entity/"
#: the date qualifier of each property we export
DATE_QUALIFIER = {"P1891": "P585", "P6193": "P585", "P463": "P580"}
#: source kinds a statement may not rest on alone
WEAK_KINDS = frozenset({"press", "other"})
STATUSES = ("missing", "date-missing", "date-differs", "agrees", "not-in-snapshot")
EXPORTED = frozenset({"missing", "date-missing"})


class SnapshotError(ValueError):
    """A file that is not a Wikidata entity snapshot."""


@dataclass(frozen=True)
class Source:
    url: str
    kind: str
    accessed: str | None = None

    @property
    def citable(self) -> bool:
        return self.kind not in WEAK_KINDS


@dataclass
class Statement:
    """One statement of ours: `item property value`, with its date and the records and sources behind it."""

    item: str  # Q-id
    property: str
    value: str  # Q-id
    date: str | None
    facts: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        return (self.item, self.property, self.value, self.date)

    @property
    def citable_sources(self) -> list[Source]:
        return [s for s in self.sources if s.citable]

    @property
    def qualifier(self) -> str:
        return DATE_QUALIFIER[self.property]


@dataclass
class Difference:
    statement: Statement
    status: str

    @property
    def exported(self) -> bool:
        return self.status in EXPORTED and bool(self.statement.citable_sources)


def qid(iri: str) -> str:
    return iri.removeprefix(ENTITY)


def statements_from_rows(rows: Iterable[dict[str, str]]) -> list[Statement]:
    """Group the query's rows (column → text) into statements, in the query's order."""
    found: dict[tuple, Statement] = {}
    for row in rows:
        date = row.get("date") or None
        key = (qid(row["item"]), row["property"], qid(row["value"]), date)
        statement = found.setdefault(key, Statement(*key))
        if row["fact"] not in statement.facts:
            statement.facts.append(row["fact"])
        source = Source(row["source"], row.get("source_kind") or "", row.get("accessed") or None)
        if source not in statement.sources:
            statement.sources.append(source)
    return list(found.values())


async def our_statements(service, catalogue) -> list[Statement]:
    """Our statements, from the ready-made query run through `service` (a `QueryService`)."""
    query = catalogue.get(STATEMENTS_QUERY)
    rows = await service.rows(query.body, columns=query.column_names)
    return statements_from_rows({name: term.value for name, term in row.items()} for row in rows)


# ---- Wikidata's side ---------------------------------------------------------------------------------------


def load_snapshot(path: Path | str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("entities"), dict):
        raise SnapshotError(f'{path}: not a Wikidata entity snapshot (expected {{"entities": {{"Q…": …}}}})')
    return data


def wikidata_time(date: str) -> tuple[str, int]:
    """A date as Wikidata writes a time value: (`+YYYY-MM-DDT00:00:00Z`, precision): 11 day, 10 month, 9 year."""
    parts = date.split("-")
    if len(parts) == 3:
        return f"+{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z", 11
    if len(parts) == 2:
        return f"+{parts[0]}-{parts[1]}-00T00:00:00Z", 10
    return f"+{parts[0]}-00-00T00:00:00Z", 9


def _snak_item(snak: dict) -> str | None:
    value = (snak.get("datavalue") or {}).get("value")
    return value.get("id") if isinstance(value, dict) else None


def _snak_time(snak: dict) -> tuple[str, int] | None:
    value = (snak.get("datavalue") or {}).get("value")
    if isinstance(value, dict) and "time" in value:
        time = value["time"]
        precision = int(value.get("precision", 11))
        # Wikidata keeps the unused parts of a less precise time as zeros or as written; compare what counts
        kept = {11: 10, 10: 7, 9: 4}.get(precision)
        return (time[: kept + 1] if kept else time), precision
    return None


def compare(statement: Statement, snapshot: dict) -> str:
    entity = snapshot["entities"].get(statement.item)
    if entity is None:
        return "not-in-snapshot"
    claims = [
        claim
        for claim in (entity.get("claims") or {}).get(statement.property, [])
        if claim.get("rank") != "deprecated" and _snak_item(claim.get("mainsnak") or {}) == statement.value
    ]
    if not claims:
        return "missing"
    if statement.date is None:
        return "agrees"
    time, precision = wikidata_time(statement.date)
    ours = _snak_time({"datavalue": {"value": {"time": time, "precision": precision}}})
    dates = [
        _snak_time(snak) for claim in claims for snak in (claim.get("qualifiers") or {}).get(statement.qualifier, [])
    ]
    dates = [d for d in dates if d]
    if not dates:
        return "date-missing"
    return "agrees" if ours in dates else "date-differs"


def diff(statements: list[Statement], snapshot: dict) -> list[Difference]:
    return [Difference(statement, compare(statement, snapshot)) for statement in statements]


# ---- QuickStatements -------------------------------------------------------------------------------------


def _qs_time(date: str) -> str:
    time, precision = wikidata_time(date)
    return f"{time}/{precision}"


def _qs_string(text: str) -> str:
    if '"' in text or "\t" in text or "\n" in text:
        raise ValueError(f"cannot write {text!r} as a QuickStatements string")
    return f'"{text}"'


def quickstatements(differences: Iterable[Difference]) -> str:
    """QuickStatements v1 commands, one line per exported statement and citable source: the statement, its
    date qualifier, and one reference (S854 the source's URL, S813 when it was read, if recorded)."""
    lines = []
    for difference in differences:
        if not difference.exported:
            continue
        statement = difference.statement
        head = [statement.item, statement.property, statement.value]
        if statement.date:
            head += [statement.qualifier, _qs_time(statement.date)]
        for source in statement.citable_sources:
            reference = ["S854", _qs_string(source.url)]
            if source.accessed:
                reference += ["S813", _qs_time(source.accessed)]
            lines.append("\t".join(head + reference))
    return "".join(line + "\n" for line in lines)


CSV_COLUMNS = ("item", "property", "value", "date", "status", "exported", "facts", "sources", "source_kinds")


def diff_csv(differences: Iterable[Difference]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for d in differences:
        s = d.statement
        writer.writerow(
            [
                s.item,
                s.property,
                s.value,
                s.date or "",
                d.status,
                "yes" if d.exported else "no",
                " ; ".join(s.facts),
                " ; ".join(src.url for src in s.sources),
                " ; ".join(src.kind for src in s.sources),
            ]
        )
    return out.getvalue()


def counts(differences: Iterable[Difference]) -> dict[str, int]:
    found = dict.fromkeys(STATUSES, 0)
    for d in differences:
        found[d.status] += 1
    return found
