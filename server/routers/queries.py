"""Ready-made queries over HTTP: the catalogue at /queries, each query at /queries/{id}, its source at
/queries/{id}.rq. Parameters come from the URL, are checked against their declared types (400 naming the
parameter) and are bound by the engine; results are negotiated like /sparql, and a `.csv`, `.json` or
`.tsv` suffix picks the format for a link typed by hand.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .. import negotiation
from ..catalogue import ParameterError
from .sparql import ProtocolError, error_response, run_sparql

router = APIRouter()

SUFFIXES = {".csv": "text/csv", ".json": "application/sparql-results+json", ".tsv": "text/tab-separated-values",
            ".ttl": "text/turtle", ".nt": "application/n-triples", ".jsonld": "application/ld+json"}


@router.get("/queries", name="query_catalogue")
async def catalogue(request: Request) -> Response:
    queries = [q.summary() | {"url": str(request.url_for("ready_query", query_id=q.id))}
               for q in request.app.state.catalogue]
    if negotiation.prefers_html(request.headers.get("accept")):
        items = "".join(
            f'<li><a href="{html.escape(q["url"])}">{html.escape(q["title"])}</a> — {html.escape(q["description"])}</li>'
            for q in queries)
        return HTMLResponse(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Ready-made queries"
                            f"</title></head><body><h1>Ready-made queries</h1><ul>{items}</ul></body></html>")
    return JSONResponse({"queries": queries})


@router.get("/queries/{query_id}", name="ready_query")
async def ready_query(request: Request, query_id: str) -> Response:
    catalogue = request.app.state.catalogue
    media_type = None
    if query_id.endswith(".rq") and catalogue.get(query_id[:-3]):
        query = catalogue.get(query_id[:-3])
        return Response(query.text, media_type="application/sparql-query; charset=utf-8")
    for suffix, suffix_type in SUFFIXES.items():
        if query_id.endswith(suffix) and catalogue.get(query_id[: -len(suffix)]):
            query_id, media_type = query_id[: -len(suffix)], suffix_type
            break
    query = catalogue.get(query_id)
    if query is None:
        return error_response(404, f"no ready-made query '{query_id}'; see /queries")
    pairs = [(k, v) for k, v in request.query_params.multi_items()]
    format_name = dict(pairs).get("format")
    values = {k: v for k, v in pairs if k != "format"}
    repeated = sorted({k for k, _ in pairs if sum(1 for k2, _ in pairs if k2 == k) > 1})
    try:
        if repeated:
            raise ParameterError(f"parameter '{repeated[0]}' was given more than once")
        bindings = query.bindings(values)
    except ParameterError as error:
        return error_response(400, str(error))
    if media_type and not format_name:
        pairs.append(("format", media_type))
    try:
        return await run_sparql(request, query.body, pairs, bindings=bindings,
                                columns=[c.name for c in query.columns] or None)
    except ProtocolError as error:
        return error_response(error.status, error.message, error.headers)
