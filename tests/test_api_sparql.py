"""The /sparql endpoint beyond the W3C suite: result formats, negotiation, the service description,
caching headers, CORS, and every limit (rows, sizes, time, concurrency, SERVICE), against real servers.
"""

import contextlib
import csv
import io
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from live import child_pids, cpu_seconds, running_server
from rdflib import Graph, Namespace, URIRef

BP = "https://w3id.org/bali-process-kg/def#"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
STATES = f"SELECT ?state ?iso WHERE {{ ?state a <{BP}State> ; <{BP}iso3> ?iso }} ORDER BY ?iso"
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _post(base, query, **headers):
    return httpx.post(base + "/sparql", data={"query": query}, headers=headers, timeout=60)


# ---- formats and negotiation -------------------------------------------------------------------


def test_select_as_json_lists_states_with_iso_codes(live_server):
    r = _post(live_server, STATES, accept="application/sparql-results+json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    body = r.json()
    assert body["head"]["vars"] == ["state", "iso"]
    isos = [b["iso"]["value"] for b in body["results"]["bindings"]]
    assert "IDN" in isos and "AUS" in isos and isos == sorted(isos)
    idn = next(b for b in body["results"]["bindings"] if b["iso"]["value"] == "IDN")
    assert idn["state"] == {"type": "uri", "value": "https://w3id.org/bali-process-kg/id/state/IDN"}


def test_select_as_xml_csv_and_tsv_carry_the_same_rows(live_server):
    xml = _post(live_server, STATES, accept="application/sparql-results+xml")
    rows_xml = [
        r.find(
            "{http://www.w3.org/2005/sparql-results#}binding[@name='iso']/"
            "{http://www.w3.org/2005/sparql-results#}literal"
        ).text
        for r in ElementTree.fromstring(xml.content).iter("{http://www.w3.org/2005/sparql-results#}result")
    ]
    text_csv = _post(live_server, STATES, accept="text/csv")
    assert text_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows_csv = list(csv.DictReader(io.StringIO(text_csv.text)))
    tsv = _post(live_server, STATES, accept="text/tab-separated-values")
    lines = tsv.text.splitlines()
    assert lines[0] == "?state\t?iso"
    assert rows_xml == [r["iso"] for r in rows_csv] == [line.split("\t")[1].strip('"') for line in lines[1:]]
    assert rows_csv[0]["state"].startswith("https://w3id.org/bali-process-kg/id/")


@pytest.mark.parametrize(
    "accept,rdflib_format",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_in_each_rdf_format_parses_to_the_same_graph(live_server, accept, rdflib_format):
    query = f"CONSTRUCT {{ ?s <{BP}iso3> ?iso }} WHERE {{ ?s <{BP}iso3> ?iso }}"
    r = _post(live_server, query, accept=accept)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == accept
    graph = Graph().parse(data=r.content, format=rdflib_format)
    assert (URIRef("https://w3id.org/bali-process-kg/id/state/IDN"), URIRef(BP + "iso3"), None) in graph
    assert len(graph) == int(r.headers["x-result-count"])


def test_accept_q_values_pick_the_preferred_format(live_server):
    r = _post(live_server, "ASK {}", accept="application/sparql-results+json;q=0.5, application/sparql-results+xml")
    assert r.headers["content-type"] == "application/sparql-results+xml"
    r = _post(
        live_server, "ASK {}", accept="application/sparql-results+xml;q=0.2, */*;q=0.1, application/sparql-results+json"
    )
    assert r.headers["content-type"] == "application/sparql-results+json"


def test_format_parameter_overrides_accept(live_server):
    r = httpx.get(
        live_server + "/sparql",
        params={"query": STATES, "format": "csv"},
        headers={"accept": "application/sparql-results+json"},
    )
    assert r.headers["content-type"].startswith("text/csv")


def test_nothing_acceptable_is_406(live_server):
    r = _post(live_server, STATES, accept="image/png")
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text
    r = _post(live_server, "CONSTRUCT WHERE { ?s ?p ?o }", accept="text/csv")
    assert r.status_code == 406


def test_syntax_error_is_400_with_the_parsers_message_and_position(live_server):
    r = _post(live_server, "SELECT * WHERE {\n  ?s ?p ?o\n")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("SPARQL syntax error: error at 3:1")


# ---- service description, browsers, health ----------------------------------------------------


def test_service_description_names_the_endpoint_and_the_named_graphs(live_server):
    r = httpx.get(live_server + "/sparql", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    service = URIRef(live_server + "/sparql")
    assert (service, SD.endpoint, service) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    names = {str(o) for o in g.objects(None, SD.name)}
    assert "https://w3id.org/bali-process-kg/graph/members" in names
    assert "https://w3id.org/bali-process-kg/def" in names
    assert "https://w3id.org/bali-process-kg/shapes" not in names
    assert (
        None,
        URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
        URIRef(live_server + "/.well-known/void"),
    ) in g


def test_a_browser_without_a_query_gets_the_query_page(live_server):
    r = httpx.get(live_server + "/sparql", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<textarea" in r.text


def test_health_and_version(live_server):
    health = httpx.get(live_server + "/health").json()
    assert health["ready"] is True and health["triples"] > 1000
    version = httpx.get(live_server + "/version").json()
    assert version["data_version"] == health["data_version"]


# ---- caching, CORS, compression ----------------------------------------------------------------


def test_etag_and_304(live_server):
    first = httpx.get(live_server + "/sparql", params={"query": STATES})
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = httpx.get(live_server + "/sparql", params={"query": STATES}, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    other = httpx.get(
        live_server + "/sparql", params={"query": STATES, "format": "csv"}, headers={"if-none-match": etag}
    )
    assert other.status_code == 200


def test_cors_is_open_for_reads(live_server):
    r = httpx.get(live_server + "/sparql", params={"query": "ASK {}"}, headers={"origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    pre = httpx.options(
        live_server + "/sparql",
        headers={
            "origin": "https://example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]


def test_large_responses_are_gzipped(live_server):
    r = httpx.get(live_server + "/sparql", params={"query": STATES}, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.json()["results"]["bindings"]


# ---- limits ------------------------------------------------------------------------------------


def test_row_cap_is_applied_and_signalled(live_server):
    r = _post(live_server, "SELECT * WHERE { ?s ?p ?o }", accept="application/sparql-results+json")
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]["bindings"]) == 1000
    assert r.headers["x-result-truncated"] == "true; max-rows=1000"
    small = _post(live_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    assert "x-result-truncated" not in small.headers


@pytest.fixture(scope="module")
def strict_server(protocol_data_dir, store_cache):
    """One query worker, a 2 s time limit, two pending queries at most, small bodies."""
    with running_server(
        protocol_data_dir,
        store_cache,
        workers=1,
        query_timeout=2,
        max_pending_queries=2,
        max_body_bytes=2000,
        max_query_length=1500,
    ) as (base, process):
        yield base, process


def test_body_and_query_size_limits(strict_server):
    base, _ = strict_server
    r = httpx.post(
        base + "/sparql", content="ASK {}" + " " * 3000, headers={"content-type": "application/sparql-query"}
    )
    assert r.status_code == 413
    long_query = "ASK {} # " + "x" * 1600
    r = httpx.get(base + "/sparql", params={"query": long_query})
    assert r.status_code == 413
    assert "longer than 1500 characters" in r.text


def test_a_runaway_query_is_stopped_and_the_server_keeps_answering(strict_server):
    base, process = strict_server
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        future = pool.submit(lambda: httpx.post(base + "/sparql", data={"query": EXPLOSIVE}, timeout=30))
        time.sleep(0.5)
        health = httpx.get(base + "/health", timeout=2)
        assert health.status_code == 200 and health.json()["queries_in_progress"] == 1
        response = future.result()
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "time limit of 2 s" in response.text
    assert elapsed < 3.0  # within 1.5 × the limit
    # The runaway worker is gone: the server's processes are idle again.
    time.sleep(1.0)
    pids = [process.pid, *child_pids(process.pid)]
    before = cpu_seconds(pids)
    time.sleep(1.0)
    assert cpu_seconds(pids) - before < 0.3
    after = httpx.post(base + "/sparql", data={"query": "ASK {}"}, timeout=30)
    assert after.status_code == 200


def test_saturation_is_503_with_retry_after(strict_server):
    base, _ = strict_server
    with ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(lambda i=i: httpx.post(base + "/sparql", data={"query": EXPLOSIVE + f" # {i}"}, timeout=30))
            for i in range(4)
        ]
        responses = [f.result() for f in futures]
    busy = [r for r in responses if "busy" in r.text]
    assert busy, [r.text for r in responses]
    assert all(r.status_code == 503 and r.headers["retry-after"] for r in busy)
    assert httpx.post(base + "/sparql", data={"query": "ASK {}"}, timeout=30).status_code == 200


@pytest.mark.parametrize(
    "spelling",
    [
        "SERVICE <http://127.0.0.1:{port}/sparql>",
        "service silent <http://127.0.0.1:{port}/sparql>",
        "\\u0053ERVICE <http://127.0.0.1:{port}/sparql>",
    ],
)
def test_service_off_the_allowlist_is_refused_without_a_connection(live_server, spelling):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1.5)
    port = listener.getsockname()[1]
    connections = []

    def accept():
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        query = "SELECT * WHERE { " + spelling.format(port=port) + " { ?s ?p ?o } }"
        r = _post(live_server, query)
        thread.join()
    finally:
        listener.close()
    assert r.status_code == 403
    assert "not allowed" in r.text
    assert connections == []


def test_from_never_fetches_the_web(live_server):
    r = _post(
        live_server,
        "SELECT * FROM <http://127.0.0.1:9/never> WHERE { ?s ?p ?o }",
        accept="application/sparql-results+json",
    )
    assert r.status_code == 200
    assert r.json()["results"]["bindings"] == []


def test_repeated_requests_are_answered_from_the_result_cache(live_server):
    query = STATES + " # cache probe"
    before = httpx.get(live_server + "/health").json()["cache"]
    first = _post(live_server, query, accept="text/csv")
    second = _post(live_server, query, accept="text/csv")
    after = httpx.get(live_server + "/health").json()["cache"]
    assert first.content == second.content
    assert after["hits"] == before["hits"] + 1
    assert after["misses"] == before["misses"] + 1


def test_format_html_shows_results_as_a_page(live_server):
    r = httpx.get(live_server + "/sparql", params={"query": STATES, "format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<table id="results">' in r.text and "state/IDN" in r.text


def test_query_and_update_together_is_400(live_server):
    r = httpx.get(live_server + "/sparql", params={"query": "ASK {}", "update": "CLEAR ALL"})
    assert r.status_code == 400
    assert "either 'query' or 'update'" in r.text


def test_an_overlong_url_is_414(strict_server):
    base, _ = strict_server
    r = httpx.get(base + "/sparql", params={"query": "ASK {} #" + "x" * 7000})
    assert r.status_code == 414


def test_workers_killed_from_outside_are_replaced_without_failing_a_request(strict_server):
    base, process = strict_server
    workers = [pid for pid in child_pids(process.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert workers
    for pid in workers:  # as the kernel's OOM killer would
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    answers = [httpx.post(base + "/sparql", data={"query": f"ASK {{}} # {i}"}, timeout=60) for i in range(4)]
    assert [a.status_code for a in answers] == [200] * 4


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_naming_the_allowed_ones(live_server, method):
    r = httpx.request(method, live_server + "/sparql", content="ASK {}")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST, OPTIONS"
    assert f"{method} is not supported" in r.text
