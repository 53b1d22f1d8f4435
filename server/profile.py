"""Profiles: what an entity page shows, built from the rows of the page's queries.

An entity page reads like a profile, not a triple dump: properties by their ontology labels in the page's
language, values by label, the facts that point to the entity grouped by kind in order of importance
(memberships and roles, treaty records, laws, action plans, TIP tiers, events, claims), each fact with its
notes as paragraphs, its rank when records of one fact compete, and its sources as numbered references
("title — publisher, date, kind"). States, territories and organisations also get a summary box (names,
code, Wikidata, member since, roles) — the treaty table is added by the route, from `treaty-status`. The raw
statements stay available in an "all triples" block. This module only shapes data; the route runs queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .datafiles import BASE
from .pages import link_for, short
from .service import Row, Term

BP = BASE + "def#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SOURCE = "http://purl.org/dc/terms/source"
NOTE = "http://www.w3.org/2004/02/skos/core#note"
EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
RANK = "http://wikiba.se/ontology#rank"
ORG = "http://www.w3.org/ns/org#"
HIDDEN_IN_FACTS = {RDF_TYPE, SOURCE, NOTE, RANK, BP + "rankReason"}
#: entities that get a profile summary
PROFILED = {BP + "State", BP + "Territory", BP + "InternationalOrganisation", BP + "Jurisdiction"}
#: the order of the groups of facts on a page; a group is named by its first class's label
GROUP_ORDER = [
    [BP + "Membership"],
    [
        BP + "Signature",
        BP + "Ratification",
        BP + "Accession",
        BP + "Acceptance",
        BP + "Approval",
        BP + "Succession",
        BP + "ConsentToBeBound",
        BP + "PartyStatement",
        BP + "NonPartyStatement",
        BP + "TerritorialApplication",
    ],
    [BP + "LegalAct", BP + "NoOffenceStatement"],
    [BP + "ActionPlan"],
    [BP + "TipReportRanking"],
    [BP + "Meeting", BP + "Event"],
    [BP + "Claim"],
]
DATE_PROPERTIES = [BP + "date", BP + "startDate", BP + "dateEnacted", BP + "reportYear", BP + "asOf"]


def _label(en: Term | None, id_: Term | None, lang: str) -> str | None:
    """The label in the page's language, else the English one."""
    if lang == "id" and id_ is not None:
        return id_.value
    return en.value if en is not None else None


def show(value: Term, lang: str, en: Term | None = None, id_: Term | None = None) -> dict:
    """A value as a page shows it: its label (or short form), a link only for http(s) IRIs."""
    if value.type == "uri":
        return {
            "text": _label(en, id_, lang) or short(value.value),
            "href": link_for(value.value, lang),
            "iri": value.value,
            "lang": None,
        }
    return {"text": value.value, "href": None, "iri": None, "lang": value.lang}


def _property_label(row: Row, lang: str) -> str:
    return _label(row.get("p_en"), row.get("p_id"), lang) or short(row["p"].value)


@dataclass
class Reference:
    number: int
    url: str
    title: str
    publisher: str
    date: str
    kind: str


@dataclass
class Fact:
    iri: str
    classes: set[str] = field(default_factory=set)
    props: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    raw: dict[str, list[Term]] = field(default_factory=lambda: defaultdict(list))
    #: shown values by property IRI
    by_prop: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    sources: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rank: str | None = None
    rank_reason: str | None = None
    date: str = ""
    title: str = ""


class References:
    """Every source cited on a page, numbered once in order of first citation."""

    def __init__(self, rows: list[Row], lang: str):
        self._meta = {}
        for row in rows:
            kind = _label(row.get("kind_label_en"), row.get("kind_label_id"), lang) or ""
            self._meta[row["source"].value] = (
                row["title"].value if "title" in row else row["source"].value,
                row["publisher"].value if "publisher" in row else "",
                row["date"].value if "date" in row else "",
                kind,
            )
        self.cited: dict[str, Reference] = {}

    def number(self, url: str) -> int:
        if url not in self.cited:
            title, publisher, date, kind = self._meta.get(url, (url, "", "", ""))
            self.cited[url] = Reference(len(self.cited) + 1, url, title, publisher, date, kind)
        return self.cited[url].number


def _pick_note(notes: list[Term], lang: str) -> list[str]:
    local = [n.value for n in notes if n.lang == lang]
    return local or [n.value for n in notes if n.lang in ("en", None, "")]


