"""The remote store: the graph published into a real Oxigraph server with `balikg load --to`, and served
from it with `balikg serve --store` — same answers as the embedded store, one atomic version at a time,
refused loads that leave the served version untouched, stateless replicas, our own time limit, no SERVICE.
(The W3C protocol suite also runs through this path: tests/test_protocol_conformance.py.)"""

import json
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import run_balikg
from live import running_oxigraph, running_server

from server.catalogue import Catalogue
from server.errors import Forbidden, QuerySyntaxError
from server.remote import (
    ENGINE_NS,
    META_GRAPH,
    META_SUBJECT,
    POINTER,
    RDF_VALUE,
    UNION_POINTER,
    Endpoints,
    EngineClient,
    RemoteStore,
    read_engine_meta,
    select,
)
from server.substitution import substitute

GOLDEN = Path(__file__).parent / "golden" / "queries"
#: federated queries need a remote endpoint as well; tests/test_federation.py runs them
SELECTS = [q for q in Catalogue().available([]) if q.form != "graph"]


def _version(base: str) -> str:
    return httpx.get(base + "/health", timeout=10).json()["data_version"]


def _engine_version(engine: str) -> str | None:
    meta = read_engine_meta(EngineClient(10), Endpoints.parse(engine))
    return meta and meta["version"]


@pytest.mark.parametrize("query", SELECTS, ids=lambda q: q.id)
def test_ready_made_results_through_the_engine_equal_the_golden_file(remote_server, query):
    params = {p.name: p.example for p in query.params}
    r = httpx.get(f"{remote_server}/queries/{query.id}.csv", params=params, timeout=30)
    assert r.status_code == 200, r.text
    assert r.content == (GOLDEN / f"{query.id}.csv").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/id/body/ad-hoc-group",
        "/.well-known/void",
        "/sparql?query=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fbali-process-kg%2Fid%2Fstate%2FAUS%3E",
    ],
)
def test_pages_and_descriptions_match_the_embedded_store(remote_server, live_server, path):
    headers = {"Accept": "text/turtle"} if not path.startswith("/id/") else {"Accept": "text/html"}
    remote, embedded = (httpx.get(base + path, headers=headers, timeout=30) for base in (remote_server, live_server))
    assert remote.status_code == embedded.status_code == 200
    if path.startswith("/id/"):  # the same links (references are numbered in the order rows arrive)
        assert "Ad Hoc Group" in remote.text
        assert set(re.findall(r'href="([^"#]+)"', remote.text)) == set(re.findall(r'href="([^"#]+)"', embedded.text))
    else:
        # the same statements, up to blank-node labels and the server's own address
        here = [
            r.content.replace(base.encode(), b"http://server")
            for r, base in ((remote, remote_server), (embedded, live_server))
        ]
        assert _canonical(here[0]) == _canonical(here[1])


