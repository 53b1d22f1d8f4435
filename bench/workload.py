"""The workload: every ready-made query with its header's examples, plus a few ad-hoc SPARQL queries.

Our server gets a ready-made query as `GET /queries/<id>?<examples>` (values bound by the engine); the
other two servers get the same query as text with the example values written in as SPARQL terms —
built here, for the benchmark only. Every `?_name` becomes the term, except in GROUP BY, where it
becomes `(term AS ?_name)` so that projections of the parameter still work. Ad-hoc queries go to
a form POST to each server's SPARQL endpoint. Timing them is `measure`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from server.catalogue import Catalogue, ReadyQuery

PREFIXES = """PREFIX bp: <https://w3id.org/bali-process-kg/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

AD_HOC = {
    "adhoc-label-contains": PREFIXES
    + """SELECT ?s ?label WHERE {
  ?s rdfs:label ?label . FILTER (CONTAINS(LCASE(STR(?label)), "traffick"))
}""",
    "adhoc-label-regex": PREFIXES
    + """SELECT ?s ?label WHERE {
  ?s a bp:State ; rdfs:label ?label . FILTER (REGEX(STR(?label), "^(the )?(republic|kingdom|islamic)", "i"))
}""",
    "adhoc-not-exists": PREFIXES
    + """SELECT ?state ?label WHERE {
  ?state a bp:State ; rdfs:label ?label . FILTER (LANG(?label) = "en")
  FILTER NOT EXISTS { ?law a bp:LegalAct ; bp:jurisdiction ?state }
}""",
    "adhoc-group-by": PREFIXES
    + """SELECT ?source (COUNT(?fact) AS ?facts) WHERE {
  ?fact dcterms:source ?source
} GROUP BY ?source ORDER BY DESC(?facts) ?source""",
    "adhoc-describe": "DESCRIBE <https://w3id.org/bali-process-kg/id/state/IDN>",
}

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Request:
    """One HTTP request, ready for httpx or wrk. With `nonce`, every request of a run gets the query text
    plus a different `#` comment, so that a server's result cache never answers it."""

    method: str
    path: str  # with the query string, for GET
    accept: str
    form: dict[str, str] | None = None
    nonce: bool = False

    def form_for(self, n: int) -> dict[str, str] | None:
        if not (self.form and self.nonce):
            return self.form
        return {**self.form, "query": self.form["query"] + f"\n# bench request {n}"}

    def body(self) -> str:
        return urlencode(self.form) if self.form else ""


@dataclass(frozen=True)
class Item:
    """One query of the workload and the request each server gets for it."""

    name: str
    graph: bool  # CONSTRUCT/DESCRIBE: results counted in triples, else in rows
    text: str  # the SPARQL sent to the other servers (values inlined)
    ready_path: str | None = None  # our /queries/<id>?… for a ready-made query

    @property
    def accept(self) -> str:
        return NTRIPLES if self.graph else JSON

    def request_for(self, server: str, sparql_path: str) -> Request:
        """`balikg`: ready-made queries by their route (our result cache answers repeats); `balikg-nocache`:
        everything as text to /sparql with a nonce; the other servers: the text, as is."""
        if server == "balikg" and self.ready_path:
            return Request("GET", self.ready_path, self.accept)
        return Request("POST", sparql_path, self.accept, {"query": self.text}, nonce=server == "balikg-nocache")


def term_text(query: ReadyQuery, name: str, raw: str) -> str:
    """The SPARQL term the engine would bind for parameter `name` = `raw`."""
    param = next(p for p in query.params if p.name == name)
    return str(param.to_binding(raw).to_term())


def inline(query: ReadyQuery, values: dict[str, str]) -> str:
    """The query's body with each `?_name` replaced by its value as a SPARQL term."""
    terms = {name: term_text(query, name, raw) for name, raw in values.items()}

    def in_group_by(match: re.Match) -> str:
        return re.sub(r"[?$]_(\w+)", lambda m: f"({terms[m.group(1)]} AS ?_{m.group(1)})", match.group(0))

    text = re.sub(r"GROUP\s+BY\b[^}]*?(?=ORDER\b|HAVING\b|LIMIT\b|OFFSET\b|VALUES\b|\}|$)", in_group_by, query.body)
    # Projections keep `?_name` (bound by GROUP BY above); every other use becomes the term.
    parts = re.split(r"(SELECT\b[^{]*?(?=WHERE\b|\{))", text)
    return "".join(
        part if part.startswith("SELECT") else re.sub(r"(?<!AS )[?$]_(\w+)", lambda m: terms[m.group(1)], part)
        for part in parts
    )


def workload(catalogue: Catalogue | None = None) -> list[Item]:
    items = []
    for query in (catalogue or Catalogue()).available([]):  # offline: no query calling a remote endpoint
        values = {p.name: p.example for p in query.params}
        path = f"/queries/{query.id}" + (f"?{urlencode(values)}" if values else "")
        items.append(Item(query.id, query.form == "graph", inline(query, values), path))
    items += [Item(name, text.lstrip().startswith("DESCRIBE"), text) for name, text in AD_HOC.items()]
    return items
