"""The shipped graph: it loads, conforms to the shapes, and every fact carries a source."""

from server import statistics
from server.datafiles import DEFAULT_DATA_DIR, GRAPH_PREFIX, ONTOLOGY_GRAPH, SHAPES_GRAPH, graph_name_for

BP = "https://w3id.org/bali-process-kg/def#"


def test_the_shipped_graph_conforms_to_the_shapes(validation_report):
    assert validation_report.conforms, validation_report.render()


def test_every_data_file_becomes_its_own_named_graph(loaded_graph):
    files = sorted(DEFAULT_DATA_DIR.glob("*.ttl"))
    assert files, "the graph ships data files"
    assert sorted(loaded_graph.data_graphs) == sorted(graph_name_for(p) for p in files)
    for path in files:
        assert loaded_graph.graph_files[graph_name_for(path)] == path
        assert loaded_graph.triples_in(GRAPH_PREFIX + path.stem) > 0


def test_ontology_and_shapes_are_graphs_of_their_own(loaded_graph):
    assert loaded_graph.triples_in(ONTOLOGY_GRAPH) > 0
    assert loaded_graph.triples_in(SHAPES_GRAPH) > 0
    assert SHAPES_GRAPH not in loaded_graph.union_graphs


def test_no_fact_without_a_source(loaded_graph):
    assert statistics.facts_without_source(loaded_graph) == []


def test_statistics_count_subclass_instances_for_their_superclass(loaded_graph):
    counts = statistics.instances_per_class(loaded_graph)
    assert counts[BP + "TreatyAction"] == counts[BP + "Signature"] + counts[BP + "ConsentToBeBound"]
    kinds = ["Ratification", "Accession", "Acceptance", "Approval", "Succession"]
    assert counts[BP + "ConsentToBeBound"] >= sum(counts.get(BP + k, 0) for k in kinds)


def test_project_translations_repeat_a_label_of_their_resource(loaded_graph):
    """A label marked bp:projectTranslation (the project's own translation, docs/data-guide.md rule 5) is
    one of the resource's rdfs:label values, with the same language tag; it is never a stray literal."""
    import pyoxigraph as ox

    query = """
        PREFIX bp: <https://w3id.org/bali-process-kg/def#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?s ?t WHERE { ?s bp:projectTranslation ?t . FILTER NOT EXISTS { ?s rdfs:label ?t } }
    """
    graphs = [ox.NamedNode(g) for g in loaded_graph.union_graphs]
    stray = [(row["s"].value, row["t"].value) for row in loaded_graph.store.query(query, default_graph=graphs)]
    assert stray == []
    count = "PREFIX bp: <https://w3id.org/bali-process-kg/def#> SELECT (COUNT(*) AS ?n) WHERE { ?s bp:projectTranslation ?t }"
    assert int(next(iter(loaded_graph.store.query(count, default_graph=graphs)))["n"].value) > 0
