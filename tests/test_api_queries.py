"""Ready-made queries over HTTP and from the CLI: catalogue, sources, results equal to the golden files,
suffixes and negotiation, parameter errors, OpenAPI."""

import csv
import io
from pathlib import Path

import pytest

from server.catalogue import Catalogue

CATALOGUE = Catalogue()
GOLDEN = Path(__file__).parent / "golden" / "queries"
#: the test app does not federate: queries calling a remote endpoint are neither listed nor run (test_federation)
OFFLINE = CATALOGUE.available([])
SELECTS = [q for q in OFFLINE if q.form != "graph"]


def test_catalogue_lists_every_query_with_typed_params(client):
    r = client.get("/queries")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    listed = {q["id"]: q for q in r.json()["queries"]}
    assert set(listed) == {q.id for q in OFFLINE}
    status = listed["treaty-status"]
    assert status["url"] == "http://127.0.0.1" + "/queries/treaty-status"
    assert [p["name"] for p in status["params"]] == ["instrument", "as_of"]
    assert status["params"][0]["enum"] == ["untoc", "tip-protocol", "smuggling-protocol", "actip"]
    assert status["title_id"]


def test_source_of_a_query(client):
    r = client.get("/queries/tip-tiers.rq")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-query")
    assert r.text == CATALOGUE.get("tip-tiers").text


@pytest.mark.parametrize("query", SELECTS, ids=lambda q: q.id)
def test_http_results_equal_the_golden_file(client, query):
    params = {p.name: p.example for p in query.params}
    r = client.get(f"/queries/{query.id}.csv", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content == (GOLDEN / f"{query.id}.csv").read_bytes()


def test_describe_returns_the_entity_and_its_neighbours_labels(client):
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDFS

    idn = "https://w3id.org/bali-process-kg/id/state/IDN"
    r = client.get("/queries/describe", params={"iri": idn}, headers={"accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    assert (URIRef(idn), URIRef("https://w3id.org/bali-process-kg/def#iso3"), None) in g
    incoming = set(g.subjects(None, URIRef(idn)))
    assert incoming, "incoming links are included"
    records = (
        "/id/action/",
        "/id/membership/",
        "/id/tip-ranking/",
        "/id/non-party/",
        "/id/party-statement/",
        "/id/observation/",
    )
    # records of what happened are not named things, so only the named neighbours need labels
    assert all(g.value(s, RDFS.label) is not None for s in incoming if not any(kind in str(s) for kind in records))


def test_json_and_tsv_by_suffix_and_accept(client):
    r = client.get("/queries/tip-tiers.json", params={"year": "2016"})
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert r.json()["head"]["vars"] == ["state", "label", "iso3", "tier", "source"]
    r = client.get("/queries/tip-tiers", params={"year": "2016"}, headers={"accept": "text/tab-separated-values"})
    assert r.text.splitlines()[0] == "?state\t?label\t?iso3\t?tier\t?source"


@pytest.mark.parametrize(
    "params,message",
    [
        ({"year": "16"}, "parameter 'year': expected a four-digit year"),
        ({}, "parameter 'year' is required"),
        ({"year": "2016", "colour": "red"}, "unknown parameter 'colour'"),
        ({"year": '2016"} ; DROP ALL'}, "parameter 'year': expected"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, params, message):
    r = client.get("/queries/tip-tiers", params=params)
    assert r.status_code == 400
    assert message in r.text


def test_injection_through_an_iri_parameter_is_refused(client):
    r = client.get(
        "/queries/describe",
        params={"iri": "https://w3id.org/x> } ; DROP ALL ; CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . <x"},
    )
    assert r.status_code == 400
    assert "parameter 'iri'" in r.text


def test_unknown_query_is_404(client):
    r = client.get("/queries/no-such-query")
    assert r.status_code == 404


def test_openapi_documents_each_query_with_params_and_examples(client):
    spec = client.get("/openapi.json").json()
    for query in OFFLINE:
        operation = spec["paths"][f"/queries/{query.id}"]["get"]
        documented = {p["name"]: p for p in operation["parameters"]}
        for param in query.params:
            assert documented[param.name]["example"] == param.example
    status = spec["paths"]["/queries/treaty-status"]["get"]["parameters"]
    assert status[0]["schema"]["enum"] == ["untoc", "tip-protocol", "smuggling-protocol", "actip"]


def test_cli_lists_and_runs_queries(balikg, store_cache):
    listed = balikg("queries")
    assert listed.returncode == 0
    assert {line.split()[0] for line in listed.stdout.splitlines()} == set(CATALOGUE.queries)
    env = {"BALIKG_STORE_DIR": str(store_cache)}
    result = balikg("query", "tip-tiers", "--param", "year=2016", "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    golden = (GOLDEN / "tip-tiers.csv").read_bytes().decode("utf-8")
    assert list(csv.reader(io.StringIO(result.stdout))) == list(csv.reader(io.StringIO(golden)))
    bad = balikg("query", "tip-tiers", "--param", "year=16", env=env)
    assert bad.returncode == 2 and "parameter 'year'" in bad.stderr
    table = balikg("query", "seed-figures", env=env)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:2] == ["claim", "claimed_value"]
