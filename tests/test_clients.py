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


# ---- the client matrix: SPARQLWrapper's defaults and every format name it sends ----------------------------

from SPARQLWrapper import CSV, JSONLD, N3, RDFXML, TSV, TURTLE  # noqa: E402

CONSTRUCT = """
PREFIX bp: <https://w3id.org/bali-process-kg/def#>
CONSTRUCT { ?s bp:iso3 ?iso } WHERE { ?s bp:iso3 ?iso FILTER (?iso = "IDN") }
"""
DESCRIBE = "DESCRIBE <https://w3id.org/bali-process-kg/id/instrument/untoc>"
ASK = "ASK { <https://w3id.org/bali-process-kg/id/state/IDN> ?p ?o }"
IDN_ISO3 = (
    URIRef("https://w3id.org/bali-process-kg/id/state/IDN"),
    URIRef("https://w3id.org/bali-process-kg/def#iso3"),
    Literal("IDN"),
)


def _wrapper(base: str, query: str, fmt=None, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(base + "/sparql")
    client.setQuery(query)
    client.setMethod(method)
    if fmt is not None:
        client.setReturnFormat(fmt)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", [None, JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_result_format(live_server, fmt, method):
    result = _wrapper(live_server, QUERY, fmt, method).query()
    assert result.response.status == 200
    converted = result.convert()
    if fmt == JSON:
        assert converted["results"]["bindings"][0]["iso"]["value"] == "IDN"
    elif fmt in (None, XML):
        assert [n.firstChild.data for n in converted.getElementsByTagName("literal")] == ["IDN"]
    else:
        text = converted.decode() if isinstance(converted, bytes) else converted
        assert "IDN" in text.splitlines()[1]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", [None, XML, RDFXML, TURTLE, N3, JSONLD, JSON])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_sparqlwrapper_graph_queries_in_every_rdf_format(live_server, fmt, method, query):
    result = _wrapper(live_server, query, fmt, method).query()
    assert result.response.status == 200, result.response.read()
    body = result.response.read()
    content_type = result.response.headers["content-type"].split(";")[0]
    parsed = Graph().parse(
        data=body,
        format={
            "application/rdf+xml": "xml",
            "text/turtle": "turtle",
            "application/ld+json": "json-ld",
            "application/n-triples": "nt",
        }[content_type],
    )
    if query is CONSTRUCT:
        assert IDN_ISO3 in parsed
    else:
        assert (URIRef("https://w3id.org/bali-process-kg/id/instrument/untoc"), None, None) in parsed


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(live_server, fmt):
    converted = _wrapper(live_server, ASK, fmt).query().convert()
    assert (
        converted["boolean"] if fmt == JSON else converted.getElementsByTagName("boolean")[0].firstChild.data == "true"
    ) is True


def test_repeated_and_aliased_format_parameters(live_server):
    import httpx

    same = httpx.get(
        live_server + "/sparql",
        params=[("query", QUERY), ("format", "json"), ("format", "json"), ("output", "json"), ("results", "json")],
    )
    assert same.status_code == 200 and same.headers["content-type"] == "application/sparql-results+json"
    conflicting = httpx.get(live_server + "/sparql", params=[("query", QUERY), ("format", "json"), ("output", "xml")])
    assert conflicting.status_code == 400
    unknown = httpx.get(
        live_server + "/sparql", params={"query": QUERY, "format": "nonsense"}, headers={"accept": "text/csv"}
    )
    assert unknown.status_code == 200 and unknown.headers["content-type"].startswith("text/csv")
    n3 = httpx.post(live_server + "/sparql", data={"query": CONSTRUCT}, headers={"accept": "text/rdf+n3"})
    assert n3.status_code == 200 and n3.headers["content-type"].startswith("text/turtle")


def test_relative_iris_resolve_against_the_endpoint(live_server):
    import httpx

    r = httpx.post(
        live_server + "/sparql",
        data={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"accept": "application/n-triples"},
    )
    assert r.status_code == 200
    assert r.text.startswith(f"<{live_server}/s> <{live_server}/p> ")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/id/state/IDN",
        "/queries/members.csv?kind=state",
        "/.well-known/void",
        "/dumps/SHA256SUMS",
        "/sparql?query=ASK%20%7B%7D",
        "/def",
        "/queries",
    ],
)
def test_head_answers_every_get_route_with_the_same_headers_and_no_body(live_server, path):
    import httpx

    get = httpx.get(live_server + path, headers={"accept-encoding": "identity"}, timeout=60)
    head = httpx.head(live_server + path, headers={"accept-encoding": "identity"}, timeout=60)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers.get("content-length") == get.headers.get("content-length")


