"""Query values: what crosses from a route to the executor and its worker processes, and back.

`Binding` is one typed parameter value (an IRI or a literal with a datatype or language) and turns itself
into an RDF term; `QueryRequest` is everything that decides an answer (so it is also the result cache's
key); `QueryAnswer` is a serialised answer. Failures are not values: they are the typed exceptions of
`errors`, raised in the worker and re-raised on this side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from .formats import AnswerKind

XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Binding:
    """A value bound to a query variable by the engine, never pasted into the query text."""

    value: str
    kind: Literal["iri", "literal"] = "literal"
    datatype: str = XSD + "string"
    language: str | None = None

    @classmethod
    def iri(cls, value: str) -> Binding:
        return cls(value, "iri", "")

    @classmethod
    def literal(cls, value: str, datatype: str = XSD + "string") -> Binding:
        return cls(value, "literal", datatype)

    def to_term(self) -> ox.NamedNode | ox.Literal:
        if self.kind == "iri":
            return ox.NamedNode(self.value)
        if self.language:
            return ox.Literal(self.value, language=self.language)
        return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype))


Bindings = tuple[tuple[str, Binding], ...]


def bindings_of(mapping: dict[str, Binding] | None) -> Bindings:
    """A hashable, order-independent form of variable → binding."""
    return tuple(sorted((mapping or {}).items()))


@dataclass(frozen=True)
class QueryRequest:
    """One query to run, with everything that decides its answer (hashable: it is the cache key)."""

    query: str
    #: the media types `format=` or a suffix named, in order: the first that can carry the answer is used
    #: (`format=xml` names SPARQL XML for solutions and RDF/XML for graphs); empty: `accept` decides
    media_types: tuple[str, ...] = ()
    accept: str | None = None
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    bindings: Bindings = ()
    max_rows: int = 10_000
    #: keep only these result variables, in this order (ready-made queries' declared columns)
    columns: tuple[str, ...] | None = None
    #: the base IRI relative IRIs in the query resolve against (the endpoint's URL)
    base_iri: str | None = None
    #: the text is this server's own (a ready-made query file, an internal or page query), never a client's:
    #: its SERVICE calls, if any, are plain `<IRI>`s, so with federation on a worker checks and maps them in the
    #: text instead of re-serialising it with rdflib, whose writer cannot write back every query (`federation`)
    own_text: bool = False

    @property
    def size(self) -> int:
        """Roughly how many bytes this request takes as a cache key."""
        return (
            len(self.query)
            + len(self.accept or "")
            + sum(len(g) for g in self.default_graphs or ())
            + sum(len(g) for g in self.named_graphs or ())
            + sum(len(b.value) + 64 for _, b in self.bindings)
            + 256
        )


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised answer: the bytes in `media_type`, how many rows or triples, whether the cap cut it."""

    kind: AnswerKind
    media_type: str
    body: bytes
    count: int
    truncated: bool = False


_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*")


def is_absolute_iri(text: str) -> bool:
    """True for text SPARQL accepts as an absolute IRI (a scheme, then no character IRIs exclude)."""
    if _ABSOLUTE_IRI.fullmatch(text) is None:
        return False
    try:
        ox.NamedNode(text)  # the engine's own check (RFC 3987), stricter than the pattern
    except ValueError:
        return False
    return True
