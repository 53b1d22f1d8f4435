"""Loader: parses the ontology, the shapes and every data file into one in-memory quad store.

Each file is parsed on its own so that a syntax error names the file, line and column. Turtle data
files go into the named graph `graph/<file stem>` (see `datafiles.graph_name_for`); TriG and N-Quads
files keep the graphs they name, and their default-graph triples go to the file's own graph. Nothing
here validates: `validation` checks the loaded graph against the shapes.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .datafiles import ONTOLOGY_GRAPH, SHAPES_GRAPH, DataLayout, graph_name_for

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS}


class LoadError(Exception):
    """A file that cannot be read or parsed; the message names the file and, when known, the line."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.reason = Path(path), line, column, message
        where = str(self.path) + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # (raised in a child process that loads for the server, re-raised there)
        return (LoadError, (self.path, self.reason, self.line, self.column))


@dataclass
class LoadedGraph:
    """Everything one load produced: the quad store plus what reports and statistics need to know."""

    store: ox.Store
    layout: DataLayout
    version: str
    data_graphs: list[str]
    #: file that each named graph came from (data files, ontology, shapes)
    graph_files: dict[str, Path]
    #: files in which each subject IRI has triples, so a validation report can say where to look
    subject_files: dict[str, set[Path]] = field(default_factory=lambda: defaultdict(set))

    @property
    def union_graphs(self) -> list[str]:
        """The served graphs — the data graphs and the ontology. Queries see them as named graphs and
        their union as the default graph; the shapes are published as a file, not queried."""
        return [*self.data_graphs, ONTOLOGY_GRAPH]

    def union_triples(self) -> list[ox.Triple]:
        """The default graph as queries see it: every triple of the served graphs once, in a stable order."""
        return sorted(
            {
                ox.Triple(q.subject, q.predicate, q.object)
                for g in self.union_graphs
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(g))
            },
            key=str,
        )

    def served_quads(self) -> list[ox.Quad]:
        """Every quad of the served graphs, in a stable order."""
        quads = [q for g in self.union_graphs for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(g))]
        return sorted(quads, key=str)

    def triples_in(self, graph: str) -> int:
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def parse_file(path: Path, default_graph: str) -> list[ox.Quad]:
    """Parse one file; triples outside any named graph go to `default_graph`."""
    fmt = _FORMATS.get(path.suffix)
    if fmt is None:
        raise LoadError(path, f"unsupported file type {path.suffix!r} (expected .ttl, .trig or .nq)")
    target = ox.NamedNode(default_graph)
    # Blank nodes get labels from the file's name and their order in it (the parser's own are random), so
    # the same files always give the same quads: dumps and `balikg export` agree byte for byte.
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", path.stem) + "_b"
    labels: dict[str, ox.BlankNode] = {}

    def stable(term):
        if isinstance(term, ox.BlankNode):
            if term.value not in labels:
                labels[term.value] = ox.BlankNode(f"{prefix}{len(labels)}")
            return labels[term.value]
        return term

    try:
        return [
            ox.Quad(
                stable(q.subject),
                q.predicate,
                stable(q.object),
                target if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name,
            )
            for q in ox.parse(path=str(path), format=fmt, base_iri=default_graph)
        ]
    except SyntaxError as error:
        message = str(error.msg if hasattr(error, "msg") else error)
        raise LoadError(path, message, error.lineno, error.offset) from None
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(path, str(error)) from None


def load(layout: DataLayout) -> LoadedGraph:
    """Parse every file of `layout` into a fresh store; raise LoadError on the first broken file."""
    store = ox.Store()
    graph_files: dict[str, Path] = {}
    subject_files: dict[str, set[Path]] = defaultdict(set)
    data_graphs: list[str] = []
    sources = [(layout.ontology_file, ONTOLOGY_GRAPH), (layout.shapes_file, SHAPES_GRAPH)]
    sources += [(path, graph_name_for(path)) for path in layout.data_files()]
    for path, graph in sources:
        quads = parse_file(path, graph)
        store.bulk_extend(quads)
        for quad in quads:
            name = quad.graph_name.value
            graph_files.setdefault(name, path)
            if isinstance(quad.subject, ox.NamedNode):
                subject_files[quad.subject.value].add(path)
            if name not in (ONTOLOGY_GRAPH, SHAPES_GRAPH) and name not in data_graphs:
                data_graphs.append(name)
    return LoadedGraph(
        store=store,
        layout=layout,
        version=layout.version(),
        data_graphs=data_graphs,
        graph_files=graph_files,
        subject_files=subject_files,
    )
