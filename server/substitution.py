"""Parameter values written into a query's text, for engines that cannot bind variables themselves.

The embedded engines bind a ready-made query's parameters as RDF terms (pyoxigraph's substitutions,
rdflib's initBindings). An engine reached over HTTP has no such option, so the remote store writes each
bound value into the text, where its variable stands, with the same meaning:

- in a SELECT clause, a projected `?_p` becomes `(<value> AS ?_p)` — unless that query level groups by
  it, in which case the GROUP BY key becomes `(<value> AS ?_p)` and the projection keeps `?_p`, or a
  subquery in its body already projects it;
- everywhere else (patterns, filters, expressions) the variable becomes the value itself.

Positions come from the query guard's lexer, so a variable's name inside a string, an IRI or a comment is
never touched. Values are RDF terms written in N-Triples syntax, which SPARQL reads unchanged; they come
from typed parameters (`query.Binding`), never from pasted client text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from .query_guard import decode_escapes, lex

_SELECT_ENDS = {"WHERE", "FROM"}
_GROUP_ENDS = {"HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"}


@dataclass
class _Level:
    """One SELECT (the query or a subquery) and what its clauses hold of the parameters."""

    depth: int
    projected: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, name) of bare vars
    grouped: set[str] = field(default_factory=set)
    #: parameters a subquery in this level's body already projects (so they are bound here too)
    from_subqueries: set[str] = field(default_factory=set)


def term_text(term: ox.NamedNode | ox.Literal) -> str:
    return str(term)


def substitute(query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """`query` with every variable named in `bindings` replaced by its value (escapes decoded, as SPARQL
    reads them before parsing)."""
    text = decode_escapes(query)
    if not bindings:
        return text
    values = {name: term_text(term) for name, term in bindings.items()}
    edits: list[tuple[int, int, str]] = []
    levels: list[_Level] = []
    braces = parens = 0
    clause: str | None = None  # "select" or "group", while inside that clause
    tokens = lex(query).tokens
    previous = ""

    def close_levels(below: int) -> None:
        while levels and levels[-1].depth > below:
            level = levels.pop()
            for start, end, name in level.projected:
                if name not in level.grouped and name not in level.from_subqueries:
                    edits.append((start, end, f"({values[name]} AS ?{name})"))
            if levels:
                levels[-1].from_subqueries.update(name for _, _, name in level.projected)

    for token in tokens:
        word = token.text.upper() if token.kind == "keyword" else ""
        if word == "SELECT":
            levels.append(_Level(braces))
            clause, parens = "select", 0
        elif word == "BY" and previous == "GROUP":
            clause, parens = "group", 0
        elif word in _SELECT_ENDS and clause == "select" or word in _GROUP_ENDS and clause == "group":
            clause = None
        elif token.text == "{":
            clause = None if clause in ("select", "group") else clause
            braces += 1
        elif token.text == "}":
            clause = None
            braces -= 1
            close_levels(braces)
        elif token.text == "(":
            parens += 1
        elif token.text == ")":
            parens -= 1
        elif token.kind == "var" and token.text[1:] in values:
            name, end = token.text[1:], token.start + len(token.text)
            level = levels[-1] if levels else None
            if clause == "select" and parens == 0 and level is not None:
                level.projected.append((token.start, end, name))
            elif clause == "group" and parens == 0 and level is not None and level.depth == braces:
                level.grouped.add(name)
                edits.append((token.start, end, f"({values[name]} AS ?{name})"))
            else:
                edits.append((token.start, end, values[name]))
        previous = word
    close_levels(-1)
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
