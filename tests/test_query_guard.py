"""The query guard decides before any engine runs: updates and non-allowlisted SERVICE calls are refused,
whatever the spelling, and nothing hidden in a string, an IRI or a comment is mistaken for a keyword."""

import pytest

from server.query_guard import ForbiddenQuery, check_services, looks_like_update, service_targets


@pytest.mark.parametrize("query,targets", [
    ("SELECT * { SERVICE <http://a.example/sparql> { ?s ?p ?o } }", ["http://a.example/sparql"]),
    ("SELECT * { service silent <http://a.example/sparql> { } }", ["http://a.example/sparql"]),
    ("PREFIX e: <http://e.example/> SELECT * { SERVICE e:sparql { } }", ["http://e.example/sparql"]),
    ("SELECT * { SERVICE ?endpoint { } }", ["?endpoint"]),
    ("SELECT * { \\u0053ERVICE <http://escaped.example/> { } }", ["http://escaped.example/"]),
    ('SELECT * { ?s ?p "SERVICE <http://in-a-string.example/>" }', []),
    ("SELECT * { ?s ?p ?o } # SERVICE <http://in-a-comment.example/>", []),
    ("SELECT * { ?s <http://example.org/SERVICE> ?o . ?s ex:SERVICE ?o }", []),
])
def test_service_targets_are_found_in_every_spelling(query, targets):
    assert service_targets(query) == targets


def test_allowlisted_service_passes_and_others_are_refused():
    query = "SELECT * { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }"
    check_services(query, ["http://allowed.example/sparql"])
    with pytest.raises(ForbiddenQuery, match="none are configured"):
        check_services(query, [])
    with pytest.raises(ForbiddenQuery, match="SERVICE <\\?endpoint> is not allowed"):
        check_services("SELECT * { SERVICE ?endpoint { } }", ["http://allowed.example/sparql"])


@pytest.mark.parametrize("query,is_update", [
    ("INSERT DATA { <a> <b> <c> }", True),
    ("PREFIX x: <http://x/> BASE <http://b/> delete where { ?s ?p ?o }", True),
    ("LOAD <http://example.org/data.ttl>", True),
    ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
    ("# INSERT in a comment\nSELECT * { ?s ?p ?o }", False),
    ('SELECT * { ?s ?p "DROP ALL" }', False),
    ("ASK {}", False),
])
def test_updates_are_recognised_after_the_prologue(query, is_update):
    assert looks_like_update(query) is is_update
