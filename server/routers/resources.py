"""Dereferenceable IRIs: every `https://w3id.org/bali-process-kg/id/…` IRI, the ontology (`/def`) and the
shapes (`/shapes`) resolve here under the same path, content-negotiated between an HTML page and Turtle,
JSON-LD, N-Triples and RDF/XML (Accept with q-values, or a `.html`/`.ttl`/`.jsonld`/`.nt`/`.rdf` suffix),
with `Link` headers naming the alternates. The RDF of an entity carries its own triples, the links that
point to it and the labels of its neighbours (the `describe` ready-made query). Unknown IRIs are 404.
"""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import negotiation, pages, results
from ..datafiles import BASE, ONTOLOGY_GRAPH, SHAPES_FILE
from ..executor import QueryRequest

router = APIRouter()

SUFFIXES = {".html": "text/html", ".ttl": "text/turtle", ".jsonld": "application/ld+json",
            ".nt": "application/n-triples", ".rdf": "application/rdf+xml"}
OFFERS = list(SUFFIXES.values())
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _choose(request: Request, path: str) -> tuple[str, str | None]:
    """The path without a format suffix, and the media type (None when nothing acceptable)."""
    for suffix, media_type in SUFFIXES.items():
        if path.endswith(suffix):
            return path[: -len(suffix)], media_type
    return path, negotiation.choose(OFFERS, request.headers.get("accept"))


def _not_acceptable(headers: dict) -> Response:
    return Response("406: available as " + ", ".join(OFFERS) + "\n", status_code=406,
                    media_type="text/plain; charset=utf-8", headers=headers)


def _link_header(request: Request, path: str) -> str:
    base = str(request.base_url).rstrip("/")
    return ", ".join(f'<{base}/{path}{suffix}>; rel="alternate"; type="{media}"' for suffix, media in SUFFIXES.items())


def _negotiate_document(request: Request, name: str, suffix: str) -> Response | tuple[str, dict]:
    """For a document at one fixed path (/def, /shapes): the chosen media type and the response headers,
    or the 404/406 answer to send instead."""
    path, media_type = _choose(request, name + suffix)
    if path != name:
        return _not_found(request, BASE + path)
    headers = {"Link": _link_header(request, name), "Vary": "Accept"}
    if media_type is None:
        return _not_acceptable(headers)
    return media_type, headers


async def _rdf(request: Request, query: str, media_type: str, bindings: dict | None = None) -> bytes:
    outcome = await request.app.state.executor.execute(QueryRequest(
        query=query, media_type=media_type, bindings=bindings or {}, max_rows=10**6))
    if outcome.status != "ok":
        raise RuntimeError(outcome.message)
    return outcome.body


def _not_found(request: Request, iri: str) -> Response:
    if negotiation.prefers_html(request.headers.get("accept")) or "text/html" in (request.headers.get("accept") or ""):
        return pages.render(request, "not_found.html", status_code=404, iri=iri)
    return Response(f"not found: <{iri}> is not described in this graph\n", status_code=404,
                    media_type="text/plain; charset=utf-8")


@router.get("/id/{path:path}", name="resource")
async def resource(request: Request, path: str) -> Response:
    path, media_type = _choose(request, "id/" + path)
    iri = BASE + path
    iri_binding = {"_iri": ("iri", iri, None, None)}
    exists = await pages.select_internal(request, "entity-exists", iri_binding)
    if not exists:
        return _not_found(request, iri)
    headers = {"Link": _link_header(request, path), "Vary": "Accept"}
    if media_type is None:
        return _not_acceptable(headers)
    if media_type == "text/html":
        response = await _entity_page(request, iri)
        response.headers.update(headers)
        return response
    describe = request.app.state.catalogue.get("describe")
    body = await _rdf(request, describe.body, media_type, iri_binding)
    return Response(body, media_type=media_type + ("; charset=utf-8" if media_type.startswith("text/") else ""),
                    headers=headers)


def _term(value: dict, lang: str, en: dict | None = None, id_: dict | None = None) -> dict:
    """A display form of a SPARQL JSON term: text, link (if an IRI) and whether it is ours."""
    text = value["value"]
    label = (id_ or {}).get("value") if lang == "id" else None
    label = label or (en or {}).get("value")
    if value["type"] == "uri":
        return {"text": label or pages.short(text), "href": pages.local_link(text, lang), "iri": text,
                "external": not text.startswith(BASE)}
    return {"text": text, "href": None, "iri": None, "lang": value.get("xml:lang"), "external": False}