def test_vary_names_each_header_once(live_server):
    import httpx

    r = httpx.get(live_server + "/sparql", params={"query": QUERY}, headers={"accept-encoding": "gzip"})
    vary = [v.strip().lower() for v in r.headers["vary"].split(",")]
    assert len(vary) == len(set(vary)) and "accept" in vary


# ---- feeding other tools: rdflib on entity IRIs, compact JSON-LD, CSV typed through CSVW --------------------

IDN = "https://w3id.org/bali-process-kg/id/state/IDN"


def test_rdflib_parses_an_entity_iri_by_content_negotiation(live_server):
    graph = Graph().parse(live_server + "/id/state/IDN")
    assert (URIRef(IDN), URIRef("https://w3id.org/bali-process-kg/def#iso3"), Literal("IDN")) in graph


def test_entity_json_ld_is_compact_with_the_published_context_and_the_same_graph(live_server):
    import httpx
    from rdflib.compare import isomorphic

    compact = httpx.get(live_server + "/id/state/IDN.jsonld", timeout=60)
    assert compact.headers["content-type"].startswith("application/ld+json")
    document = compact.json()
    context = httpx.get(live_server + "/context.jsonld").json()["@context"]
    assert document["@context"]["iso3"] == context["iso3"] == "https://w3id.org/bali-process-kg/def#iso3"
    assert context["party"] == {"@id": "https://w3id.org/bali-process-kg/def#party", "@type": "@id"}
    nodes = document.get("@graph", [document])
    assert any(n.get("id") == IDN and n.get("iso3") == "IDN" for n in nodes)
    turtle = httpx.get(live_server + "/id/state/IDN.ttl", timeout=60).content
    assert isomorphic(
        Graph().parse(data=compact.content, format="json-ld"), Graph().parse(data=turtle, format="turtle")
    )


def test_pandas_reads_a_ready_made_query_typed_through_its_csvw_metadata(live_server):
    import httpx
    import pandas

    url = live_server + "/queries/parties-over-time.csv?instrument=untoc"
    link = httpx.get(url).headers["link"]
    assert 'rel="describedby"' in link and 'type="application/csvm+json"' in link
    metadata = httpx.get(live_server + link.split(">")[0][1:]).json()
    columns = metadata["tableSchema"]["columns"]
    pandas_types = {"integer": "Int64", "string": "string", "anyURI": "string"}
    table = pandas.read_csv(url, dtype={c["name"]: pandas_types[c["datatype"]] for c in columns})
    assert list(table.columns) == [c["name"] for c in columns]
    assert [c["datatype"] for c in columns] == ["integer", "integer", "integer"]
    assert table["cumulative_parties"].is_monotonic_increasing and table["year"].min() >= 2000
    assert int(table["new_parties"].sum()) == int(table["cumulative_parties"].iloc[-1])


# ---- Comunica (JavaScript), and every client's answers against the query service in-process ---------------

import json as _json  # noqa: E402
import os as _os  # noqa: E402
import shutil as _shutil  # noqa: E402
import subprocess as _subprocess  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

CLIENTS = _Path(__file__).parent / "clients"
COMUNICA = CLIENTS / "node_modules" / "@comunica" / "query-sparql"
needs_comunica = pytest.mark.skipif(
    not (COMUNICA.exists() and _shutil.which("node")) and not _os.environ.get("BALIKG_REQUIRE_CLIENTS"),
    reason="Comunica is not installed (.ci/run installs it with npm and sets BALIKG_REQUIRE_CLIENTS)",
)
MATRIX = {
    "select": QUERY,
    "ask": ASK,
    "construct": CONSTRUCT,
    "describe": DESCRIBE,
}


