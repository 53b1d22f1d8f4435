"""The store seam: one small protocol for running SPARQL over the graph, with two engines behind it.

`OxigraphStore` (the default) opens a read-only on-disk pyoxigraph store; `RdflibStore` is the reference
engine (rdflib's own evaluator, 20–4000× slower, kept to cross-check results); `remote.RemoteStore` sends
the same queries to an existing SPARQL engine over HTTP. Both read a *store
directory* written once by `dataset.write_store_dir` from a validated load, so that any number of worker processes
can open the same data. In that directory the default graph already holds the union of the data graphs and
the ontology: a query without FROM or protocol dataset parameters sees the union, a query with them sees
exactly the graphs it names (never fetched from the web — they are looked up among the stored graphs).

Results come back engine-neutral (pyoxigraph term objects), so one serializer (`results`) serves both.
This module only opens and queries stores; writing them is `dataset`'s job. Routers never use it
directly: queries go through the query service and its executor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import pyoxigraph as ox

from .errors import QuerySyntaxError

#: bumped whenever what `dataset.write_store_dir` writes changes, so cached store directories are not reused
STORE_FORMAT = 4
QUADS_FILE = "graph.nq"
OXIGRAPH_DIR = "oxigraph"
META_FILE = "meta.json"
DUMPS_DIR = "dumps"


@dataclass
class DatasetSpec:
    """The SPARQL Protocol's `default-graph-uri` / `named-graph-uri` parameters (None: not given)."""

    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None

    @property
    def given(self) -> bool:
        return self.default_graphs is not None or self.named_graphs is not None


@dataclass
class QueryResult:
    """What a query produced: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    kind: Literal["bindings", "boolean", "graph"]
    variables: list[str] = field(default_factory=list)
    rows: Iterator[tuple] | None = None  # tuples of ox terms or None, in `variables` order
    boolean: bool | None = None
    triples: Iterator[ox.Triple] | None = None


class Store(Protocol):
    """Runs read-only SPARQL queries over the served graph."""

    version: str

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
        dataset: DatasetSpec | None = None,
        base_iri: str | None = None,
    ) -> QueryResult: ...


def read_meta(directory: Path) -> dict:
    return json.loads((directory / META_FILE).read_text(encoding="utf-8"))


def open_store(engine: str, location, **options) -> Store:
    """Open a store: a store directory for the embedded engines (`oxigraph`, `rdflib`), a
    `remote.Endpoints` for `remote` (whose `options` are `RemoteStore`'s)."""
    if engine == "oxigraph":
        return OxigraphStore(location)
    if engine == "rdflib":
        return RdflibStore(location)
    if engine == "remote":
        from .remote import RemoteStore  # (only the remote engine needs its HTTP client)

        return RemoteStore(location, **options)
    raise ValueError(f"unknown engine {engine!r} (expected oxigraph, rdflib or remote)")


class OxigraphStore:
    """The default engine: pyoxigraph over a read-only on-disk store."""

    def __init__(self, directory: Path):
        self._meta = read_meta(directory)
        self.version = self._meta["version"]
        self._store = ox.Store.read_only(str(directory / OXIGRAPH_DIR))
        self._default_graphs: list[ox.NamedNode] | None = None

    @classmethod
    def over(cls, store: ox.Store, default_graphs: list[str], version: str) -> OxigraphStore:
        """A freshly loaded graph before any store directory exists (the loader's in-memory store), with the
        union of `default_graphs` as the default graph — for the statistics of `balikg stats` and `sources`."""
        self = cls.__new__(cls)
        self._meta, self.version, self._store = {}, version, store
        self._default_graphs = [ox.NamedNode(g) for g in default_graphs]
        return self

    def query(self, sparql, *, bindings=None, dataset=None, base_iri=None) -> QueryResult:
        options = {"base_iri": base_iri} if base_iri else {}
        if self._default_graphs is not None:
            options["default_graph"] = self._default_graphs
        if dataset is not None and dataset.given:
            # The protocol's parameters replace the query's own FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4).
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs or []] or [ox.DefaultGraph()]
            if dataset.named_graphs is not None:
                options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
            elif dataset.default_graphs is not None:
                options["named_graphs"] = []
        if bindings:
            options["substitutions"] = {ox.Variable(name): value for name, value in bindings.items()}
        try:
            answer = self._store.query(sparql, **options)
        except SyntaxError as error:
            raise QuerySyntaxError(f"SPARQL syntax error: {error}") from None
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(kind="boolean", boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            return QueryResult(kind="graph", triples=iter(answer))
        variables = [v.value for v in answer.variables]
        # (a solution iterates over its values in `variables` order, None for an unbound one: a third faster
        # than looking each value up by name)
        return QueryResult(kind="bindings", variables=variables, rows=(tuple(solution) for solution in answer))


class RdflibStore:
    """The reference engine: rdflib's SPARQL evaluator over an in-memory Dataset. rdflib is imported inside
    its methods, so that a worker of the default engine never loads it (about 0.2 s of start-up)."""

    def __init__(self, directory: Path):
        import rdflib

        self._meta = read_meta(directory)
        self.version = self._meta["version"]
        self._dataset = rdflib.Dataset()
        self._dataset.parse(directory / QUADS_FILE, format="nquads")

    def query(self, sparql, *, bindings=None, dataset=None, base_iri=None) -> QueryResult:
        from pyparsing.exceptions import ParseException
        from rdflib import Dataset, URIRef
        from rdflib.plugins.sparql.processor import prepareQuery

        target = self._dataset
        if dataset is not None and dataset.given:
            target = Dataset()
            for name in dataset.default_graphs or []:
                for triple in self._dataset.graph(URIRef(name)):
                    target.default_context.add(triple)
            for name in dataset.named_graphs or []:
                graph = target.graph(URIRef(name))
                for triple in self._dataset.graph(URIRef(name)):
                    graph.add(triple)
        try:
            prepared = prepareQuery(sparql, base=base_iri)
        except ParseException as error:
            raise QuerySyntaxError(f"SPARQL syntax error at {error.lineno}:{error.col}: {error.msg}") from None
        init = {name: _to_rdflib(term) for name, term in (bindings or {}).items()}
        with _no_graph_loading():
            answer = target.query(prepared, initBindings=init)
            if answer.type not in ("ASK", "CONSTRUCT", "DESCRIBE"):
                _ = answer.bindings  # evaluate now, while graph loading is off

        if answer.type == "ASK":
            return QueryResult(kind="boolean", boolean=bool(answer.askAnswer))
        if answer.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult(kind="graph", triples=(ox.Triple(*map(_from_rdflib, t)) for t in answer.graph))
        variables = [str(v) for v in answer.vars]
        return QueryResult(
            kind="bindings",
            variables=variables,
            rows=(tuple(_from_rdflib(row[i]) for i in range(len(variables))) for row in answer),
        )


@contextmanager
def _no_graph_loading():
    """Never let a query's FROM make rdflib fetch a URL (unknown graphs are simply empty). rdflib keeps this
    switch process-wide, so it is turned off around each query and restored after it."""
    import rdflib.plugins.sparql as rdflib_sparql

    before = rdflib_sparql.SPARQL_LOAD_GRAPHS
    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    try:
        yield
    finally:
        rdflib_sparql.SPARQL_LOAD_GRAPHS = before


def _from_rdflib(term):
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import XSD

    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    raise TypeError(f"unexpected rdflib term {term!r}")


def _to_rdflib(term):
    from rdflib import Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
