"""Real SPARQL clients against the live endpoint: SPARQLWrapper (JSON and XML) and rdflib's SPARQLStore."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, XML, SPARQLWrapper

QUERY = """
PREFIX bp: <https://w3id.org/bali-process-kg/def#>
SELECT ?iso WHERE { <https://w3id.org/bali-process-kg/id/state/IDN> bp:iso3 ?iso }
"""


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_reads_results(live_server, fmt):
    client = SPARQLWrapper(live_server + "/sparql")
    client.setQuery(QUERY)
    client.setReturnFormat(fmt)
    converted = client.query().convert()
    if fmt == JSON:
        assert [b["iso"]["value"] for b in converted["results"]["bindings"]] == ["IDN"]
    else:
        assert [n.firstChild.data for n in converted.getElementsByTagName("literal")] == ["IDN"]


def test_sparqlwrapper_post(live_server):
    client = SPARQLWrapper(live_server + "/sparql")
    client.setMethod("POST")
    client.setQuery(QUERY)
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"][0]["iso"]["value"] == "IDN"


def test_rdflib_sparqlstore_select_and_construct(live_server):
    graph = Graph(store=SPARQLStore(live_server + "/sparql"))
    rows = list(graph.query(QUERY))
    assert [row.iso for row in rows] == [Literal("IDN")]
    constructed = graph.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER (?s = <https://w3id.org/bali-process-kg/id/state/IDN>) }"
    )
    triples = set(constructed.graph)
    assert (
        URIRef("https://w3id.org/bali-process-kg/id/state/IDN"),
        URIRef("https://w3id.org/bali-process-kg/def#iso3"),
        Literal("IDN"),
    ) in triples
