"""Federation: with an allowlist, a query's SERVICE calls are checked on a real parse, not on lexing alone.

When `BALIKG_SERVICE_ALLOWLIST` names endpoints, the query workers keep their network, so the check must
not depend on the guard's lexer agreeing with the engine's parser. The worker parses the query with
rdflib's SPARQL parser, refuses any SERVICE whose endpoint is a variable or is not allowlisted, and hands
the engine the text re-serialised from that same parse — so what runs is exactly what was checked. This
runs in the worker, under the query's time limit; rdflib is imported only here, and only when federation
is on. rdflib's writer does not handle every query shape; a text it cannot write back is refused (400),
never run unchecked.
"""

from __future__ import annotations

from .errors import BadRequest, Forbidden, QuerySyntaxError


def _service_terms(node, found: list) -> list:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(node.term)
        for value in node.values():
            _service_terms(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _service_terms(value, found)
    return found


def checked_text(query: str, allowlist: list[str], base_iri: str | None = None) -> str:
    """The query re-serialised from its parse, if every SERVICE in it is allowlisted; else Forbidden."""
    from pyparsing.exceptions import ParseException
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateAlgebra, translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = translateQuery(parseQuery(query), base=base_iri)
    except ParseException as error:
        raise QuerySyntaxError(f"SPARQL syntax error at {error.lineno}:{error.col}: {error.msg}") from None
    except RecursionError:
        raise QuerySyntaxError("the query nests too deeply to parse") from None
    for term in _service_terms(parsed.algebra, []):
        if not isinstance(term, URIRef) or str(term) not in allowlist:
            if not allowlist:
                raise Forbidden(f"SERVICE <{term}> is not allowed: this endpoint does not federate")
            raise Forbidden(
                f"SERVICE <{term}> is not allowed: this endpoint only federates with {', '.join(allowlist)}"
            )
    text = translateAlgebra(parsed)
    try:
        parseQuery(text)
    except ParseException:
        # rdflib's writer leaves placeholders in a few query shapes (a group holding only a SERVICE)
        raise BadRequest(
            "this federated query could not be re-serialised for checking; put at least one triple pattern "
            "beside the SERVICE clause, or write it differently"
        ) from None
    return text
