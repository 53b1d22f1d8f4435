"""Dumps: serialises a loaded graph in the formats offered for download and by `balikg export`.

Triple formats (Turtle, N-Triples, RDF/XML) carry the default graph as queries see it: the union of the
data graphs and the ontology. Quad formats (TriG, N-Quads, JSON-LD) keep the served named graphs (data
graphs and ontology), so a dump can be loaded back graph for graph. The shapes are published as their own
file, not in the dumps.
"""

import pyoxigraph as ox

from .loader import LoadedGraph

PREFIXES = {
    "bp": "https://w3id.org/bali-process-kg/def#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "wd": "http://www.wikidata.org/entity/",
}

#: format name → (pyoxigraph format, keeps named graphs)
FORMATS: dict[str, tuple[ox.RdfFormat, bool]] = {
    "ttl": (ox.RdfFormat.TURTLE, False),
    "nt": (ox.RdfFormat.N_TRIPLES, False),
    "rdfxml": (ox.RdfFormat.RDF_XML, False),
    "trig": (ox.RdfFormat.TRIG, True),
    "nq": (ox.RdfFormat.N_QUADS, True),
    "jsonld": (ox.RdfFormat.JSON_LD, True),
}


def dump(loaded: LoadedGraph, fmt: str) -> bytes:
    """Serialise the graph in `fmt` (one of FORMATS)."""
    rdf_format, keeps_graphs = FORMATS[fmt]
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    if keeps_graphs:
        return ox.serialize(loaded.served_quads(), format=rdf_format, prefixes=prefixes)
    return ox.serialize(loaded.union_triples(), format=rdf_format, prefixes=prefixes)
