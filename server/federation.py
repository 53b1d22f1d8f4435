"""Federation: with an allowlist, a query's SERVICE calls are checked on a real parse, not on lexing alone.

When `BALIKG_SERVICE_ALLOWLIST` names endpoints, the query workers keep their network, so the check must
not depend on the guard's lexer agreeing with the engine's parser. The worker parses the query with
rdflib's SPARQL parser, refuses any SERVICE whose endpoint is a variable or is not allowlisted, and hands
the engine the text re-serialised from that same parse — so what runs is exactly what was checked. This
runs in the worker, under the query's time limit; rdflib is imported only here, and only when federation
is on. rdflib's writer does not handle every query shape; a text it cannot write back is refused (400),
never run unchecked.

`BALIKG_SERVICE_MAP` sends a call to an allowlisted IRI elsewhere (a local mirror, a test server): the check
above is made on the IRI the query names, then the parse is rewritten to the mapped URL before it is
serialised, so the engine only ever connects to the mapped endpoint. When a remote endpoint fails (refused,
reset, an HTTP error), the engine raises `OSError`; `remote_failure` turns that into a 502.
"""

from __future__ import annotations

import re

from .errors import BadRequest, Forbidden, QuerySyntaxError, RemoteServiceFailed


def _service_nodes(node, found: list) -> list:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(node)
        for value in node.values():
            _service_nodes(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _service_nodes(value, found)
    return found


_PLAIN_SERVICE = re.compile(r"\bSERVICE(\s+(?:SILENT\s+)?)<([^>]*)>", re.I)


def mapped_own_text(query: str, allowlist: list[str], service_map: dict[str, str] | None = None) -> str:
    """This server's own query text (a ready-made query file, an internal query; never a client's) with its
    SERVICE IRIs mapped. Its calls are
    plain `SERVICE <IRI>`, checked against the allowlist here once more; rdflib's writer is not used, because
    it cannot write back every pattern inside SERVICE (it drops `;` predicate lists there)."""

    def mapped(match: re.Match) -> str:
        iri = match.group(2)
        if iri not in allowlist:
            raise Forbidden(f"SERVICE <{iri}> is not allowed: this endpoint only federates with {', '.join(allowlist)}")
        return f"SERVICE{match.group(1)}<{(service_map or {}).get(iri, iri)}>"

    return _PLAIN_SERVICE.sub(mapped, query)


def _service_triples(node) -> list:
    """The triple patterns inside one SERVICE call, each (s, p, o) as text, sorted."""
    from rdflib.plugins.sparql.parserutils import CompValue

    found = []

    def walk(value):
        if isinstance(value, CompValue):
            if value.name == "TriplesBlock":
                for run in value.triples:
                    found.extend(tuple(run[i : i + 3]) for i in range(0, len(run), 3))
                return
            for inner in value.values():
                walk(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner)

    walk(node.graph)
    return sorted(map(str, found))


def remote_failure(error: OSError) -> RemoteServiceFailed:
    """The 502 for a SERVICE call the remote endpoint did not answer properly."""
    return RemoteServiceFailed(f"a remote SPARQL endpoint called with SERVICE failed: {error}")


def _parsed(query: str, base_iri: str | None):
    """rdflib's parse of `query` (its algebra), or the syntax error as a `QuerySyntaxError`."""
    from pyparsing.exceptions import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        return translateQuery(parseQuery(query), base=base_iri)
    except ParseException as error:
        raise QuerySyntaxError(f"SPARQL syntax error at {error.lineno}:{error.col}: {error.msg}") from None
    except RecursionError:
        raise QuerySyntaxError("the query nests too deeply to parse") from None


def refuse_services(query: str, base_iri: str | None = None) -> None:
    """Refuse (Forbidden) a query in which rdflib's parser finds any SERVICE, for a worker that keeps the
    network without federating (the remote store's): a second check beside the guard's lexer, by another
    parser. The text itself is not rewritten, so any query rdflib can parse runs as written."""
    for node in _service_nodes(_parsed(query, base_iri).algebra, []):
        raise Forbidden(f"SERVICE <{node.term}> is not allowed: this endpoint does not federate")


def checked_text(
    query: str, allowlist: list[str], base_iri: str | None = None, service_map: dict[str, str] | None = None
) -> str:
    """The query re-serialised from its parse, if every SERVICE in it is allowlisted (else Forbidden), with
    each mapped IRI replaced by its endpoint."""
    from pyparsing.exceptions import ParseException
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateAlgebra, translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    parsed = _parsed(query, base_iri)
    services = _service_nodes(parsed.algebra, [])
    before = [_service_triples(node) for node in services]
    for node in services:
        term = node.term
        if not isinstance(term, URIRef) or str(term) not in allowlist:
            if not allowlist:
                raise Forbidden(f"SERVICE <{term}> is not allowed: this endpoint does not federate")
            raise Forbidden(
                f"SERVICE <{term}> is not allowed: this endpoint only federates with {', '.join(allowlist)}"
            )
        if service_map and str(term) in service_map:
            node["term"] = URIRef(service_map[str(term)])
    text = translateAlgebra(parsed)
    try:
        again = translateQuery(parseQuery(text), base=base_iri)
    except ParseException:
        # rdflib's writer leaves placeholders in a few query shapes (a group holding only a SERVICE)
        raise BadRequest(
            "this federated query could not be re-serialised for checking; put at least one triple pattern "
            "beside the SERVICE clause, or write it differently"
        ) from None
    if [_service_triples(node) for node in _service_nodes(again.algebra, [])] != before:
        # rdflib's writer keeps only the first predicate of a `;` or `,` list inside SERVICE
        raise BadRequest(
            "this federated query could not be re-serialised faithfully for checking; inside SERVICE, write each "
            "triple pattern in full (subject, predicate, object, then a dot) instead of ';' or ',' lists"
        )
    return text
