"""Validation: checks a loaded graph against the SHACL shapes and turns pyshacl's report into findings.

pySHACL runs with the ontology as `ont_graph` (mixed into the data graph), so SHACL's instance rule,
rdf:type/rdfs:subClassOf*, makes class targets and sh:class reach subclasses without RDFS inference (which
would cost more than half of the run and entail nothing the shapes use). The SPARQL constraints of node
shapes are taken out of pySHACL's hands and answered by Oxigraph, one query per constraint for all focus
nodes (`_split_sparql_constraints`): pySHACL runs them once per focus node with rdflib, which made
validation grow with the square of the data.
A finding names the file(s) that describe the focus node, the focus node, the path, the node shape
(`<Class>Shape`) and property shape involved, and the message. Violations refuse a load; warnings
(e.g. a missing Indonesian label) are reported but do not.
"""

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

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


@dataclass(frozen=True)
class _SparqlConstraint:
    """A SHACL-SPARQL constraint of a node shape, evaluated by Oxigraph instead of pySHACL."""

    shape: object  # the node shape (URIRef or BNode in the shapes graph)
    constraint: object  # the sh:SPARQLConstraint node
    targets: tuple[str, ...]  # sh:targetClass IRIs
    prologue: str  # PREFIX lines from the constraint's sh:prefixes declarations
    select: str  # the sh:select text
    messages: tuple[str, ...]
    severity: str


_LEADING_PROLOGUE = re.compile(r"^\s*(PREFIX|BASE)\b", re.I)
_PROJECTS_THIS = re.compile(r"\bSELECT\b[^{]*[?$]this\b", re.I)


def _split_sparql_constraints(shapes: Graph) -> tuple[Graph, list[_SparqlConstraint]]:
    """Take the SPARQL constraints of class-targeted node shapes out of the shapes graph.

    pySHACL evaluates such a constraint once per focus node with rdflib (a fresh query each time, with a
    join order that makes a uniqueness check quadratic); Oxigraph answers it for all focus nodes in one
    query. What pySHACL still sees is everything else. Constraints of other forms (property shapes,
    other target kinds, ASK, a SELECT that does not project $this or has its own prologue, deactivated
    ones) stay with pySHACL."""
    kept = Graph()
    for triple in shapes:
        kept.add(triple)
    offloaded = []
    for shape, constraint in list(shapes.subject_objects(SH.sparql)):
        select = shapes.value(constraint, SH.select)
        targets = tuple(str(t) for t in shapes.objects(shape, SH.targetClass))
        other_targets = any(
            (shape, p, None) in shapes for p in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
        )
        if (
            (shape, RDF.type, SH.NodeShape) not in shapes
            or not targets
            or other_targets
            or select is None
            or _LEADING_PROLOGUE.match(str(select))
            or not _PROJECTS_THIS.search(str(select))
            or shapes.value(constraint, SH.deactivated) is not None
        ):
            continue
        prologue = "".join(
            f"PREFIX {shapes.value(declaration, SH.prefix)}: <{shapes.value(declaration, SH.namespace)}>\n"
            for ontology in shapes.objects(constraint, SH.prefixes)
            for declaration in shapes.objects(ontology, SH.declare)
        )
        messages = [*shapes.objects(constraint, SH.message)] or [*shapes.objects(shape, SH.message)]
        severity = shapes.value(shape, SH.severity) or SH.Violation
        offloaded.append(
            _SparqlConstraint(
                shape,
                constraint,
                targets,
                prologue,
                str(select),
                tuple(str(m) for m in messages),
                str(severity).rsplit("#", 1)[-1],
            )
        )
        kept.remove((shape, SH.sparql, constraint))
    return kept, offloaded


def _evaluate_sparql_constraints(constraints: list[_SparqlConstraint], loaded: LoadedGraph, shapes: Graph):
    """Findings of the offloaded constraints: the constraint's query over the data graphs (plus the ontology,
    for subclass typing), joined with the shape's focus nodes — instances of a target class or of one of
    its subclasses, as SHACL's instance rule says. Evaluating the query once and keeping the rows whose
    $this is a focus node gives what SHACL's pre-binding of $this gives, for queries (like ours) in which
    $this is bound by a triple pattern of the top-level group."""
    graphs = [ox.NamedNode(g) for g in [*loaded.data_graphs, ONTOLOGY_GRAPH]]
    for item in constraints:
        targets = " ".join(f"<{t}>" for t in item.targets)
        query = (
            f"{item.prologue}SELECT DISTINCT * WHERE {{ {{ {item.select} }} "
            f"FILTER EXISTS {{ VALUES ?__target {{ {targets} }} $this a/<{RDFS.subClassOf}>* ?__target }} }}"
        )
        solutions = loaded.store.query(query, default_graph=graphs)
        names = [v.value for v in solutions.variables]
        for row in solutions:
            bound = {name: row[name] for name in names if row[name] is not None}
            focus = bound["this"]
            text = "; ".join(_fill_message(m, bound) for m in item.messages) or "(no message)"
            yield Finding(
                severity=item.severity,
                focus=focus.value,
                path=None,
                value=_short(URIRef(focus.value), shapes),
                node_shape=_short(item.shape, shapes),
                source_shape=_short(item.constraint, shapes) if isinstance(item.constraint, URIRef) else "sh:sparql",
                message=text,
                files=tuple(sorted(_relative(p) for p in loaded.subject_files.get(focus.value, ()))),
            )


def _fill_message(message: str, bound: dict) -> str:
    """SHACL-SPARQL message templates: {?name} or {$name} becomes the bound value's lexical form."""
    for name, term in bound.items():
        message = re.sub(r"\{[?$]" + re.escape(name) + r"\}", lambda _: term.value, message)
    return message


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
    core_shapes, sparql_constraints = _split_sparql_constraints(shapes)
    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=core_shapes,
        ont_graph=ontology,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
    )
    types = _TypeIndex(data, ontology)
    return ValidationReport(
        (*_findings(report, shapes, types, loaded), *_evaluate_sparql_constraints(sparql_constraints, loaded, shapes))
    )


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
