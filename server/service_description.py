"""Service description: the SPARQL 1.1 Service Description of the endpoint, as RDF triples.

Returned by `GET /sparql` without a query (content-negotiated). It names the endpoint URL that was
fetched, the query language, the result formats, that the default graph is the union of the named
graphs, each named graph with its size and the prefixes a query may use without declaring them
(`sh:declare`), and links the dataset description at `/.well-known/void`.
"""

from __future__ import annotations

import pyoxigraph as ox

from .formats import FORMATS as ALL_FORMATS
from .prefixes import PREDECLARED

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
XSD_ANY_URI = ox.NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")
SH = "http://www.w3.org/ns/shacl#"

RESULT_FORMATS = [fmt.w3c_name for fmt in ALL_FORMATS]


def describe(
    endpoint: str, void_url: str, named_graphs: dict[str, int], triples: int, *, federation: bool = False
) -> list[ox.Triple]:
    sd = lambda name: ox.NamedNode(SD + name)  # noqa: E731
    void = lambda name: ox.NamedNode(VOID + name)  # noqa: E731
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    out = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, RDF_TYPE, void("Dataset")),
        ox.Triple(dataset, SEE_ALSO, ox.NamedNode(void_url)),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
        ox.Triple(default_graph, void("triples"), ox.Literal(str(triples), datatype=XSD_INTEGER)),
    ]
    # The prefixes a query may use without declaring them, as SHACL prefix declarations.
    for index, (prefix, namespace) in enumerate(sorted(PREDECLARED.items())):
        declaration = ox.BlankNode(f"prefix{index}")
        out += [
            ox.Triple(service, ox.NamedNode(SH + "declare"), declaration),
            ox.Triple(declaration, ox.NamedNode(SH + "prefix"), ox.Literal(prefix)),
            ox.Triple(declaration, ox.NamedNode(SH + "namespace"), ox.Literal(namespace, datatype=XSD_ANY_URI)),
        ]
    if federation:  # only when SERVICE is allowed to some endpoint
        out.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    out += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS + f)) for f in RESULT_FORMATS]
    for index, (name, size) in enumerate(sorted(named_graphs.items())):
        named, graph = ox.BlankNode(f"named{index}"), ox.BlankNode(f"graph{index}")
        out += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, void("triples"), ox.Literal(str(size), datatype=XSD_INTEGER)),
        ]
    return out
