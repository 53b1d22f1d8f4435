"""The dataset description (VoID and DCAT) served at /.well-known/void: what the dataset is, under which
licence, how big, which classes and properties it uses, where its dumps and SPARQL endpoint are, which
sources it cites, and its links to Wikidata.
"""

from __future__ import annotations

import pyoxigraph as ox

from . import __version__

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATASET = ox.NamedNode("https://w3id.org/bali-process-kg/")
DUMP_TYPES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "nq": "application/n-quads",
}
EXAMPLES = ["id/state/IDN", "id/forum/bali-process", "id/instrument/tip-protocol", "id/law/idn-uu-21-2007"]


def _n(ns: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(ns + local)


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(text, language=lang)
    return ox.Literal(text, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(text)


def describe(
    *,
    base_url: str,
    version: str,
    triples: int,
    partitions: list[dict],
    sources: list[str],
    wikidata_links: int,
    dumps: list[str],
) -> list[ox.Triple]:
    d = DATASET
    t = [
        ox.Triple(d, _n(RDF, "type"), _n(VOID, "Dataset")),
        ox.Triple(d, _n(RDF, "type"), _n(DCAT, "Dataset")),
        ox.Triple(d, _n(DCT, "title"), _lit("Bali Process Knowledge Graph", "en")),
        ox.Triple(d, _n(DCT, "title"), _lit("Graf Pengetahuan Proses Bali", "id")),
        ox.Triple(
            d,
            _n(DCT, "description"),
            _lit(
                "Linked data on the Bali Process on People Smuggling, Trafficking in Persons and Related Transnational "
                "Crime: members and roles, the UN Palermo instruments and treaty actions, domestic law, national action "
                "plans, meetings and US TIP Report tiers, each fact with its source.",
                "en",
            ),
        ),
        ox.Triple(
            d,
            _n(DCT, "description"),
            _lit(
                "Data tertaut tentang Proses Bali: anggota dan perannya, instrumen Palermo PBB dan tindakan perjanjian, "
                "hukum nasional, rencana aksi nasional, pertemuan dan peringkat Laporan TIP AS, setiap fakta dengan "
                "sumbernya.",
                "id",
            ),
        ),
        ox.Triple(d, _n(DCT, "license"), ox.NamedNode("https://creativecommons.org/licenses/by/4.0/")),
        ox.Triple(d, _n(DCT, "creator"), _lit("Bali Process Knowledge Graph developers")),
        ox.Triple(d, _n(DCT, "hasVersion"), _lit(version)),
        ox.Triple(
            d,
            ox.NamedNode("http://www.w3.org/2002/07/owl#versionInfo"),
            _lit(f"software {__version__}, data {version}"),
        ),
        ox.Triple(d, _n(VOID, "triples"), _lit(str(triples), datatype=XSD + "integer")),
        ox.Triple(d, _n(VOID, "sparqlEndpoint"), ox.NamedNode(base_url + "sparql")),
        ox.Triple(d, _n(VOID, "uriSpace"), _lit("https://w3id.org/bali-process-kg/id/")),
        ox.Triple(d, _n(VOID, "vocabulary"), ox.NamedNode("https://w3id.org/bali-process-kg/def#")),
        ox.Triple(d, _n(FOAF, "homepage"), ox.NamedNode(base_url)),
    ]
    t += [
        ox.Triple(d, _n(VOID, "exampleResource"), ox.NamedNode("https://w3id.org/bali-process-kg/" + e))
        for e in EXAMPLES
    ]
    for index, name in enumerate(dumps):
        url = ox.NamedNode(base_url + "dumps/" + name)
        dist = ox.BlankNode(f"dist{index}")
        fmt = name.split(".")[-2]
        t += [
            ox.Triple(d, _n(VOID, "dataDump"), url),
            ox.Triple(d, _n(DCAT, "distribution"), dist),
            ox.Triple(dist, _n(RDF, "type"), _n(DCAT, "Distribution")),
            ox.Triple(dist, _n(DCAT, "downloadURL"), url),
            ox.Triple(dist, _n(DCAT, "mediaType"), _lit(DUMP_TYPES.get(fmt, "application/octet-stream"))),
            ox.Triple(dist, _n(DCAT, "compressFormat"), _lit("application/gzip")),
        ]
    for index, row in enumerate(partitions):
        node = ox.BlankNode(f"part{index}")
        is_class = row["kind"] == "class"
        t += [
            ox.Triple(d, _n(VOID, "classPartition" if is_class else "propertyPartition"), node),
            ox.Triple(node, _n(VOID, "class" if is_class else "property"), ox.NamedNode(row["term"])),
            ox.Triple(
                node, _n(VOID, "entities" if is_class else "triples"), _lit(str(row["count"]), datatype=XSD + "integer")
            ),
        ]
    t += [ox.Triple(d, _n(DCT, "source"), ox.NamedNode(s)) for s in sources]
    linkset = ox.BlankNode("wikidata")
    t += [
        ox.Triple(d, _n(VOID, "subset"), linkset),
        ox.Triple(linkset, _n(RDF, "type"), _n(VOID, "Linkset")),
        ox.Triple(linkset, _n(VOID, "linkPredicate"), ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch")),
        ox.Triple(linkset, _n(VOID, "subjectsTarget"), d),
        ox.Triple(linkset, _n(VOID, "objectsTarget"), ox.NamedNode("http://www.wikidata.org/")),
        ox.Triple(linkset, _n(VOID, "triples"), _lit(str(wikidata_links), datatype=XSD + "integer")),
    ]
    return t