@pytest.fixture(scope="module")
def in_process(protocol_data_dir, store_cache):
    """The same data as the live server, queried through the query service in this process."""
    import asyncio

    from server.dataset import prepare
    from server.executor import LocalExecutor
    from server.service import QueryService
    from server.settings import Settings
    from server.store import OxigraphStore

    settings = Settings(data_dir=protocol_data_dir, store_dir=store_cache)
    service = QueryService(LocalExecutor(OxigraphStore(prepare(settings).directory)), settings)

    def run(query: str, media_type: str, bindings=None, columns=None):
        request = service.request(query, media_type=media_type, bindings=bindings, columns=columns)
        return asyncio.run(service.answer(request))

    return run


def _rows_in_process(in_process, query: str) -> set:
    from server.service import rows_of

    return {
        frozenset((k, v.value) for k, v in row.items())
        for row in rows_of(in_process(query, "application/sparql-results+json"))
    }


def _graph_in_process(in_process, query: str) -> Graph:
    return Graph().parse(data=in_process(query, "application/n-triples").body, format="nt")


@needs_comunica
@pytest.mark.parametrize("form", list(MATRIX))
def test_comunica_answers_like_the_query_service(live_server, in_process, form):
    query = MATRIX[form]
    kind = {"select": "select", "ask": "ask"}.get(form, "graph")
    done = _subprocess.run(
        ["node", str(CLIENTS / "comunica.mjs"), live_server + "/sparql", kind, query],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=CLIENTS,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = _json.loads(done.stdout)
    if kind == "select":
        got = {frozenset((k, v["value"]) for k, v in row.items()) for row in answer["rows"]}
        assert got == _rows_in_process(in_process, query) != set()
    elif kind == "ask":
        assert answer["boolean"] is _json.loads(in_process(query, "application/sparql-results+json").body)["boolean"]
    else:
        got = {tuple(term["value"] for term in triple) for triple in answer["triples"]}
        expected = {
            (str(s), str(p), str(o))
            for s, p, o in _graph_in_process(in_process, query)
            if not any(type(x).__name__ == "BNode" for x in (s, o))
        }
        assert expected and got == expected


def test_sparqlwrapper_answers_like_the_query_service(live_server, in_process):
    converted = _wrapper(live_server, QUERY, JSON).query().convert()
    got = {frozenset((k, v["value"]) for k, v in row.items()) for row in converted["results"]["bindings"]}
    assert got == _rows_in_process(in_process, QUERY)
    body = _wrapper(live_server, CONSTRUCT, TURTLE).query().response.read()
    from rdflib.compare import isomorphic

    assert isomorphic(Graph().parse(data=body, format="turtle"), _graph_in_process(in_process, CONSTRUCT))
    converted = _wrapper(live_server, ASK, JSON).query().convert()
    assert converted["boolean"] is _json.loads(in_process(ASK, "application/sparql-results+json").body)["boolean"]


def test_rdflib_sparqlstore_triples_and_len_agree_with_the_query_service(live_server, in_process):
    graph = Graph(store=SPARQLStore(live_server + "/sparql"))
    idn = URIRef(IDN)
    remote = set(graph.triples((idn, None, None)))
    local = {
        (s, p, o)
        for s, p, o in _graph_in_process(in_process, f"CONSTRUCT {{ <{IDN}> ?p ?o }} WHERE {{ <{IDN}> ?p ?o }}")
    }
    assert remote == local and remote
    count = _json.loads(
        in_process("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "application/sparql-results+json").body
    )
    assert len(graph) == int(count["results"]["bindings"][0]["n"]["value"])


def test_pandas_rows_equal_the_query_service_rows(live_server, in_process):
    import pandas

    from server.catalogue import Catalogue

    query = Catalogue().get("parties-over-time")
    table = pandas.read_csv(live_server + "/queries/parties-over-time.csv?instrument=untoc", dtype="string")
    local = in_process(query.body, "text/csv", query.bindings({"instrument": "untoc"}), query.column_names)
    local = local.body.decode()
    assert table.to_csv(index=False, lineterminator="\r\n") == local
