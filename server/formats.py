"""Formats: every result and RDF format the project reads or writes, declared once.

A `Format` names its media type, the short names a client or a link may use for it (`format=json`, a
`.csv` suffix), the engine's format object and which kind of answer it can carry: solutions and booleans
(SELECT, ASK) or triples (CONSTRUCT, DESCRIBE). Negotiation, the result writers, the ready-made query
suffixes, entity documents, dumps and the service description all read this table; nothing else lists
formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

AnswerKind = Literal["bindings", "boolean", "graph"]


@dataclass(frozen=True)
class Format:
    media_type: str
    #: names accepted in `format=` and as file suffixes; the first is the preferred suffix
    names: tuple[str, ...]
    #: "results" for solutions and booleans, "graph" for triples
    carries: Literal["results", "graph"]
    #: the W3C format IRI local name (http://www.w3.org/ns/formats/…), for the service description
    w3c_name: str
    #: the pyoxigraph RDF format for graph formats
    rdf_format: ox.RdfFormat | None = None
    #: keeps named graphs when used for a dump
    keeps_graphs: bool = False

    @property
    def suffix(self) -> str:
        return "." + self.names[0]

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say their charset."""
        return self.media_type + ("; charset=utf-8" if self.media_type.startswith("text/") else "")

    def serves(self, kind: AnswerKind) -> bool:
        return (self.carries == "graph") == (kind == "graph")


FORMATS: tuple[Format, ...] = (
    Format("application/sparql-results+json", ("json", "srj"), "results", "SPARQL_Results_JSON"),
    Format("application/sparql-results+xml", ("xml", "srx"), "results", "SPARQL_Results_XML"),
    Format("text/csv", ("csv",), "results", "SPARQL_Results_CSV"),
    Format("text/tab-separated-values", ("tsv",), "results", "SPARQL_Results_TSV"),
    Format("text/turtle", ("ttl", "turtle"), "graph", "Turtle", ox.RdfFormat.TURTLE),
    Format("application/n-triples", ("nt", "ntriples"), "graph", "N-Triples", ox.RdfFormat.N_TRIPLES),
    Format("application/rdf+xml", ("rdf", "rdfxml"), "graph", "RDF_XML", ox.RdfFormat.RDF_XML),
    Format("application/ld+json", ("jsonld",), "graph", "JSON-LD", ox.RdfFormat.JSON_LD, keeps_graphs=True),
    Format("application/n-quads", ("nq", "nquads"), "graph", "N-Quads", ox.RdfFormat.N_QUADS, keeps_graphs=True),
    Format("application/trig", ("trig",), "graph", "TriG", ox.RdfFormat.TRIG, keeps_graphs=True),
)

HTML = "text/html"

BY_MEDIA_TYPE: dict[str, Format] = {f.media_type: f for f in FORMATS}

#: other media types clients send for the same formats
MEDIA_TYPE_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-trig": "application/trig",
    "text/rdf+n3": "text/turtle",
}


def offers(kind: AnswerKind) -> list[str]:
    """The media types that can carry an answer of `kind`, in the server's order of preference."""
    return [f.media_type for f in FORMATS if f.serves(kind)]


#: `format=` (and `output=`, `results=`) values clients send that name a format by its kind of answer:
#: the first media type serves solutions, the second graphs (as Fuseki and Virtuoso read them)
CLIENT_NAMES: dict[str, tuple[str, ...]] = {
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "json": ("application/sparql-results+json", "application/ld+json"),
    "n3": ("text/turtle",),
    "rdf+xml": ("application/rdf+xml",),
    "json-ld": ("application/ld+json",),
    "n-triples": ("application/n-triples",),
    "text/rdf+n3": ("text/turtle",),
}


def by_name(name: str) -> tuple[str, ...] | None:
    """The media types a `format=` value names (a short name, a client's name or a media type), in order of
    preference; None when the value names no format (the caller then lets Accept decide)."""
    name = name.strip().lower()
    if name == "html":
        return (HTML,)
    if name in CLIENT_NAMES:
        return CLIENT_NAMES[name]
    for fmt in FORMATS:
        if name in fmt.names or name == fmt.media_type:
            return (fmt.media_type,)
    alias = MEDIA_TYPE_ALIASES.get(name)
    return (alias,) if alias else None


def by_suffix(path: str) -> tuple[str, str | None]:
    """Split a format suffix off a path: (path without it, media type), or (path, None) if none matches."""
    for fmt in FORMATS:
        for name in fmt.names:
            if path.endswith("." + name):
                return path[: -len(name) - 1], fmt.media_type
    return path, None


def content_type(media_type: str) -> str:
    fmt = BY_MEDIA_TYPE.get(media_type)
    if fmt is not None:
        return fmt.content_type
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")


def rdf_format(media_type: str) -> ox.RdfFormat:
    return BY_MEDIA_TYPE[media_type].rdf_format


#: `balikg export --format` and dump file names: name → format
DUMP_FORMATS: dict[str, Format] = {
    name: BY_MEDIA_TYPE[media_type]
    for name, media_type in (
        ("ttl", "text/turtle"),
        ("nt", "application/n-triples"),
        ("rdfxml", "application/rdf+xml"),
        ("trig", "application/trig"),
        ("nq", "application/n-quads"),
        ("jsonld", "application/ld+json"),
    )
}
