"""Dereferenceable IRIs: every `https://w3id.org/bali-process-kg/id/…` IRI, the ontology (`/def`) and the
shapes (`/shapes`) resolve here under the same path, content-negotiated between an HTML page and Turtle,
JSON-LD, N-Triples and RDF/XML (Accept with q-values, or a `.html`/`.ttl`/`.jsonld`/`.nt`/`.rdf` suffix),
with `Link` headers naming the alternates. The RDF of an entity carries its own triples, the links that
point to it and the labels of its neighbours (the `describe` ready-made query). Unknown IRIs are 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import charts, citation, context, figures, formats, negotiation, pages, profile, results
from ..datafiles import BASE, ONTOLOGY_GRAPH, SHAPES_FILE
from ..errors import NotAcceptable
from ..query import Binding, is_absolute_iri
from ..service import Row
from ..state import state
from ..statistics import internal_query

router = APIRouter()

#: the documents an IRI resolves to, with the suffix that asks for each
SUFFIXES = {
    ".html": formats.HTML,
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
}
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
    error = NotAcceptable("available as " + ", ".join(OFFERS))
    return Response(error.message + "\n", status_code=406, media_type="text/plain; charset=utf-8", headers=headers)


def _link_header(request: Request, path: str) -> str:
    base = str(request.base_url).rstrip("/")
    return ", ".join(f'<{base}/{path}{suffix}>; rel="alternate"; type="{media}"' for suffix, media in SUFFIXES.items())


async def _negotiate_document(request: Request, name: str, suffix: str) -> Response | tuple[str, dict]:
    """For a document at one fixed path (/def, /shapes): the chosen media type and the response headers,
    or the 404/406 answer to send instead."""
    path, media_type = _choose(request, name + suffix)
    if path != name:
        return await _not_found(request, BASE + path)
    headers = {"Link": _link_header(request, name), "Vary": "Accept"}
    if media_type is None:
        return _not_acceptable(headers)
    return media_type, headers


async def _rdf(request: Request, query: str, media_type: str, bindings: dict | None = None) -> bytes:
    service = state(request).service
    answer = await service.answer(
        service.request(query, media_type=media_type, bindings=bindings, max_rows=10**6, own_text=True),
        client=request,
    )
    return answer.body


async def _rows(request: Request, name: str, bindings: dict | None = None, *, watch: bool = True) -> list[Row]:
    """An internal query's rows; `watch=False` for a page build other requests may share (its first
    requester going away must not stop it)."""
    return await state(request).service.rows(internal_query(name), bindings, client=request if watch else None)


async def _not_found(request: Request, iri: str) -> Response:
    if negotiation.prefers_html(request.headers.get("accept")) or "text/html" in (request.headers.get("accept") or ""):
        return await pages.render(request, "not_found.html", status_code=404, iri=iri)
    return Response(
        f"not found: <{iri[:500]}> is not described in this graph\n",
        status_code=404,
        media_type="text/plain; charset=utf-8",
    )


@router.get("/id/{path:path}", name="resource")
async def resource(request: Request, path: str) -> Response:
    path, media_type = _choose(request, "id/" + path)
    iri = BASE + path
    if not is_absolute_iri(iri):  # not an IRI at all, so certainly not one of ours
        return await _not_found(request, iri)
    iri_binding = {"_iri": Binding.iri(iri)}
    if not await _rows(request, "entity-exists", iri_binding):
        return await _not_found(request, iri)
    headers = {"Link": _link_header(request, path), "Vary": "Accept"}
    if media_type is None:
        return _not_acceptable(headers)
    if media_type == "text/html":
        response = await _entity_page(request, iri)
        response.headers.update(headers)
        return response
    describe = state(request).catalogue.get("describe")
    if media_type == "application/ld+json":  # compact, with the project's context, for JSON tools
        triples = await _rdf(request, describe.body, "application/n-triples", iri_binding)
        body = await asyncio.to_thread(context.compact, triples)
    else:
        body = await _rdf(request, describe.body, media_type, iri_binding)
    return Response(body, media_type=formats.content_type(media_type), headers=headers)


@router.get("/context.jsonld", name="jsonld_context")
async def jsonld_context() -> Response:
    """The JSON-LD context of the graph's terms (short names for `bp:` properties and the reused terms)."""
    return Response(
        context.document(), media_type="application/ld+json", headers={"Cache-Control": "public, max-age=3600"}
    )


#: the instruments of an entity's treaty table, in order
TREATY_TABLE = ("untoc", "tip-protocol", "smuggling-protocol", "actip")


async def _entity_page(request: Request, iri: str) -> Response:
    as_of = request.query_params.get("as_of") or "today"
    key = ("entity", iri, pages.language(request), request.url.query, dt.date.today())
    body = await state(request).page_cache.get_or_build(key, lambda: _build_entity_page(request, iri, as_of))
    return pages.respond(request, body)