def _canonical(turtle: bytes) -> ox.Dataset:
    dataset = ox.Dataset(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def test_dumps_travel_with_the_version(remote_server, live_server):
    listing = httpx.get(remote_server + "/dumps/", timeout=10)
    assert listing.status_code == 200
    sums = httpx.get(remote_server + "/dumps/SHA256SUMS", timeout=10).text
    assert sums == httpx.get(live_server + "/dumps/SHA256SUMS", timeout=10).text


def test_the_engine_sees_only_the_public_graphs(remote_server):
    r = httpx.get(
        remote_server + "/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    graphs = {b["g"]["value"] for b in r.json()["results"]["bindings"]}
    assert graphs and not [g for g in graphs if g.startswith(ENGINE_NS)]
    assert all(
        g.startswith(("https://w3id.org/bali-process-kg/graph/", "http://kasei.us/")) or g.endswith("/def")
        for g in graphs
    )


def test_our_time_limit_holds_on_the_remote_path(tmp_path, oxigraph_server, protocol_data_dir, store_cache):
    with running_server(protocol_data_dir, store_cache, store_url=oxigraph_server, query_timeout=1, workers=1) as (
        base,
        _,
    ):
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        r = httpx.get(base + "/sparql", params={"query": slow}, timeout=30)
        assert r.status_code == 503 and "time limit" in r.text
        assert r.headers["Retry-After"]
        # the worker was replaced and the next query is answered
        assert httpx.get(base + "/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200


def test_service_never_reaches_the_engine_or_anywhere():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    store = RemoteStore.__new__(RemoteStore)  # never opened: the check comes before any request is sent
    store.allowlist, store._parser = [], ox.Store()
    with pytest.raises(Forbidden):
        store.query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}")
    with pytest.raises(QuerySyntaxError):
        store.query("SELECT * WHERE {")
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_values_are_written_where_variables_stand_and_nowhere_else():
    text = 'SELECT ?x ?_iso WHERE { ?s ?p "?_iso" ; <urn:?_iso> ?_iso # ?_iso\n FILTER(?x = ?_iso) } GROUP BY ?x ?_iso'
    written = substitute(text, {"_iso": ox.Literal("IDN")})
    assert written == (
        'SELECT ?x ?_iso WHERE { ?s ?p "?_iso" ; <urn:?_iso> "IDN" # ?_iso\n FILTER(?x = "IDN") } '
        'GROUP BY ?x ("IDN" AS ?_iso)'
    )
    assert substitute("SELECT ?_a WHERE { ?_a ?p ?o }", {"_a": ox.NamedNode("urn:a")}) == (
        "SELECT (<urn:a> AS ?_a) WHERE { <urn:a> ?p ?o }"
    )


def _with_extra_file(folder: Path, source: Path, name: str, text: str) -> Path:
    shutil.copytree(source, folder)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


#: replicas sit behind one public address: the same Host, so the same base IRI and the same ETags
SAME_SITE = {"Accept": "text/csv", "Host": "kg.example.org"}

EXTRA = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/bali-process-kg/id/test/extra> rdfs:comment "a test-only triple" .
"""


def test_versions_swap_atomically_refused_loads_change_nothing_and_replicas_follow(tmp_path, protocol_data_dir):
    with running_oxigraph(tmp_path / "db") as engine:
        stores = tmp_path / "stores"
        env = {"BALIKG_STORE_DIR": str(stores)}
        first = run_balikg("load", "--to", engine, "--data-dir", str(protocol_data_dir), env=env)
        assert first.returncode == 0, first.stderr
        version_one = _engine_version(engine)
        again = run_balikg("load", "--to", engine, "--data-dir", str(protocol_data_dir), env=env)
        assert again.returncode == 0 and "nothing to load" in again.stdout

        # A graph that does not parse, and one that violates the shapes: refused, the engine untouched.
        broken = _with_extra_file(tmp_path / "broken", protocol_data_dir, "zz-broken.ttl", "<a> <b> .\n")
        refused = run_balikg("load", "--to", engine, "--data-dir", str(broken), env=env)
        assert refused.returncode == 1 and "zz-broken.ttl" in refused.stderr
        invalid = _with_extra_file(
            tmp_path / "invalid",
            protocol_data_dir,
            "zz-invalid.ttl",
            "@prefix bp: <https://w3id.org/bali-process-kg/def#> .\n"
            "<https://w3id.org/bali-process-kg/id/state/ZZZ> a bp:State .\n",
        )
        refused = run_balikg("load", "--to", engine, "--data-dir", str(invalid), env=env)
        assert refused.returncode == 1 and "id/state/ZZZ" in refused.stdout + refused.stderr
        assert _engine_version(engine) == version_one

        replicas = [
            running_server(protocol_data_dir, stores, store_url=engine, workers=1, store_poll_seconds=0.3)
            for _ in range(2)
        ]
        with replicas[0] as (one, _), replicas[1] as (two, _):
            query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
            answers = [httpx.get(base + "/sparql", params=query, headers=SAME_SITE) for base in (one, two)]
            assert answers[0].text == answers[1].text and answers[0].headers["ETag"] == answers[1].headers["ETag"]

            # A reader counts the union graph and reads the version record in one query, again and again,
            # while a new version is published: each answer must be wholly one version.
            seen, stop = [], threading.Event()
            probe = (  # follows the pointer to the union graph it names, in the same query
                f"SELECT ?meta (COUNT(*) AS ?n) WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_SUBJECT}> <{POINTER}> ?v . "
                f"?v <{RDF_VALUE}> ?meta ; <{UNION_POINTER}> ?union }} GRAPH ?union {{ ?s ?p ?o }} }} GROUP BY ?meta"
            )

            def read():
                with httpx.Client(timeout=30) as http:
                    while not stop.is_set():
                        rows = http.post(
                            engine + "/query",
                            data={"query": probe},
                            headers={"Accept": "application/sparql-results+json"},
                        ).json()["results"]["bindings"]
                        seen.extend((row["meta"]["value"], int(row["n"]["value"])) for row in rows)

            reader = threading.Thread(target=read)
            reader.start()
            extended = _with_extra_file(tmp_path / "extended", protocol_data_dir, "zz-extra.ttl", EXTRA)
            second = run_balikg("load", "--to", engine, "--data-dir", str(extended), env=env)
            stop.set()
            reader.join()
            assert second.returncode == 0, second.stderr
            assert seen and all(json.loads(meta)["triples"] == count for meta, count in seen)
            versions = {json.loads(meta)["version"] for meta, _ in seen}
            version_two = _engine_version(engine)
            assert version_two != version_one and versions <= {version_one, version_two}

            # Both replicas follow the new version: new answers, new ETags, the same on both.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and {_version(one), _version(two)} != {version_two}:
                time.sleep(0.2)
            assert {_version(one), _version(two)} == {version_two}
            after = [httpx.get(base + "/sparql", params=query, headers=SAME_SITE) for base in (one, two)]
            assert after[0].text == after[1].text != answers[0].text
            assert after[0].headers["ETag"] == after[1].headers["ETag"] != answers[0].headers["ETag"]
            # Publishing the first data again only moves the pointer back: the engine kept that version.
            back = run_balikg("load", "--to", engine, "--data-dir", str(protocol_data_dir), env=env)
            assert back.returncode == 0, back.stderr
            assert _engine_version(engine) == version_one
            stored = {_version_of(g) for g in _engine_graphs(engine)}
            assert stored == {version_one, version_two}


def test_a_text_that_only_mentions_service_runs_after_its_check(remote_server):
    # the word sends the text through rdflib's parse (no SERVICE in it: it runs), and its form is read from
    # the text, so the engine is asked for the right kind of answer
    def ask(query: str, accept: str) -> httpx.Response:
        r = httpx.post(remote_server + "/sparql", data={"query": query}, headers={"Accept": accept}, timeout=30)
        assert r.status_code == 200, r.text
        return r

    assert ask('SELECT ?x WHERE { BIND ("a service" AS ?x) }', "text/csv").text == "x\r\na service\r\n"
    assert ask('ASK { FILTER ("service" = "service") }', "application/sparql-results+json").json()["boolean"] is True
    graph = ask('CONSTRUCT { <urn:a> <urn:b> "service" } WHERE {}', "application/n-triples").text
    assert '<urn:a> <urn:b> "service"' in graph


def _engine_graphs(engine: str) -> list[str]:
    text = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = select(EngineClient(30), Endpoints.parse(engine), text)
    return [r["g"]["value"] for r in rows if r["g"]["value"].startswith(ENGINE_NS + "version/")]


def _version_of(graph: str) -> str:
    return graph[len(ENGINE_NS + "version/") :].split("/", 1)[0]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/bali-process-kg/graph/members> { ?s ?p ?o } }",
        "PREFIX g: <https://w3id.org/bali-process-kg/graph/> SELECT (COUNT(*) AS ?n) FROM g:laws WHERE { ?s ?p ?o }",
        "SELECT ?s FROM NAMED <https://w3id.org/bali-process-kg/graph/members> "
        "WHERE { GRAPH ?g { ?s a <https://w3id.org/bali-process-kg/def#Membership> } } ORDER BY ?s LIMIT 3",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    ],
)
def test_graphs_are_named_by_their_public_iris_on_the_remote_path(remote_server, live_server, query):
    answers = [
        httpx.post(base + "/sparql", data={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
        for base in (remote_server, live_server)
    ]
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].text == answers[1].text and len(answers[0].text.splitlines()) > 1
