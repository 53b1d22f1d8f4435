"""Federation with Wikidata, tested offline: a real second SPARQL server (Oxigraph, the `oxigraph` wheel's CLI)
on loopback holds a small Wikidata-shaped fixture, and `BALIKG_SERVICE_MAP` sends calls to Wikidata's query
service there. Ready-made federated queries answer from it; a remote that stalls is stopped by our own time
limit (503), one that fails is a 502, and endpoints off the allowlist are never connected to. With federation
off, the federated queries are neither listed nor run.
"""

from __future__ import annotations

import csv
import io
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from live import free_port, oxigraph_executable, running_oxigraph, running_server
from pydantic import ValidationError
from rdflib import Graph, Namespace
from rdflib.namespace import RDFS

from server.catalogue import Catalogue
from server.settings import Settings

WDQS = "https://query.wikidata.org/sparql"
FIXTURE = Path(__file__).parent / "fixtures" / "wikidata" / "wdqs.ttl"
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
#: two more allowlisted IRIs, mapped to a listener that never answers and to a port nobody listens on
STALLING = "https://stalling.example/sparql"
DOWN = "https://down.example/sparql"
TIME_LIMIT = 3


class Stall:
    """A loopback socket that accepts connections and never answers; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture(scope="module")
def wikidata_mirror(tmp_path_factory):
    """Oxigraph server, read-only, on a free loopback port, loaded with the fixture."""
    location = tmp_path_factory.mktemp("wdqs") / "db"
    subprocess.run([oxigraph_executable(), "load", "--location", str(location), "--file", str(FIXTURE)], check=True)
    with running_oxigraph(location, read_only=True) as base:
        yield base + "/query"


@pytest.fixture(scope="module")
def federated(wikidata_mirror, store_cache):
    """`balikg serve` federating with Wikidata (mapped to the mirror) and two test endpoints."""
    stall = Stall()
    closed = f"http://127.0.0.1:{free_port()}/sparql"  # nobody listens there
    settings = {
        "service_allowlist": ",".join([WDQS, STALLING, DOWN]),
        "service_map": f"{WDQS}={wikidata_mirror},{STALLING}={stall.url},{DOWN}={closed}",
        "query_timeout": TIME_LIMIT,
        "workers": 2,
    }
    from server.datafiles import DEFAULT_DATA_DIR

    try:
        with running_server(DEFAULT_DATA_DIR, store_cache, **settings) as (base, _):
            yield base, stall
    finally:
        stall.close()


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture(scope="module")
def fixture_graph() -> Graph:
    return Graph().parse(FIXTURE)


# ---- results -------------------------------------------------------------------------------------------


def test_members_with_population_come_from_the_mapped_endpoint(federated, fixture_graph):
    base, _ = federated
    rows = _csv(httpx.get(base + "/queries/members-wikidata.csv", timeout=30))
    got = {row["wikidata"]: row for row in rows}
    # What the fixture says, for the items the graph links a member state to (ZZZ is nobody's item).
    expected = {}
    for item, code in fixture_graph.subject_objects(WDT.P298):
        if str(code) == "ZZZ":
            continue
        populations = [int(p) for p in fixture_graph.objects(item, WDT.P1082)]
        continent = fixture_graph.value(item, WDT.P30)
        label = next(str(x) for x in fixture_graph.objects(continent, RDFS.label) if x.language == "en")
        expected[str(item)] = (str(code), max(populations), str(continent), label)
    assert {k: (r["iso3"], int(r["population"]), r["continent"], r["continent_label"]) for k, r in got.items()} == (
        expected
    )


def test_instrument_parties_are_compared_with_the_mapped_endpoint(federated, fixture_graph, client):
    base, _ = federated
    rows = {row["wikidata"]: row for row in _csv(httpx.get(base + "/queries/instruments-wikidata.csv", timeout=30))}
    status = client.get("/queries/treaty-status.csv", params={"instrument": "tip-protocol", "as_of": "today"}).text
    # member states whose item the fixture lists under P6193 on the TIP Protocol's item, and that we record
    # as parties (the fixture's Q252 and Q408 are Indonesia and Australia, both parties here)
    listed = {str(o) for o in fixture_graph.objects(WD.Q3924287, WDT.P6193)}
    assert int(rows[str(WD.Q3924287)]["parties_on_wikidata"]) == len(listed - {str(WD.Q90000009)})
    assert int(rows[str(WD.Q331504)]["parties_on_wikidata"]) == 1
    assert int(rows[str(WD.Q7251927)]["parties_on_wikidata"]) == 0
    parties_here = sum(
        1 for row in csv.DictReader(io.StringIO(status)) if row["status"] == "party" and "/state/" in row["state"]
    )
    assert int(rows[str(WD.Q3924287)]["parties_here"]) >= parties_here > 0


def test_federated_queries_are_listed_when_federation_is_on(federated):
    base, _ = federated
    ids = {q["id"] for q in httpx.get(base + "/queries", timeout=10).json()["queries"]}
    assert {"members-wikidata", "instruments-wikidata"} <= ids


@pytest.mark.parametrize("path", ["/", "/id/state/IDN", "/def", "/queries/treaty-status", "/wikidata"])
def test_pages_built_from_our_own_queries_work_with_federation_on(federated, path):
    """Our own query texts are checked and mapped in the text, not re-serialised by rdflib (whose writer
    cannot write back `IN`, for one), so federation on does not break the pages."""
    base, _ = federated
    r = httpx.get(base + path, headers={"accept": "text/html"}, timeout=60)
    assert r.status_code == 200, r.text[:500]


def test_a_clients_federated_query_runs_as_written_or_not_at_all(federated):
    """A client's query is re-serialised from rdflib's parse; where the writer would lose part of the pattern
    inside SERVICE (a ';' list), the query is refused rather than run changed."""
    base, _ = federated
    prefix = "PREFIX wdt: <http://www.wikidata.org/prop/direct/> "
    full = (
        prefix
        + f'SELECT ?i ?p WHERE {{ ?s ?x ?o . SERVICE <{WDQS}> {{ ?i wdt:P298 "IDN" . ?i wdt:P1082 ?p . }} }} LIMIT 1'
    )
    r = httpx.get(base + "/sparql", params={"query": full}, headers={"accept": "text/csv"}, timeout=30)
    assert r.status_code == 200, r.text
    assert list(csv.DictReader(io.StringIO(r.text))) == [{"i": str(WD.Q252), "p": "1000001"}]
    listed = prefix + f'SELECT ?i ?p WHERE {{ ?s ?x ?o . SERVICE <{WDQS}> {{ ?i wdt:P298 "IDN" ; wdt:P1082 ?p }} }}'
    r = httpx.get(base + "/sparql", params={"query": listed}, timeout=30)
    assert r.status_code == 400, r.text
    assert "faithfully" in r.text


# ---- failures --------------------------------------------------------------------------------------------


def test_a_stalling_remote_is_stopped_by_our_time_limit(federated):
    base, stall = federated
    began = time.monotonic()
    r = httpx.get(
        base + "/sparql",
        params={"query": f"SELECT * WHERE {{ ?s ?p ?o . SERVICE <{STALLING}> {{ ?a ?b ?c }} }}"},
        timeout=30,
    )
    took = time.monotonic() - began
    assert r.status_code == 503, r.text
    assert "time limit" in r.text
    assert took < TIME_LIMIT + 5
    assert len(stall.held) >= 1, "the call reached the mapped (stalling) endpoint"
    assert httpx.get(base + "/health", timeout=5).status_code == 200


def test_a_failing_remote_is_a_502(federated):
    base, _ = federated
    r = httpx.get(
        base + "/sparql",
        params={"query": f"SELECT * WHERE {{ ?s ?p ?o . SERVICE <{DOWN}> {{ ?a ?b ?c }} }}"},
        timeout=30,
    )
    assert r.status_code == 502, r.text
    assert "remote SPARQL endpoint" in r.text


def test_endpoints_off_the_allowlist_get_no_connection(federated):
    """Neither an arbitrary loopback listener nor a mapped target named directly: the allowlist is checked on
    the IRI the query writes, and the targets are not on it."""
    base, stall = federated
    before = len(stall.held)
    for url in (stall.url, "http://127.0.0.1:9/sparql"):
        r = httpx.get(
            base + "/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }}"}, timeout=10
        )
        assert r.status_code == 403, r.text
        assert "not allowed" in r.text
    time.sleep(0.3)
    assert len(stall.held) == before


# ---- federation off --------------------------------------------------------------------------------------


def test_with_federation_off_federated_queries_are_not_listed_and_refused_clearly(client):
    ids = {q["id"] for q in client.get("/queries").json()["queries"]}
    assert "members-wikidata" not in ids and "members" in ids
    assert "members-wikidata" not in client.get("/", headers={"accept": "text/html"}).text
    r = client.get("/queries/members-wikidata.csv")
    assert r.status_code == 403
    assert "BALIKG_SERVICE_ALLOWLIST" in r.text and WDQS in r.text
    assert "members-wikidata" not in str(client.get("/openapi.json").json()["paths"])


def test_the_cli_refuses_a_federated_query_when_federation_is_off(balikg):
    result = balikg("query", "members-wikidata", env={"BALIKG_SERVICE_ALLOWLIST": "", "BALIKG_SERVICE_MAP": ""})
    assert result.returncode == 1
    assert "BALIKG_SERVICE_ALLOWLIST" in result.stderr


# ---- settings and the catalogue ----------------------------------------------------------------------------


def test_the_service_map_is_read_from_iri_url_pairs():
    settings = Settings(service_allowlist=WDQS, service_map=f"{WDQS}=http://127.0.0.1:7878/query")
    assert settings.service_map == {WDQS: "http://127.0.0.1:7878/query"}


@pytest.mark.parametrize(
    "allowlist,mapping,why",
    [
        ("", f"{WDQS}=http://127.0.0.1:7878/query", "not in service_allowlist"),
        (WDQS, "https://other.example/sparql=http://127.0.0.1:7878/query", "not in service_allowlist"),
        (WDQS, f"{WDQS}=https://mirror.example/sparql", "neither a loopback URL"),
        (WDQS, f"{WDQS}=file:///etc/passwd", "neither a loopback URL"),
        (WDQS, f"{WDQS}", "IRI=URL"),
    ],
)
def test_only_allowlisted_iris_map_and_only_to_loopback_or_allowlisted_urls(allowlist, mapping, why):
    with pytest.raises(ValidationError, match=why):
        Settings(service_allowlist=allowlist, service_map=mapping)


def test_a_mapping_may_point_at_another_allowlisted_endpoint():
    other = "https://mirror.example/sparql"
    assert Settings(service_allowlist=f"{WDQS},{other}", service_map=f"{WDQS}={other}").service_map == {WDQS: other}


def test_federated_queries_are_tagged_and_only_they_call_service():
    for query in Catalogue():
        assert query.federated == bool(query.services), query.id


def test_the_instrument_items_asked_of_wikidata_are_the_ones_the_graph_links(data):
    from rdflib.namespace import SKOS

    body = Catalogue().get("instruments-wikidata").body
    asked = set(re.findall(r"wd:(Q[0-9]+)", body))
    linked = {
        str(o).rsplit("/", 1)[-1]
        for s, o in data.subject_objects(SKOS.exactMatch)
        if "/id/instrument/" in str(s) and not str(s).endswith("/actip")
    }
    assert asked == linked
