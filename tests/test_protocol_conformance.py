"""The W3C SPARQL 1.1 Protocol test suite (w3c/rdf-tests, sparql/sparql11/protocol/manifest.ttl),
run against a real `balikg serve` process with the suite's graphs data1.rdf … data3.rdf loaded as named
graphs — once over the embedded store, once over a real Oxigraph server (`balikg serve --store`). Each test is one manifest entry: same request, same expected outcome. The endpoint is read-only,
so every update test must be refused with a 4xx status: the exact one docs/endpoint.md promises (403 for
any update, 415 for a missing or wrong content type, 400 for a body that is not percent-encoded ASCII).
"""

import json
from xml.etree import ElementTree

import httpx
import pytest

D = "http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2F"
DATA = "http://kasei.us/2009/09/sparql/data/"
SRX = "{http://www.w3.org/2005/sparql-results#}"
BOOLEAN_TYPES = ("application/sparql-results+xml", "application/sparql-results+json")


def _boolean(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    assert media in BOOLEAN_TYPES
    if media.endswith("json"):
        return json.loads(response.content)["boolean"]
    return ElementTree.fromstring(response.content).find(SRX + "boolean").text == "true"


@pytest.fixture(scope="module", params=["embedded", "remote"])
def endpoint(request):
    """Every test runs twice: against the embedded store, and against the same graph in a real Oxigraph
    server behind `balikg serve --store` (the remote-store path)."""
    return request.getfixturevalue("live_server" if request.param == "embedded" else "remote_server")


def _ok(response: httpx.Response) -> None:
    assert 200 <= response.status_code < 400, response.text


def test_query_post_form(endpoint):
    r = httpx.post(
        f"{endpoint}/sparql?default-graph-uri={D}data0.rdf",
        content="query=ASK%20%7B%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_dataset_default_graphs_get(endpoint):
    q = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
    r = httpx.get(
        f"{endpoint}/sparql",
        params=[("query", q), ("default-graph-uri", DATA + "data1.rdf"), ("default-graph-uri", DATA + "data2.rdf")],
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_dataset_default_graphs_post(endpoint):
    q = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
    r = httpx.post(
        f"{endpoint}/sparql?default-graph-uri={D}data1.rdf&default-graph-uri={D}data2.rdf",
        content=q,
        headers={"content-type": "application/sparql-query"},
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_dataset_named_graphs_post(endpoint):
    q = f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
    r = httpx.post(
        f"{endpoint}/sparql?named-graph-uri={D}data1.rdf&named-graph-uri={D}data2.rdf",
        content=q,
        headers={"content-type": "application/sparql-query"},
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_dataset_named_graphs_get(endpoint):
    q = f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
    r = httpx.get(
        f"{endpoint}/sparql",
        params=[("query", q), ("named-graph-uri", DATA + "data1.rdf"), ("named-graph-uri", DATA + "data2.rdf")],
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_dataset_full(endpoint):
    q = (
        f"ASK {{\n  <{DATA}data3.rdf> a ?type\n  GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }}\n"
        f"  GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }}\n}}"
    )
    r = httpx.post(
        f"{endpoint}/sparql?default-graph-uri={D}data3.rdf&named-graph-uri={D}data1.rdf&named-graph-uri={D}data2.rdf",
        content=q,
        headers={"content-type": "application/sparql-query"},
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_multiple_dataset_protocol_overrides_from(endpoint):
    q = f"ASK FROM <{DATA}data2.rdf> {{ <{DATA}data1.rdf> a ?type }}"
    r = httpx.post(
        f"{endpoint}/sparql?default-graph-uri={D}data1.rdf",
        content=q,
        headers={"content-type": "application/sparql-query"},
    )
    _ok(r)
    assert _boolean(r) is True


def test_query_get(endpoint):
    r = httpx.get(f"{endpoint}/sparql", params={"query": "ASK {}"})
    _ok(r)
    assert _boolean(r) is True


def test_query_post_direct(endpoint):
    r = httpx.post(f"{endpoint}/sparql", content="ASK {}", headers={"content-type": "application/sparql-query"})
    _ok(r)
    assert _boolean(r) is True


@pytest.mark.parametrize(
    "query,accepted",
    [
        (
            "SELECT (1 AS ?value) {}",
            (
                "application/sparql-results+xml",
                "application/sparql-results+json",
                "text/csv",
                "text/tab-separated-values",
            ),
        ),
        ("ASK {}", BOOLEAN_TYPES),
        (
            "DESCRIBE <http://example.org/>",
            (
                "application/rdf+xml",
                "text/turtle",
                "application/n-triples",
                "application/ld+json",
                "application/n-quads",
                "application/trig",
            ),
        ),
        (
            "CONSTRUCT { <s> <p> 1 } {}",
            (
                "application/rdf+xml",
                "text/turtle",
                "application/n-triples",
                "application/ld+json",
                "application/n-quads",
                "application/trig",
            ),
        ),
    ],
    ids=["select", "ask", "describe", "construct"],
)
def test_query_content_type(endpoint, query, accepted):
    r = httpx.post(
        f"{endpoint}/sparql",
        content=query.replace("<s> <p>", "<http://example.org/s> <http://example.org/p>"),
        headers={"content-type": "application/sparql-query"},
    )
    _ok(r)
    assert r.headers["content-type"].split(";")[0] in accepted


@pytest.mark.parametrize(
    "name,request_args",
    [
        (
            "update_dataset_default_graph",
            {
                "method": "POST",
                "url": "/sparql?using-graph-uri=" + D + "data1.rdf",
                "content": "ASK {}",
                "headers": {"content-type": "application/sparql-update"},
            },
        ),
        (
            "update_dataset_default_graphs",
            {
                "method": "POST",
                "url": f"/sparql?using-graph-uri={D}data1.rdf&using-graph-uri={D}data2.rdf",
                "content": "CLEAR ALL ; INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }",
                "headers": {"content-type": "application/sparql-update"},
            },
        ),
        (
            "update_dataset_named_graphs",
            {
                "method": "POST",
                "url": f"/sparql?using-named-graph-uri={D}data1.rdf",
                "content": "CLEAR ALL",
                "headers": {"content-type": "application/sparql-update"},
            },
        ),
        (
            "update_dataset_full",
            {
                "method": "POST",
                "url": f"/sparql?using-graph-uri={D}data1.rdf&using-named-graph-uri={D}data2.rdf",
                "content": "CLEAR ALL",
                "headers": {"content-type": "application/sparql-update"},
            },
        ),
        (
            "update_post_form",
            {
                "method": "POST",
                "url": "/sparql",
                "content": "update=CLEAR%20ALL",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
        ),
        (
            "update_post_direct",
            {
                "method": "POST",
                "url": "/sparql",
                "content": "CLEAR ALL",
                "headers": {"content-type": "application/sparql-update"},
            },
        ),
        (
            "update_base_uri",
            {
                "method": "POST",
                "url": "/sparql",
                "content": "BASE <http://example/> INSERT DATA { <s> <p> <o> }",
                "headers": {"content-type": "application/sparql-update"},
            },
        ),
    ],
)
def test_update_is_refused_read_only(endpoint, name, request_args):
    request_args = dict(request_args)
    r = httpx.request(request_args.pop("method"), endpoint + request_args.pop("url"), **request_args)
    assert r.status_code == 403
    assert "read-only" in r.text


def test_bad_query_method(endpoint):
    r = httpx.put(f"{endpoint}/sparql?query=ASK%20%7B%7D")
    assert r.status_code == 405


def test_bad_multiple_queries(endpoint):
    r = httpx.get(f"{endpoint}/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert r.status_code == 400
    assert "'query' parameter was given 2 times" in r.text


def test_bad_query_wrong_media_type(endpoint):
    r = httpx.post(f"{endpoint}/sparql", content="ASK {}", headers={"content-type": "text/plain"})
    assert r.status_code == 415


def test_bad_query_missing_form_type(endpoint):
    r = httpx.post(f"{endpoint}/sparql", content="query=ASK%20%7B%7D")
    assert r.status_code == 415


def test_bad_query_missing_direct_type(endpoint):
    r = httpx.post(f"{endpoint}/sparql", content="ASK {}")
    assert r.status_code == 415


def test_bad_query_non_utf8(endpoint):
    body = "ASK { <http://example/ns#\u00e9> ?p ?o }".encode("iso-8859-1")
    r = httpx.post(
        f"{endpoint}/sparql", content=body, headers={"content-type": "application/sparql-query; charset=ISO-8859-1"}
    )
    assert r.status_code == 400
    assert "UTF-8" in r.text


def test_bad_query_syntax(endpoint):
    r = httpx.get(f"{endpoint}/sparql?query=ASK%20%7B")
    assert r.status_code == 400
    assert r.text.startswith("SPARQL syntax error: error at 1:6")


def test_bad_update_get(endpoint):
    r = httpx.get(f"{endpoint}/sparql?update=CLEAR%20ALL")
    assert r.status_code == 403


def test_bad_multiple_updates(endpoint):
    r = httpx.post(
        f"{endpoint}/sparql",
        content="update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 403


def test_bad_update_wrong_media_type(endpoint):
    r = httpx.post(f"{endpoint}/sparql", content="CLEAR NAMED", headers={"content-type": "text/plain"})
    assert r.status_code == 415


def test_bad_update_missing_form_type(endpoint):
    r = httpx.post(f"{endpoint}/sparql", content="update=CLEAR%20NAMED")
    assert r.status_code == 415


def test_bad_update_non_utf8(endpoint):
    body = "update=CLEAR%20GRAPH%20%3Chttp%3A%2F%2Fexample%2F\xe9%3E".encode("iso-8859-1")
    r = httpx.post(
        f"{endpoint}/sparql",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
    )
    assert r.status_code == 400


def test_bad_update_syntax(endpoint):
    r = httpx.post(
        f"{endpoint}/sparql",
        content="update=INSERT%20DATA%20%7B",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 403


def test_bad_update_dataset_conflict(endpoint):
    r = httpx.post(
        f"{endpoint}/sparql?using-graph-uri={D}data1.rdf",
        content="update="
        + "WITH%20%3Chttp%3A%2F%2Fexample%2F%3E%20DELETE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 403
