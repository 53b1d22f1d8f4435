"""Ready-made queries over HTTP: the catalogue at /queries, each query at /queries/{id}, its source at
/queries/{id}.rq. Parameters come from the URL, are checked against their declared types (400 naming the
parameter) and are bound by the engine; results are negotiated like /sparql, and a `.csv`, `.json` or
`.tsv` suffix picks the format for a link typed by hand.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .. import negotiation, pages
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
        return pages.render(request, "queries.html", queries=list(request.app.state.catalogue))
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
    values = {k: v for k, v in pairs if k not in ("format", "lang")}
    repeated = sorted({k for k, _ in pairs if sum(1 for k2, _ in pairs if k2 == k) > 1})
    try:
        if repeated:
            raise ParameterError(f"parameter '{repeated[0]}' was given more than once")
        bindings = query.bindings(values)
    except ParameterError as error:
        if negotiation.prefers_html(request.headers.get("accept")) and not media_type:
            return await _query_page(request, query, values, error=str(error))
        return error_response(400, str(error))
    if media_type is None and not format_name and negotiation.prefers_html(request.headers.get("accept")):
        return await _query_page(request, query, {k: v for k, v in values.items() if k != "lang"})
    if media_type and not format_name:
        pairs.append(("format", media_type))
    try:
        return await run_sparql(request, query.body, pairs, bindings=bindings,
                                columns=[c.name for c in query.columns] or None)
    except ProtocolError as error:
        return error_response(error.status, error.message, error.headers)


async def _query_page(request: Request, query, values: dict, error: str | None = None) -> Response:
    """A ready-made query for browsers: a form built from its typed parameters, results, downloads."""
    lang = pages.language(request)
    table, status = None, 200
    if error is None and (values or not any(p.required for p in query.params)):
        table, error, status = await pages.results_table(
            request, query.body, bindings=query.bindings(values), columns=[c.name for c in query.columns] or None)
    elif error is not None:
        status = 400
    suffixes = [".ttl", ".nt", ".jsonld"] if query.form == "construct" else [".csv", ".json", ".tsv"]
    downloads = [(s[1:], f"/queries/{query.id}{s}?" + urlencode({k: v for k, v in values.items() if v}))
                 for s in suffixes]
    return pages.render(request, "ready_query.html", status_code=status, query=query, values=values, table=table,
                        error=error, downloads=downloads,
                        title=query.title_id if lang == "id" else query.title,
                        description=query.description_id if lang == "id" else query.description)
