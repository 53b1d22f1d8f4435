"""Ready-made queries over HTTP: the catalogue at /queries, each query at /queries/{id}, its source at
/queries/{id}.rq. Parameters come from the URL, are checked against their declared types (400 naming the
parameter) and are bound by the engine; results are negotiated like /sparql, and a format suffix
(`.csv`, `.json`, `.tsv`; `.ttl`, `.nt`, `.jsonld` for graphs) picks the format for a link typed by hand.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .. import formats, negotiation, pages
from ..catalogue import ParameterError, ReadyQuery
from ..errors import NotFound
from ..state import state
from .sparql import requested_formats, run_protocol_query

router = APIRouter()

#: the suffixes a ready-made query answers to, by its form
SUFFIXES = {"graph": [".ttl", ".nt", ".jsonld"], "select": [".csv", ".json", ".tsv"], "ask": [".csv", ".json", ".tsv"]}


@router.get("/queries", name="query_catalogue")
async def catalogue(request: Request) -> Response:
    kg = state(request)
    listed = kg.catalogue.available(kg.settings.service_allowlist)
    if negotiation.prefers_html(request.headers.get("accept")):
        return await pages.render(request, "queries.html", queries=listed)
    return JSONResponse(
        {"queries": [q.summary() | {"url": str(request.url_for("ready_query", query_id=q.id))} for q in listed]}
    )


@router.get("/queries/{query_id}", name="ready_query")
async def ready_query(request: Request, query_id: str) -> Response:
    catalogue = state(request).catalogue
    if query_id.endswith(".rq") and catalogue.get(query_id[:-3]):
        return Response(catalogue.get(query_id[:-3]).text, media_type="application/sparql-query; charset=utf-8")
    if query_id.endswith(CSVW_SUFFIX) and catalogue.get(query_id.removesuffix(CSVW_SUFFIX)):
        return await _csv_metadata(request, catalogue.get(query_id.removesuffix(CSVW_SUFFIX)))
    stem, media_type = formats.by_suffix(query_id)
    if media_type is None or catalogue.get(stem) is None:
        stem, media_type = query_id, None
    query = catalogue.get(stem)
    if query is None:
        raise NotFound(f"no ready-made query '{query_id[:200]}'; see /queries")
    query.require_runnable(state(request).settings.service_allowlist)
    pairs = list(request.query_params.multi_items())
    values = {k: v for k, v in pairs if k not in ("format", "lang")}
    wants_page = (
        media_type is None and not dict(pairs).get("format") and negotiation.prefers_html(request.headers.get("accept"))
    )
    try:
        repeated = sorted({k for k, _ in pairs if sum(1 for k2, _ in pairs if k2 == k) > 1})
        if repeated:
            raise ParameterError(f"parameter '{repeated[0]}' was given more than once")
        bindings = query.bindings(values)
    except ParameterError as error:
        if wants_page:  # a form opened without values shows the form, not an error
            return await _query_page(request, query, values, error=error if values else None)
        raise
    if wants_page:
        return await _query_page(request, query, values)
    kg = state(request)
    response = await run_protocol_query(
        request,
        kg.service.request(
            query.body,
            bindings=bindings,
            columns=query.column_names,
            media_type=media_type or requested_formats(pairs),
            accept=request.headers.get("accept"),
            own_text=True,
        ),
    )
    if response.headers.get("content-type", "").startswith("text/csv"):
        described_by = f"/queries/{query.id}{CSVW_SUFFIX}" + (f"?{request.url.query}" if request.url.query else "")
        response.headers["Link"] = f'<{described_by}>; rel="describedby"; type="application/csvm+json"'
    return response


#: W3C CSV on the Web: the metadata of a CSV file is found at the file's URL plus this suffix
CSVW_SUFFIX = ".csv-metadata.json"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: CSVW datatype names for the RDF datatypes a column's values have
CSVW_DATATYPES = {
    XSD + "date": "date",
    XSD + "gYear": "gYear",
    XSD + "integer": "integer",
    XSD + "decimal": "decimal",
    XSD + "boolean": "boolean",
    XSD + "dateTime": "dateTime",
}


async def _csv_metadata(request: Request, query: ReadyQuery) -> Response:
    """CSVW metadata for the CSV of a ready-made query with these parameters: each column's name, meaning and
    datatype (read from the answer itself, so tools such as pandas, R or csvw can type the columns)."""
    if query.form != "select":
        raise NotFound(f"'{query.id}' answers with a graph, not a table; it has no CSV")
    kg = state(request)
    query.require_runnable(kg.settings.service_allowlist)
    values = {k: v for k, v in request.query_params.multi_items() if k not in ("format", "lang")}
    rows = await kg.service.rows(query.body, query.bindings(values), columns=query.column_names, client=request)
    columns = []
    for column in query.columns:
        kinds = {(row[column.name].type, row[column.name].datatype) for row in rows if column.name in row}
        if kinds and all(kind == "uri" for kind, _ in kinds):
            datatype = "anyURI"
        elif len(kinds) == 1 and next(iter(kinds))[1] in CSVW_DATATYPES:
            datatype = CSVW_DATATYPES[next(iter(kinds))[1]]
        else:
            datatype = "string"
        columns.append(
            {
                "name": column.name,
                "titles": column.name,
                "dc:description": column.description,
                "datatype": datatype,
                "required": len(rows) > 0 and all(column.name in r for r in rows),
            }
        )
    csv_url = f"{query.id}.csv" + (f"?{request.url.query}" if request.url.query else "")
    metadata = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": csv_url,
        "dc:title": query.title,
        "dc:description": query.description,
        "dc:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "dialect": {"header": True, "lineTerminators": ["\r\n"]},
        "tableSchema": {"columns": columns},
    }
    return JSONResponse(metadata, media_type="application/csvm+json")


async def _query_page(
    request: Request, query: ReadyQuery, values: dict, error: ParameterError | None = None
) -> Response:
    """A ready-made query for browsers: a form built from its typed parameters, results, downloads. A
    required parameter left empty shows the form (with the example filled in), not an error."""
    kg = state(request)
    lang = pages.language(request)
    table = failure = None
    missing = [p for p in query.params if p.required and p.default is None and not values.get(p.name)]
    if error is None and missing and not values:  # a card opened from the gallery: run it on its examples
        values = {p.name: p.example for p in missing}
        missing = []
    if error is not None:
        failure = error
    elif not missing:
        table, failure = await pages.results_table(
            request,
            kg.service.request(
                query.body,
                bindings=query.bindings(values),
                columns=query.column_names,
                accept=pages.TABLE_FORMATS,
                max_rows=kg.settings.max_html_rows,
                own_text=True,
            ),
        )
    downloads = [
        (s[1:], f"/queries/{query.id}{s}?" + urlencode({k: v for k, v in values.items() if v}))
        for s in SUFFIXES[query.form]
    ]
    return await pages.render(
        request,
        "ready_query.html",
        status_code=failure.status if failure else 200,
        headers=failure.headers if failure else None,
        query=query,
        values=values,
        table=table,
        error=failure.message if failure else None,
        missing=missing,
        downloads=downloads,
        title=query.title_id if lang == "id" else query.title,
        description=query.description_id if lang == "id" else query.description,
    )
