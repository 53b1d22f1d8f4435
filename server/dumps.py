"""Dumps: serialises a loaded graph in the formats offered for download and by `balikg export`.

JSON-LD is compact, with the context of `context` (short names such as `label`, `iso3`, `party`). Triple
formats (Turtle, N-Triples, RDF/XML) carry the default graph as queries see it: the union of the
data graphs and the ontology. Quad formats (TriG, N-Quads, JSON-LD) keep the served named graphs (data
graphs and ontology), so a dump can be loaded back graph for graph. The shapes are published as their own
file, not in the dumps.
"""

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox

from .formats import DUMP_FORMATS
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


def dump(loaded: LoadedGraph, fmt: str) -> bytes:
    """Serialise the graph in `fmt` (a name of `formats.DUMP_FORMATS`)."""
    spec = DUMP_FORMATS[fmt]
    if fmt == "jsonld":  # compact, with the project's JSON-LD context, named graphs kept
        from .context import compact_quads  # (rdflib's JSON-LD writer: imported only for this format)

        return compact_quads(ox.serialize(loaded.served_quads(), format=ox.RdfFormat.N_QUADS))
    prefixes = PREFIXES if spec.rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    if spec.keeps_graphs:
        return ox.serialize(loaded.served_quads(), format=spec.rdf_format, prefixes=prefixes)
    return ox.serialize(loaded.union_triples(), format=spec.rdf_format, prefixes=prefixes)


def write_dumps(loaded: LoadedGraph, folder: Path) -> None:
    """The downloadable dumps: every dump format except RDF/XML, gzip-compressed with a fixed timestamp (so
    the bytes depend on the data only), and a SHA256SUMS file."""
    folder.mkdir(parents=True, exist_ok=True)
    sums = []
    for fmt in DUMP_FORMATS:
        if fmt == "rdfxml":
            continue
        name = f"bali-process-kg.{fmt}.gz"
        data = gzip.compress(dump(loaded, fmt), mtime=0)
        (folder / name).write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {name}")
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
