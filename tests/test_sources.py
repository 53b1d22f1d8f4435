"""Sources are documents with a kind, facts cite documents rather than copies, and the quality report
(`queries/source-quality.rq`) agrees with a count made here independently, with rdflib, from the Turtle files.
"""

from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

BP = Namespace("https://w3id.org/bali-process-kg/def#")
KINDS = {BP.PrimaryRecordSource, BP.OfficialSource, BP.ScholarlySource, BP.PressSource, BP.OtherSource}
WELL_SOURCED = {BP.PrimaryRecordSource, BP.OfficialSource}
QUERY = Path(__file__).resolve().parent.parent / "queries" / "source-quality.rq"

# Hosts a fact must never cite: they serve copies, not documents. A page read there stays in the graph
# only as a copy (`bp:copy`) of the document it relays.
STAGING_HOSTS = {
    "baliprocess.dev.juicebox.com.au",  # the Bali Process website's developer's staging copy
    "preview.state.gov",  # the State Department's preview host
    "devel.mediaindonesia.com",  # Media Indonesia's development host
    "demo1.globescope.com",  # a web developer's demo copy of the Philippine Embassy's site
}
MIRROR_HOSTS = {
    "890818.2vmbj36k4.asia",  # an unofficial mirror of PacLII
}
CHAT_SHARE_MARKERS = (
    "whatsapp:",
    "wa.me/",
    "api.whatsapp.com",
    "t.me/share",
    "line.me/R/msg",
    "social-plugins.line.me",
)


def _percent(part: int, whole: int) -> int:
    """Rounded half up, as SPARQL's ROUND does (Python's round() rounds half to even)."""
    return (200 * part + whole) // (2 * whole)


def _cited(data: Graph) -> set[URIRef]:
    return {s for s in data.objects(None, DCTERMS.source) if isinstance(s, URIRef)}


def test_every_source_has_exactly_one_kind_from_the_scheme(data):
    sources = set(data.subjects(RDF.type, BP.Source))
    assert len(sources) > 700
    wrong = {
        str(s): sorted(str(k) for k in data.objects(s, BP.sourceKind))
        for s in sources
        if len(set(data.objects(s, BP.sourceKind))) != 1 or not set(data.objects(s, BP.sourceKind)) <= KINDS
    }
    assert wrong == {}


def test_no_fact_cites_a_staging_host_a_mirror_or_a_chat_share_link(data):
    bad = sorted(
        str(s)
        for s in _cited(data)
        if urlsplit(str(s)).hostname in STAGING_HOSTS | MIRROR_HOSTS
        or any(marker in str(s) for marker in CHAT_SHARE_MARKERS)
    )
    assert bad == []


def test_every_copy_is_described_and_is_not_itself_cited(data):
    copies = set(data.objects(None, BP.copy))
    assert copies, "documents name the pages where they were read"
    assert sorted(str(c) for c in copies if (c, RDF.type, BP.Source) not in data) == []
    assert sorted(str(c) for c in copies & _cited(data)) == []


def test_the_quality_report_agrees_with_an_independent_count(data, loaded_graph):
    # Independent count, rdflib over the Turtle files: a fact node is any node with a dcterms:source.
    facts = set(data.subjects(DCTERMS.source, None))
    good = {
        f
        for f in facts
        if any(k in WELL_SOURCED for s in data.objects(f, DCTERMS.source) for k in data.objects(s, BP.sourceKind))
    }
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for fact in facts:
        for cls in {c for c in data.objects(fact, RDF.type) if str(c).startswith(str(BP))}:
            per_class[str(cls)][0] += 1
            per_class[str(cls)][1] += fact in good

    # The ready-made query, run by Oxigraph on the loaded store.
    text = "\n".join(line for line in QUERY.read_text(encoding="utf-8").splitlines() if not line.startswith("#+"))
    rows = list(loaded_graph.store.query(text, default_graph=[ox.NamedNode(g) for g in loaded_graph.union_graphs]))
    report = {
        (row["class"].value if row["class"] is not None else None): (
            int(row["facts"].value),
            int(row["primary_or_official"].value),
            int(row["share"].value),
        )
        for row in rows
    }

    assert report.pop(None) == (len(facts), len(good), _percent(len(good), len(facts)))
    assert report == {cls: (n, k, _percent(k, n)) for cls, (n, k) in per_class.items()}
