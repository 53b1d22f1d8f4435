"""Validation: checks a loaded graph against the SHACL shapes and turns pyshacl's report into findings.

pyshacl runs with the ontology as `ont_graph` and RDFS inference, so class targets reach subclasses.
A finding names the file(s) that describe the focus node, the focus node, the path, the node shape
(`<Class>Shape`) and property shape involved, and the message. Violations refuse a load; warnings
(e.g. a missing Indonesian label) are reported but do not.
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.sparql import processor

from .datafiles import ONTOLOGY_GRAPH, SHAPES_GRAPH
from .loader import LoadedGraph

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Finding:
    severity: str  # "Violation", "Warning" or "Info"
    focus: str
    path: str | None
    value: str | None
    node_shape: str | None
    source_shape: str
    message: str
    files: tuple[str, ...]

    def render(self) -> str:
        where = ", ".join(self.files) or "(no file)"
        parts = [f"{self.severity}: {where}", f"  focus node: <{self.focus}>"]
        if self.path:
            parts.append(f"  path: <{self.path}>")
        if self.value:
            parts.append(f"  value: {self.value}")
        parts.append(f"  shape: {self.node_shape or self.source_shape}")
        if self.node_shape and self.node_shape != self.source_shape:
            parts.append(f"  constraint: {self.source_shape}")
        parts.append(f"  message: {self.message}")
        return "\n".join(parts)


@dataclass(frozen=True)
class ValidationReport:
    findings: tuple[Finding, ...]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def render(self, *, warnings_in_full: bool = False) -> str:
        lines = [f.render() for f in self.violations]
        if warnings_in_full:
            lines += [f.render() for f in self.warnings]
        elif self.warnings:
            counts = Counter(f.message for f in self.warnings)
            lines.append(f"{len(self.warnings)} warning(s) (show them with --warnings):")
            lines += [f"  {n} × {message}" for message, n in counts.most_common()]
        verdict = "conforms" if self.conforms else f"does NOT conform: {len(self.violations)} violation(s)"
        lines.append(f"The graph {verdict}.")
        return "\n".join(lines)


@contextmanager
def _reuse_translated_sparql():
    """pySHACL hands rdflib the text of a SPARQL-based constraint once per focus node, and rdflib parses it
    every time (about 40 ms each, 600+ times for our graph). While validating, translate each distinct text
    once and reuse the prepared query, which rdflib supports for repeated evaluation with new bindings."""
    original = processor.SPARQLProcessor.query
    prepared: dict = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                prepared[key] = processor.translateQuery(processor.parseQuery(strOrQuery), base, initNs)
            strOrQuery = prepared[key]
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original


def _to_rdflib(store: ox.Store, graphs: list[str]) -> Graph:
    """Copy the given named graphs of the quad store into one rdflib graph (N-Triples round trip)."""
    graph = Graph()
    for name in graphs:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def _short(term, graph: Graph) -> str:
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # a term with no known prefix
            return f"<{term}>"
    return str(term)


def validate(loaded: LoadedGraph) -> ValidationReport:
    """Validate the data graphs of `loaded` against its shapes; the store itself is not modified."""
    data = _to_rdflib(loaded.store, loaded.data_graphs)
    ontology = _to_rdflib(loaded.store, [ONTOLOGY_GRAPH])
    shapes = _to_rdflib(loaded.store, [SHAPES_GRAPH])
    shapes.bind("bp", "https://w3id.org/bali-process-kg/def#")
    shapes.bind("shapes", "https://w3id.org/bali-process-kg/shapes#")
    with _reuse_translated_sparql():
        _, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=ontology, inference="rdfs", abort_on_first=False,
            allow_warnings=True,
        )
    types = _TypeIndex(data, ontology)
    return ValidationReport(tuple(_findings(report, shapes, types, loaded)))


class _TypeIndex:
    """Answers "is this node an instance of that class?" with rdfs:subClassOf taken into account."""

    def __init__(self, data: Graph, ontology: Graph):
        self.data, self.ontology = data, ontology

    def is_instance(self, node, cls) -> bool:
        for asserted in self.data.objects(node, RDF.type):
            if cls in self.ontology.transitive_objects(asserted, RDFS.subClassOf):
                return True
        return False


def _node_shape_of(shape, focus, shapes: Graph, types: _TypeIndex):
    """The node shape (`<Class>Shape`) that applied a possibly shared or anonymous constraint to `focus`."""
    if (shape, RDF.type, SH.NodeShape) in shapes:
        return shape
    parents = [*shapes.subjects(SH.property, shape), *shapes.subjects(SH.sparql, shape)]
    for parent in parents:
        if any(types.is_instance(focus, cls) for cls in shapes.objects(parent, SH.targetClass)):
            return parent
    return parents[0] if parents else None


def _findings(report: Graph, shapes: Graph, types: _TypeIndex, loaded: LoadedGraph):
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        source_shape = report.value(result, SH.sourceShape)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        messages = [str(m) for m in report.objects(result, SH.resultMessage)]
        node_shape = _node_shape_of(source_shape, focus, shapes, types)
        files = tuple(sorted(_relative(p) for p in loaded.subject_files.get(str(focus), ())))
        yield Finding(
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            focus=str(focus),
            path=str(path) if isinstance(path, URIRef) else (None if path is None else _short(path, shapes)),
            value=None if value is None else _short(value, shapes),
            node_shape=None if node_shape is None else _short(node_shape, shapes),
            source_shape=_short(source_shape, shapes),
            message="; ".join(messages) or "(no message)",
            files=files,
        )


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