def build(iri: str, lang: str, outgoing: list[Row], incoming: list[Row], source_rows: list[Row]) -> dict:
    """The view of an entity page: everything the template shows, in the order it shows it."""
    refs = References(source_rows, lang)
    labels = {row["o"].lang: row["o"].value for row in outgoing if row["p"].value == LABEL and row["o"].lang}
    name = (labels.get("id") if lang == "id" else None) or labels.get("en") or short(iri)
    types = [show(r["o"], lang, r.get("o_en"), r.get("o_id")) for r in outgoing if r["p"].value == RDF_TYPE]
    type_iris = {r["o"].value for r in outgoing if r["p"].value == RDF_TYPE}
    wikidata = [r["o"].value for r in outgoing if r["p"].value == EXACT_MATCH and link_for(r["o"].value)]
    own_sources = [refs.number(url) for url in sorted({r["o"].value for r in outgoing if r["p"].value == SOURCE})]
    notes = _pick_note([r["o"] for r in outgoing if r["p"].value == NOTE], lang)

    statements: dict[str, dict] = {}
    for row in outgoing:
        prop = row["p"].value
        if prop in (RDF_TYPE, SOURCE, NOTE, EXACT_MATCH, LABEL):
            continue
        entry = statements.setdefault(prop, {"label": _property_label(row, lang), "values": []})
        shown = show(row["o"], lang, row.get("o_en"), row.get("o_id"))
        if shown not in entry["values"]:
            entry["values"].append(shown)

    facts: dict[str, Fact] = {}
    class_labels: dict[str, str] = {}
    for row in incoming:
        fact = facts.setdefault(row["s"].value, Fact(row["s"].value))
        fact.classes.add(row["class"].value)
        prop, value = row["p"].value, row["o"]
        fact.raw[prop].append(value)
        if prop == RDF_TYPE:
            class_labels[value.value] = show(value, lang, row.get("o_en"), row.get("o_id"))["text"]
        elif prop == SOURCE:
            pass  # numbered below, in the order the page shows the facts (fact.raw keeps them)
        elif prop == RANK:
            fact.rank = value.value.rsplit("#", 1)[-1].removesuffix("Rank").lower()
        elif prop == BP + "rankReason":
            fact.rank_reason = value.value
        elif prop == LABEL and value.lang in (lang, "en"):
            if value.lang == lang or not fact.title:
                fact.title = value.value
        elif prop not in HIDDEN_IN_FACTS and value.value != iri:
            shown = show(value, lang, row.get("o_en"), row.get("o_id"))
            if shown not in fact.by_prop[prop]:
                fact.by_prop[prop].append(shown)
            label = _property_label(row, lang)
            if shown not in fact.props[label]:
                fact.props[label].append(shown)
    for fact in facts.values():
        fact.notes = _pick_note(fact.raw.get(NOTE, []), lang)
        fact.date = next((fact.raw[p][0].value for p in DATE_PROPERTIES if fact.raw.get(p)), "")
    _mark_competitors(facts)

    groups = []
    placed: set[str] = set()
    for classes in [*GROUP_ORDER, None]:
        members = [f for f in facts.values() if f.iri not in placed and (classes is None or f.classes & set(classes))]
        if not members:
            continue
        placed.update(f.iri for f in members)
        members.sort(key=lambda f: (f.date, f.rank != "preferred", f.iri))
        first = next((c for c in (classes or []) if any(c in f.classes for f in members)), None)
        title = class_labels.get(first) if first else None
        groups.append(
            {
                "title": title or ("Lainnya" if lang == "id" else "Other"),
                "facts": members,
                "class": (first or "other").rsplit("#", 1)[-1],
            }
        )

    # References are numbered in reading order (the entity's own sources, then each fact as shown), so a
    # page is the same whatever order the engine returned its rows in.
    for group in groups:
        for fact in group["facts"]:
            fact.sources = [refs.number(url) for url in sorted({v.value for v in fact.raw.get(SOURCE, [])})]
    view = {
        "iri": iri,
        "name": name,
        "labels": labels,
        "types": types,
        "wikidata": wikidata,
        "notes": notes,
        "own_sources": own_sources,
        "statements": list(statements.values()),
        "groups": groups,
        "references": sorted(refs.cited.values(), key=lambda r: r.number),
        "triples": [(short(r["p"].value), r["o"].value) for r in outgoing],
        "profiled": bool(type_iris & PROFILED),
    }
    if view["profiled"]:
        view["summary"] = _summary(facts, outgoing, lang)
        view["tiers"] = sorted(
            (f.date, (f.by_prop.get(BP + "tier") or [{"text": ""}])[0]["text"])
            for f in facts.values()
            if BP + "TipReportRanking" in f.classes and f.rank != "deprecated"
        )
    return view


SIGNATURE = BP + "Signature"
CONSENTS = {BP + c for c in ("Ratification", "Accession", "Acceptance", "Approval", "Succession", "ConsentToBeBound")}


def _mark_competitors(facts: dict[str, Fact]) -> None:
    """A record with no rank that competes with a preferred record of the same act (a signature, or a consent
    to be bound, of the same instrument) is shown as a competing record, never as a second event."""

    def act(fact: Fact) -> tuple | None:
        kind = "signature" if SIGNATURE in fact.classes else "consent" if fact.classes & CONSENTS else None
        instrument = fact.raw.get(BP + "instrument")
        return (kind, instrument[0].value) if kind and instrument else None

    preferred = {act(f) for f in facts.values() if f.rank == "preferred"} - {None}
    for fact in facts.values():
        if fact.rank is None and act(fact) in preferred:
            fact.rank = "normal"


def _summary(facts: dict[str, Fact], outgoing: list[Row], lang: str) -> dict:
    iso3 = next((r["o"].value for r in outgoing if r["p"].value == BP + "iso3"), None)
    roles = []
    for fact in facts.values():
        if BP + "Membership" not in fact.classes or fact.rank == "deprecated":
            continue
        role = fact.raw.get(ORG + "role", [])
        start = fact.raw.get(BP + "startDate", [])
        end = fact.raw.get(BP + "endDate", [])
        roles.append(
            {
                "role": (fact.by_prop.get(ORG + "role") or [None])[0],
                "role_iri": role[0].value if role else "",
                "organisation": (fact.by_prop.get(ORG + "organization") or [None])[0],
                "start": start[0].value if start else "",
                "end": end[0].value if end else "",
                "fact": fact,
            }
        )
    starts = [r["start"] for r in roles if r["start"] and r["role_iri"].endswith("MemberRole")]
    starts = starts or [r["start"] for r in roles if r["start"]]
    roles.sort(key=lambda r: (r["start"], r["role_iri"]))
    return {"iso3": iso3, "member_since": min(starts) if starts else None, "roles": roles}
