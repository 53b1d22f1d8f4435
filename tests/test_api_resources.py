"""Linked data: every IRI dereferences with content negotiation, dumps are complete and checksummed, and the
dataset describes itself (VoID/DCAT)."""

import gzip
import hashlib

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

IDN = URIRef("https://w3id.org/bali-process-kg/id/state/IDN")
BP = Namespace("https://w3id.org/bali-process-kg/def#")
VOID = Namespace("http://rdfs.org/ns/void#")


@pytest.mark.parametrize(
    "accept,media,rdflib_format",
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("text/turtle;q=0.5, application/n-triples;q=0.9", "application/n-triples", "nt"),
    ],
)
def test_entity_rdf_by_accept(client, accept, media, rdflib_format):
    r = client.get("/id/state/IDN", headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    g = Graph().parse(data=r.content, format=rdflib_format)
    assert (IDN, BP.iso3, Literal("IDN")) in g
    # incoming links and their labels travel with the entity
    incoming = set(g.subjects(None, IDN))
    assert any("/id/event/" in str(s) for s in incoming)
    assert all(g.value(s, RDFS.label) is not None for s in incoming if "/id/event/" in str(s))
    assert 'rel="alternate"' in r.headers["link"] and "/id/state/IDN.ttl" in r.headers["link"]


@pytest.mark.parametrize(
    "suffix,media",
    [
        (".ttl", "text/turtle"),
        (".jsonld", "application/ld+json"),
        (".nt", "application/n-triples"),
        (".rdf", "application/rdf+xml"),
        (".html", "text/html"),
    ],
)
def test_entity_by_suffix(client, suffix, media):
    r = client.get("/id/state/IDN" + suffix)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media


def test_a_browser_gets_the_entity_page(client):
    r = client.get("/id/state/IDN", headers={"accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<h1 id="entity-name">Indonesia</h1>' in r.text
    assert 'class="wikidata" href="http://www.wikidata.org/entity/Q252"' in r.text
    assert 'class="source"' in r.text


def test_unknown_iris_are_404(client):
    assert client.get("/id/state/XXX", headers={"accept": "text/turtle"}).status_code == 404
    page = client.get("/id/state/XXX", headers={"accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def test_nothing_acceptable_is_406(client):
    for path in ("/id/state/IDN", "/def", "/shapes"):
        r = client.get(path, headers={"accept": "image/png"})
        assert r.status_code == 406 and "text/turtle" in r.text, path


def test_ontology_and_shapes_dereference(client):
    onto = Graph().parse(data=client.get("/def", headers={"accept": "text/turtle"}).text, format="turtle")
    assert (BP.TreatyAction, RDFS.label, Literal("Treaty action", lang="en")) in onto
    page = client.get("/def", headers={"accept": "text/html"})
    assert "bp:TreatyAction" in page.text and "<svg" in page.text
    shapes = Graph().parse(data=client.get("/shapes.ttl").text, format="turtle")
    assert (URIRef("https://w3id.org/bali-process-kg/shapes#StateShape"), None, None) in shapes


def test_dumps_are_listed_checksummed_and_equal_to_the_served_graph(client, loaded_graph):
    listing = client.get("/dumps/").json()["files"]
    names = {url.rsplit("/", 1)[1] for url in listing}
    assert {
        "bali-process-kg.ttl.gz",
        "bali-process-kg.nt.gz",
        "bali-process-kg.jsonld.gz",
        "bali-process-kg.trig.gz",
        "bali-process-kg.nq.gz",
        "SHA256SUMS",
    } <= names
    sums = dict(line.split("  ")[::-1] for line in client.get("/dumps/SHA256SUMS").text.splitlines())
    nq = client.get("/dumps/bali-process-kg.nq.gz").content
    assert hashlib.sha256(nq).hexdigest() == sums["bali-process-kg.nq.gz"]
    served = Dataset()
    served.parse(data=gzip.decompress(nq), format="nquads")
    # The live server also serves the W3C protocol tests' three graphs; compare the shipped graphs only.
    for graph_name in loaded_graph.union_graphs:
        expected = Graph().parse(
            data=loaded_graph.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph_name)),
            format="nt",
        )
        assert isomorphic(served.graph(URIRef(graph_name)), expected), graph_name
    ttl = Graph().parse(data=gzip.decompress(client.get("/dumps/bali-process-kg.ttl.gz").content), format="turtle")
    assert (IDN, BP.iso3, Literal("IDN")) in ttl


def test_dumps_equal_balikg_export(balikg, tmp_path, loaded_graph):
    from server.dumps import write_dumps

    write_dumps(loaded_graph, tmp_path / "dumps")
    exported = tmp_path / "export.nq"
    assert balikg("export", "--format", "nq", "-o", str(exported)).returncode == 0
    assert gzip.decompress((tmp_path / "dumps" / "bali-process-kg.nq.gz").read_bytes()) == exported.read_bytes()


def test_void_describes_the_dataset(client):
    r = client.get("/.well-known/void", headers={"accept": "text/turtle"})
    g = Graph().parse(data=r.text, format="turtle")
    dataset = URIRef("https://w3id.org/bali-process-kg/")
    assert (dataset, RDF.type, VOID.Dataset) in g
    assert (
        dataset,
        URIRef("http://purl.org/dc/terms/license"),
        URIRef("https://creativecommons.org/licenses/by/4.0/"),
    ) in g
    assert {l.language for l in g.objects(dataset, URIRef("http://purl.org/dc/terms/title"))} == {"en", "id"}
    assert (dataset, VOID.sparqlEndpoint, URIRef("http://127.0.0.1" + "/sparql")) in g
    assert len(list(g.objects(dataset, VOID.dataDump))) == 5
    assert len(list(g.objects(dataset, VOID.classPartition))) > 10
    assert len(list(g.objects(dataset, URIRef("http://purl.org/dc/terms/source")))) > 100
    linkset = next(g.objects(dataset, VOID.subset))
    assert int(g.value(linkset, VOID.triples)) > 40


def test_a_state_page_is_a_profile_with_its_treaty_table_and_competing_records_marked(client):
    page = client.get("/id/state/AFG", headers={"accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    for section in ('id="summary"', 'id="treaty-table"', 'id="references"', 'id="all-triples"'):
        assert section in html
    # the TIP accession's two records: the depositary's is preferred, the other is shown as competing
    assert "rank-preferred" in html and "rank-normal" in html
    assert 'data-instrument="tip-protocol"' in html
    on_a_date = client.get("/id/state/AFG", params={"as_of": "2010-01-01"}, headers={"accept": "text/html"})
    assert on_a_date.status_code == 200 and on_a_date.text != html
    indonesian = client.get("/id/state/AFG", params={"lang": "id"}, headers={"accept": "text/html"})
    assert "Perjanjian" in indonesian.text and "Rujukan" in indonesian.text


def test_search_finds_an_organisation_by_its_acronym_first(client):
    page = client.get("/", params={"q": "IOM"}, headers={"accept": "text/html"})
    first = page.text.split('id="search-results"', 1)[1].split("</a>", 1)[0]
    assert "International Organization for Migration" in first


def test_a_gallery_card_opens_runnable_on_its_documented_example(client):
    page = client.get("/queries/tip-tiers", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'id="results"' in page.text and 'id="query-error"' not in page.text
    example = next(p.example for p in client.app.state.kg.catalogue.get("tip-tiers").params if p.name == "year")
    assert f'value="{example}"' in page.text
    assert 'id="download-hint"' in page.text


def test_pages_say_how_to_cite_and_describe_themselves_for_search_engines(client):
    import json as jsonlib

    for path, kind in (("/", "Dataset"), ("/id/state/IDN", "Country"), ("/id/org/IOM", "Organization")):
        html = client.get(path, headers={"accept": "text/html"}).text
        block = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
        assert jsonlib.loads(block)["@type"] == kind
        assert 'id="cite"' in html and "Bali Process Knowledge Graph" in html
    bib = client.get("/cite.bib")
    assert bib.status_code == 200 and bib.text.startswith("@misc{bali_process_kg,")
    csl = client.get("/cite.json").json()
    assert csl[0]["type"] == "dataset" and csl[0]["URL"] == "https://w3id.org/bali-process-kg/"


@pytest.mark.parametrize(
    "path", ["/", "/sparql", "/docs", "/id/state/IDN", "/queries", "/queries/members", "/def", "/shapes", "/dumps/"]
)
def test_no_page_loads_a_script_style_font_or_image_from_another_host(client, path):
    import re

    html = client.get(path, headers={"accept": "text/html"}).text
    for tag, _attribute, value in re.findall(
        r"<(script|link|img|source|iframe)\b[^>]*?\b(src|href)=\"([^\"]*)\"", html
    ):
        assert value.startswith("/") and not value.startswith("//"), (path, tag, value)
    for static in re.findall(r'href="(/static/[^"]+\.css)"', html):
        css = client.get(static).text
        assert not re.search(r"url\((['\"]?)(https?:)?//", css), static


def test_the_json_ld_dump_is_compact_and_holds_the_same_quads_as_the_n_quads_dump(loaded_graph):
    import json as jsonlib

    from rdflib import Dataset

    from server.dumps import dump

    compact = dump(loaded_graph, "jsonld")
    document = jsonlib.loads(compact)
    assert document["@context"]["iso3"] == "https://w3id.org/bali-process-kg/def#iso3"
    from_json = Dataset().parse(data=compact, format="json-ld")
    from_nquads = Dataset().parse(data=dump(loaded_graph, "nq"), format="nquads")
    assert {str(g.identifier) for g in from_json.graphs()} == {str(g.identifier) for g in from_nquads.graphs()}
    assert len(list(from_json.quads())) == len(list(from_nquads.quads()))
