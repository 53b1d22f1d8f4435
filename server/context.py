"""The JSON-LD context: short names for the graph's terms, so JSON-LD reads as `label`, `iso3`, `party`.

Built once from the ontology file: every `bp:` property gets its local name (object properties are typed
`@id`, so their values are IRIs; dates keep their XSD type), plus the reused terms the data relies on
(labels and notes by language, sources, Wikidata links, ORG memberships, ranks). Served at `/context.jsonld`
and embedded in the compact JSON-LD of entity documents (`/id/….jsonld`) and of the JSON-LD dump, so a
JSON tool needs no RDF library to read them. Compaction uses rdflib's JSON-LD writer, imported only when a document is compacted.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pyoxigraph as ox

from .datafiles import BASE, ONTOLOGY_FILE

BP = BASE + "def#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "https://schema.org/"

#: reused terms, by the short name they get
REUSED = {
    "label": {"@id": "http://www.w3.org/2000/01/rdf-schema#label", "@container": "@language"},
    "note": {"@id": "http://www.w3.org/2004/02/skos/core#note", "@container": "@language"},
    "altLabel": {"@id": "http://www.w3.org/2004/02/skos/core#altLabel", "@container": "@language"},
    "title": {"@id": "http://purl.org/dc/terms/title", "@container": "@language"},
    "publisher": "http://purl.org/dc/terms/publisher",
    "source": {"@id": "http://purl.org/dc/terms/source", "@type": "@id"},
    "exactMatch": {"@id": "http://www.w3.org/2004/02/skos/core#exactMatch", "@type": "@id"},
    "member": {"@id": "http://www.w3.org/ns/org#member", "@type": "@id"},
    "organization": {"@id": "http://www.w3.org/ns/org#organization", "@type": "@id"},
    "role": {"@id": "http://www.w3.org/ns/org#role", "@type": "@id"},
    "rank": {"@id": "http://wikiba.se/ontology#rank", "@type": "@id"},
}
PREFIXES = {
    "bp": BP,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "xsd": XSD,
    "wd": "http://www.wikidata.org/entity/",
    "wikibase": "http://wikiba.se/ontology#",
}


@lru_cache(maxsize=1)
def context() -> dict:
    """The `@context` object (without the wrapper)."""
    triples = list(ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE))
    kinds = {t.subject.value: t.object.value for t in triples if t.predicate.value == RDF + "type"}
    ranges = {t.subject.value: t.object.value for t in triples if t.predicate.value == SCHEMA + "rangeIncludes"}
    terms: dict = {"id": "@id", "type": "@type", **PREFIXES}
    for term, kind in sorted(kinds.items()):
        if not term.startswith(BP) or kind not in (OWL + "ObjectProperty", OWL + "DatatypeProperty"):
            continue
        name = term[len(BP) :]
        if kind == OWL + "ObjectProperty":
            terms[name] = {"@id": term, "@type": "@id"}
        elif ranges.get(term, "").startswith(XSD) and ranges[term] != XSD + "string":
            terms[name] = {"@id": term, "@type": ranges[term]}
        else:
            terms[name] = term
    terms.update(REUSED)
    return terms


def document() -> bytes:
    """The context as a JSON-LD document, for `/context.jsonld`."""
    return json.dumps({"@context": context()}, indent=2, ensure_ascii=False).encode("utf-8")


def compact(n_triples: bytes) -> bytes:
    """N-Triples as compact JSON-LD with the context embedded (run it in a thread: it is CPU work)."""
    from rdflib import Graph

    graph = Graph().parse(data=n_triples, format="nt")
    return graph.serialize(format="json-ld", context=context(), auto_compact=True).encode("utf-8")


def compact_quads(n_quads: bytes) -> bytes:
    """N-Quads as compact JSON-LD, one `@graph` per named graph, with the context embedded (for the dump)."""
    from rdflib import Dataset

    dataset = Dataset()
    dataset.parse(data=n_quads, format="nquads")
    return dataset.serialize(format="json-ld", context=context(), auto_compact=True).encode("utf-8")