async def _build_entity_page(request: Request, iri: str, as_of: str) -> bytes:
    lang = pages.language(request)
    binding = {"_iri": Binding.iri(iri)}
    outgoing, incoming, source_rows = await asyncio.gather(
        _rows(request, "entity-outgoing", binding, watch=False),
        _rows(request, "entity-incoming", binding, watch=False),
        _rows(request, "entity-sources", binding, watch=False),
    )
    # Shaping a large entity's facts is CPU work: in a thread, like rendering, so the event loop stays free.
    view = await asyncio.to_thread(profile.build, iri, lang, outgoing, incoming, source_rows)
    if view["profiled"]:
        view["treaties"] = await _treaty_table(request, iri, as_of)
        iso3 = view["summary"]["iso3"]
        if iso3:  # the outcome indicators of a state with observations (issue #20)
            strings = {key: value.get(lang, value["en"]) for key, value in pages.STRINGS.items()}
            rows = await figures.indicator_rows(request, iso3, watch=False)
            view["indicators"] = figures.indicators_view(rows, lang, strings, iso3)
    response = await pages.render(
        request,
        "entity.html",
        view=view,
        as_of=as_of,
        path=iri[len(BASE) :],
        alternates=[(s, m) for s, m in SUFFIXES.items() if s != ".html"],
        cite=citation.text(state(request).dataset.version, iri),
        jsonld=citation.entity_jsonld(
            iri,
            view["name"],
            {r["o"].value for r in outgoing if r["p"].value == profile.RDF_TYPE},
            view["wikidata"],
            state(request).dataset.version,
        ),
    )
    return response.body


async def _treaty_table(request: Request, iri: str, as_of: str) -> list[dict]:
    """The entity's row of `treaty-status` for each instrument, on `as_of` (a date, or today)."""
    kg = state(request)
    query = kg.catalogue.get("treaty-status")
    table = []
    for instrument in TREATY_TABLE:  # one after another: a page asks the pool for one query at a time
        rows = await kg.service.rows(
            query.body, query.bindings({"instrument": instrument, "as_of": as_of}), columns=query.column_names
        )
        row = next((r for r in rows if r["state"].value == iri), None)
        table.append({"instrument": instrument, "row": row})
    return table


@router.get("/def", name="ontology")
@router.get("/def{suffix:path}", include_in_schema=False)
async def ontology(request: Request, suffix: str = "") -> Response:
    negotiated = await _negotiate_document(request, "def", suffix)
    if isinstance(negotiated, Response):
        return negotiated
    media_type, headers = negotiated
    if media_type == "text/html":
        response = await _ontology_page(request)
        response.headers.update(headers)
        return response
    body = await _rdf(
        request, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}", media_type
    )
    return Response(body, media_type=media_type, headers=headers)


async def _ontology_page(request: Request) -> Response:
    lang = pages.language(request)
    terms_rows = await state(request).service.rows(
        f"""
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
        }} }} GROUP BY ?term ?kind ?en ?id ?comment ORDER BY ?term""",
        client=request,
    )

    def text(row: Row, name: str) -> str:
        return row[name].value if name in row else ""

    terms = [
        {
            "iri": r["term"].value,
            "name": pages.short(r["term"].value),
            "kind": r["kind"].value.rsplit("#", 1)[1],
            "label": (text(r, "id") if lang == "id" else None) or r["en"].value,
            "comment": text(r, "comment"),
            "domains": [pages.short(d) for d in text(r, "domains").split()],
            "ranges": [pages.short(x) for x in text(r, "ranges").split()],
            "supers": text(r, "supers").split(),
        }
        for r in terms_rows
    ]
    classes = [t for t in terms if t["kind"] == "Class"]
    diagram = charts.class_diagram(
        [(t["name"], [pages.short(s) for s in t["supers"] if s.startswith(BASE)]) for t in classes]
    )
    return await pages.render(
        request,
        "ontology.html",
        classes=classes,
        properties=[t for t in terms if t["kind"] != "Class"],
        diagram=diagram,
    )


@router.get("/shapes", name="shapes")
@router.get("/shapes{suffix:path}", include_in_schema=False)
async def shapes(request: Request, suffix: str = "") -> Response:
    negotiated = await _negotiate_document(request, "shapes", suffix)
    if isinstance(negotiated, Response):
        return negotiated
    media_type, headers = negotiated
    text = _shapes_text()
    if media_type == formats.HTML:
        response = await pages.render(request, "shapes.html", text=text)
        response.headers.update(headers)
        return response
    if media_type == "text/turtle":
        return Response(text, media_type="text/turtle; charset=utf-8", headers=headers)
    return Response(_shapes_as(media_type), media_type=media_type, headers=headers)


@lru_cache(maxsize=1)
def _shapes_text() -> str:
    """The shapes file, read once: it cannot change while the server runs (it is part of the data version)."""
    return SHAPES_FILE.read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _shapes_as(media_type: str) -> bytes:
    return results.convert_turtle(_shapes_text(), media_type)
