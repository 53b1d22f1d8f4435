"""Statistics of a loaded graph: triples per named graph, instances per class, facts without a source.

The counting queries are files in `server/sparql/`; this module runs them over the default graph
(data graphs + ontology). `balikg stats` prints the results; tests and the dataset description use them.
"""

from dataclasses import dataclass
from importlib.resources import files

import pyoxigraph as ox

from .loader import LoadedGraph


def internal_query(name: str) -> str:
    """The text of `server/sparql/<name>.rq`."""
    return (files("server") / "sparql" / f"{name}.rq").read_text(encoding="utf-8")


def _select(loaded: LoadedGraph, name: str):
    return loaded.store.query(internal_query(name), default_graph=[ox.NamedNode(g) for g in loaded.union_graphs])


@dataclass(frozen=True)
class UnsourcedFact:
    fact: str
    cls: str


def triples_per_graph(loaded: LoadedGraph) -> dict[str, int]:
    return {graph: loaded.triples_in(graph) for graph in sorted(loaded.graph_files)}


def instances_per_class(loaded: LoadedGraph) -> dict[str, int]:
    return {row["class"].value: int(row["instances"].value) for row in _select(loaded, "instances-per-class")}


def facts_without_source(loaded: LoadedGraph) -> list[UnsourcedFact]:
    return [UnsourcedFact(row["fact"].value, row["class"].value) for row in _select(loaded, "facts-without-source")]
