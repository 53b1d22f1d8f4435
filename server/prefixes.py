"""Prefixes: the namespaces every query on the endpoint may use without declaring them, as WDQS does.

A query sent to `/sparql` (or typed on the query page) may write `bp:State` without `PREFIX bp: <…>`: the
endpoint adds a declaration for each predeclared prefix the query uses and does not declare itself — a
prefix the query declares always wins. The declarations go on the query's first line, so the parser's line
numbers stay the user's; `explain` also takes them off the first line's columns, and turns the parser's
"prefix not found" dump into one line that names the prefix. The service description lists the prefixes
(`sh:declare`), and docs/endpoint.md does too.
"""

from __future__ import annotations

import re

from .errors import QuerySyntaxError
from .query_guard import read

PREDECLARED: dict[str, str] = {
    "bp": "https://w3id.org/bali-process-kg/def#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "wikibase": "http://wikiba.se/ontology#",
    "qb": "http://purl.org/linked-data/cube#",
}

_POSITION = re.compile(r"error at (\d+):(\d+)")


def _declared_and_used(query: str) -> tuple[set[str], set[str]]:
    tokens = read(query).tokens
    declared = {
        tokens[i + 1].text[:-1]
        for i, tok in enumerate(tokens[:-1])
        if tok.kind == "keyword" and tok.text.upper() == "PREFIX" and tokens[i + 1].kind == "name"
    }
    used = {tok.text.split(":", 1)[0] for tok in tokens if tok.kind == "name" and not tok.text.startswith("_:")}
    return declared, used


def declare(query: str) -> tuple[str, int]:
    """The query with declarations of the predeclared prefixes it uses but does not declare, and how many
    characters were added before the query's first line."""
    declared, used = _declared_and_used(query)
    missing = sorted(p for p in used - declared if p in PREDECLARED)
    if not missing:
        return query, 0
    head = "".join(f"PREFIX {p}: <{PREDECLARED[p]}> " for p in missing)
    return head + query, len(head)


def explain(error: QuerySyntaxError, query: str, added: int) -> QuerySyntaxError:
    """The parser's message in terms of the query the user wrote."""
    message = error.message
    if "Prefix not found" in message:
        declared, used = _declared_and_used(query)
        unknown = sorted(used - declared - set(PREDECLARED))
        if unknown:
            return QuerySyntaxError(
                f"SPARQL syntax error: the prefix '{unknown[0]}:' is not declared; add PREFIX {unknown[0]}: <…> "
                f"(declared on this endpoint without PREFIX: {', '.join(sorted(PREDECLARED))})"
            )
    if added:

        def shift(match: re.Match) -> str:
            line, column = int(match.group(1)), int(match.group(2))
            return f"error at {line}:{column - added if line == 1 else column}"

        message = _POSITION.sub(shift, message, count=1)
    return QuerySyntaxError(message)