async def _entity_page(request: Request, iri: str) -> Response:
    lang = pages.language(request)
    binding = {"_iri": ("iri", iri, None, None)}
    outgoing = await pages.select_internal(request, "entity-outgoing", binding)
    incoming = await pages.select_internal(request, "entity-incoming", binding)

    labels = {row["o"]["xml:lang"]: row["o"]["value"] for row in outgoing
              if row["p"]["value"] == LABEL and "xml:lang" in row["o"]}
    name = (labels.get("id") if lang == "id" else None) or labels.get("en") or pages.short(iri)
    types = [_term(r["o"], lang, r.get("o_en"), r.get("o_id")) for r in outgoing if r["p"]["value"] == RDF_TYPE]
    wikidata = [r["o"]["value"] for r in outgoing if r["p"]["value"].endswith("core#exactMatch")]
    sources = [r["o"]["value"] for r in outgoing if r["p"]["value"] == "http://purl.org/dc/terms/source"]
    statements = [
        {"property": pages.short(r["p"]["value"]), "value": _term(r["o"], lang, r.get("o_en"), r.get("o_id"))}
        for r in outgoing
        if r["p"]["value"] not in (RDF_TYPE, "http://purl.org/dc/terms/source") and not r["p"]["value"].endswith("core#exactMatch")
    ]
    statements.sort(key=lambda s: (s["property"], s["value"]["text"]))

    # Facts pointing here, grouped by their class: memberships, treaty actions, laws, plans, tiers, events …
    facts: dict[str, dict] = {}
    class_labels = {row["o"]["value"]: _term(row["o"], lang, row.get("o_en"), row.get("o_id"))["text"]
                    for row in incoming if row["p"]["value"] == RDF_TYPE}
    for row in incoming:
        fact = facts.setdefault(row["s"]["value"], {"iri": row["s"]["value"], "classes": set(), "props": defaultdict(list),
                                                    "sources": set(), "link": pages.short(row["link"]["value"])})
        fact["classes"].add(row["class"]["value"])
        prop, value = row["p"]["value"], row["o"]
        if prop == "http://purl.org/dc/terms/source":
            fact["sources"].add(value["value"])
        elif prop != RDF_TYPE and value.get("value") != iri:
            shown = _term(value, lang, row.get("o_en"), row.get("o_id"))
            if shown not in fact["props"][pages.short(prop)]:
                fact["props"][pages.short(prop)].append(shown)
    groups: dict[str, list] = defaultdict(list)
    for fact in facts.values():
        most_specific = sorted(fact["classes"], key=lambda c: (not c.startswith(BASE + "def#"), c))[0]
        fact["sources"] = sorted(fact["sources"])
        fact["date"] = next((v[0]["text"] for k, v in fact["props"].items()
                             if k in ("bp:date", "bp:startDate", "bp:dateEnacted", "bp:reportYear", "bp:asOf")), "")
        groups[class_labels.get(most_specific, pages.short(most_specific))].append(fact)
    for members in groups.values():
        members.sort(key=lambda f: (f["date"], f["iri"]))
    return pages.render(request, "entity.html", iri=iri, name=name, labels=labels, types=types, wikidata=wikidata,
                        sources=sources, statements=statements, groups=dict(sorted(groups.items())),
                        alternates=[(s, m) for s, m in SUFFIXES.items() if s != ".html"],
                        path=iri[len(BASE):])


@router.get("/def", name="ontology")
@router.get("/def{suffix:path}", include_in_schema=False)
async def ontology(request: Request, suffix: str = "") -> Response:
    negotiated = _negotiate_document(request, "def", suffix)
    if isinstance(negotiated, Response):
        return negotiated
    media_type, headers = negotiated
    if media_type == "text/html":
        response = await _ontology_page(request)
        response.headers.update(headers)
        return response
    body = await _rdf(request, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}", media_type)
    return Response(body, media_type=media_type, headers=headers)


async def _ontology_page(request: Request) -> Response:
    from .. import charts

    lang = pages.language(request)
    rows = await pages.select(request, f"""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX schema: <https://schema.org/>
        SELECT ?term ?kind ?en ?id ?comment (GROUP_CONCAT(DISTINCT STR(?d); separator=" ") AS ?domains)
               (GROUP_CONCAT(DISTINCT STR(?r); separator=" ") AS ?ranges) (GROUP_CONCAT(DISTINCT STR(?super); separator=" ") AS ?supers)
        WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
          ?term a ?kind . FILTER (?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
          ?term rdfs:label ?en . FILTER (LANG(?en) = "en")
          OPTIONAL {{ ?term rdfs:label ?id . FILTER (LANG(?id) = "id") }}
          OPTIONAL {{ ?term rdfs:comment ?comment }}
          OPTIONAL {{ ?term schema:domainIncludes ?d }}
          OPTIONAL {{ ?term schema:rangeIncludes ?r }}
          OPTIONAL {{ ?term rdfs:subClassOf ?super }}
        }} }} GROUP BY ?term ?kind ?en ?id ?comment ORDER BY ?term""")
    terms = [{
        "iri": r["term"]["value"], "name": pages.short(r["term"]["value"]),
        "kind": r["kind"]["value"].rsplit("#", 1)[1],
        "label": (r.get("id", {}).get("value") if lang == "id" else None) or r["en"]["value"],
        "comment": r.get("comment", {}).get("value", ""),
        "domains": [pages.short(d) for d in r.get("domains", {}).get("value", "").split()],
        "ranges": [pages.short(x) for x in r.get("ranges", {}).get("value", "").split()],
        "supers": r.get("supers", {}).get("value", "").split(),
    } for r in rows]
    classes = [t for t in terms if t["kind"] == "Class"]
    diagram = charts.class_diagram(
        [(t["name"], [pages.short(s) for s in t["supers"] if s.startswith(BASE)]) for t in classes])
    return pages.render(request, "ontology.html", classes=classes,
                        properties=[t for t in terms if t["kind"] != "Class"], diagram=diagram)


@router.get("/shapes", name="shapes")
@router.get("/shapes{suffix:path}", include_in_schema=False)
async def shapes(request: Request, suffix: str = "") -> Response:
    negotiated = _negotiate_document(request, "shapes", suffix)
    if isinstance(negotiated, Response):
        return negotiated
    media_type, headers = negotiated
    text = SHAPES_FILE.read_text(encoding="utf-8")
    if media_type == "text/html":
        response = pages.render(request, "shapes.html", text=text)
        response.headers.update(headers)
        return response
    if media_type == "text/turtle":
        return Response(text, media_type="text/turtle; charset=utf-8", headers=headers)
    return Response(results.convert_turtle(text, media_type), media_type=media_type, headers=headers)
