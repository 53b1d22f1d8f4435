"""The SPARQL 1.1 Protocol endpoint at /sparql: strict request parsing, read-only, negotiated results.

Request handling follows the W3C SPARQL 1.1 Protocol: `GET ?query=`, `POST` form-encoded, `POST
application/sparql-query`; `default-graph-uri` / `named-graph-uri` select the dataset. This router only
reads the protocol request; the query service checks and runs the query, and the app's error map answers
every failure: a repeated or missing `query`, a query sent with an update, a body that is not UTF-8, an
empty or relative graph IRI (400); updates and SERVICE off the allowlist (403); the wrong content type
(415); too large (413/414, a body as soon as it passes the limit); syntax errors (400 with the parser's
message and position); nothing acceptable (406); past the time limit or busy (503 with Retry-After).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import answers, formats, negotiation, pages, prefixes, results, service_description
from ..errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotAcceptable,
    PayloadTooLarge,
    QuerySyntaxError,
    UnsupportedMediaType,
    URITooLong,
)
from ..query import QueryRequest, is_absolute_iri
from ..state import state

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
READ_ONLY = "read-only endpoint: SPARQL Update is not accepted here"


def _parse_pairs(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(f"the {where} is not valid percent-encoded UTF-8") from None


def one(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise BadRequest(f"the '{name}' parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def graphs(pairs: list[tuple[str, str]], name: str) -> tuple[str, ...] | None:
    values = [v for k, v in pairs if k == name]
    for value in values:
        if not is_absolute_iri(value):
            raise BadRequest(f"'{name}' must be an absolute IRI, got {value[:200]!r}")
    return tuple(values) or None


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes `limit` bytes, chunked or not."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    return bytes(received)


async def _read_protocol_request(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """The query text (None if absent) and the protocol parameters, whatever the request style."""
    settings = state(request).settings
    if len(request.url.query) > settings.max_query_length * 3 + 2000:
        raise URITooLong(f"the request URL is too long (queries are limited to {settings.max_query_length} characters)")
    url_pairs = _parse_pairs(request.url.query, "URL query string")
    if request.method == "GET":
        query = one(url_pairs, "query")
        if "update" in dict(url_pairs):
            _reject_update(query)
        return query, url_pairs

    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in (FORM, DIRECT, UPDATE):
        if not content_type:
            raise UnsupportedMediaType(f"a POST needs a Content-Type: {FORM} or {DIRECT}")
        raise UnsupportedMediaType(f"unsupported Content-Type {content_type[:100]!r}: use {FORM} or {DIRECT}")
    body = await _body(request, settings.max_body_bytes)
    if content_type == UPDATE:
        raise Forbidden(READ_ONLY)
    if content_type == FORM:
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise BadRequest("a form-encoded body must be ASCII (percent-encoded UTF-8)") from None
        pairs = _parse_pairs(text, "request body")
        if "query" in dict(url_pairs):
            raise BadRequest("the 'query' parameter was given in both the URL and the body; give it once")
        pairs = [*pairs, *url_pairs]
        query = one(pairs, "query")
        if "update" in dict(pairs):
            _reject_update(query)
        return query, pairs
    try:
        query = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    if "query" in dict(url_pairs):
        raise BadRequest("a direct POST carries the query in the body; do not also give 'query' in the URL")
    if "update" in dict(url_pairs):
        _reject_update(query)
    return query, url_pairs


def _reject_update(query: str | None) -> None:
    if query is not None:
        raise BadRequest("a request carries either 'query' or 'update', not both")
    raise Forbidden(READ_ONLY)


#: the parameters clients use to name a result format (Virtuoso `format`, Joseki `output`, others `results`)
FORMAT_PARAMETERS = ("format", "output", "results")


def requested_formats(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    """The media types `format=` (or `output=`, `results=`) names; empty when absent, empty or unknown (then
    Accept decides). The same value given twice counts once; two values naming different formats are a 400."""
    named = {formats.by_name(v) for k, v in pairs if k in FORMAT_PARAMETERS and v.strip()} - {None}
    if len(named) > 1:
        given = sorted({v for k, v in pairs if k in FORMAT_PARAMETERS and formats.by_name(v)})
        raise BadRequest("the format parameters name different formats (" + ", ".join(given[:5]) + "); give one")
    return named.pop() if named else ()


async def run_protocol_query(request: Request, query_request: QueryRequest) -> Response:
    """Run a query the protocol way and build the response (ready-made queries use it too)."""
    kg = state(request)
    tag = answers.etag(kg.dataset.version, query_request)
    cached = answers.not_modified(request, tag)
    if cached is not None:
        await kg.service.check(query_request.query)
        return cached
    answer = await kg.service.answer(query_request, client=request)
    return answers.response(answer, query_request, tag)


def _service_description(request: Request) -> Response:
    kg = state(request)
    offers = formats.offers("graph")
    media_type = negotiation.choose(offers, request.headers.get("accept"))
    if media_type is None:
        raise NotAcceptable("the service description is available as " + ", ".join(offers))
    endpoint = str(request.url.replace(query=""))
    triples = service_description.describe(
        endpoint,
        str(request.url_for("void_description")),
        kg.dataset.named_graphs,
        kg.dataset.triples,
        federation=bool(kg.settings.service_allowlist),
    )
    return Response(
        results.serialize_triples(triples, media_type),
        media_type=formats.content_type(media_type),
        headers={"Vary": "Accept"},
    )


DEFAULT_QUERY = """# bp:, rdfs:, skos: and the other common prefixes are declared by the endpoint.
SELECT ?state ?label ?iso3 WHERE {
  ?state a bp:State ; bp:iso3 ?iso3 ; rdfs:label ?label .
  FILTER (LANG(?label) = "en")
}
ORDER BY ?label
"""


async def _query_page(request: Request, query: str | None, pairs) -> Response:
    """The query page for browsers: editor, examples, and (with a query) the results or the error."""
    table = failure = None
    if query is not None:
        kg = state(request)
        text, added = prefixes.declare(query)
        query_request = kg.service.request(
            text,
            accept=pages.TABLE_FORMATS,
            max_rows=kg.settings.max_html_rows,
            default_graphs=graphs(pairs, "default-graph-uri"),
            named_graphs=graphs(pairs, "named-graph-uri"),
        )
        table, failure = await pages.results_table(request, query_request)
        if isinstance(failure, QuerySyntaxError):
            failure = prefixes.explain(failure, query, added)
    downloads = []
    if query is not None and table is not None:
        downloads = [
            (name, "/sparql?" + urlencode({"query": query, "format": name})) for name in ("csv", "json", "tsv")
        ]
    return await pages.render(
        request,
        "sparql.html",
        status_code=failure.status if failure else 200,
        headers=failure.headers if failure else None,
        query=query or DEFAULT_QUERY,
        table=table,
        error=failure.message if failure else None,
        downloads=downloads,
        examples=state(request).catalogue.available(state(request).settings.service_allowlist),
        share="/sparql?" + urlencode({"query": query or ""}),
        prefixes=sorted(prefixes.PREDECLARED),
        prefix_json=json.dumps(prefixes.PREDECLARED),
        ran=query is not None,
    )


@router.get("/sparql", name="sparql", operation_id="sparql_get")
@router.post("/sparql", operation_id="sparql_post")
async def sparql(request: Request) -> Response:
    query, pairs = await _read_protocol_request(request)
    named = requested_formats(pairs)
    browser = request.method == "GET" and (
        named == (formats.HTML,) or (not named and negotiation.prefers_html(request.headers.get("accept")))
    )
    if query is None:
        if request.method == "POST":
            raise BadRequest("no query: give the 'query' parameter (form) or a query body (direct POST)")
        if browser:
            return await _query_page(request, None, pairs)
        return _service_description(request)
    if browser:
        return await _query_page(request, query, pairs)
    kg = state(request)
    text, added = prefixes.declare(query)
    try:
        return await run_protocol_query(
            request,
            kg.service.request(
                text,
                media_type=named,
                accept=request.headers.get("accept"),
                default_graphs=graphs(pairs, "default-graph-uri"),
                named_graphs=graphs(pairs, "named-graph-uri"),
                base_iri=str(request.url.replace(query="")),
            ),
        )
    except QuerySyntaxError as error:
        raise prefixes.explain(error, query, added) from None


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_wrong_method(request: Request) -> Response:
    raise MethodNotAllowed(f"{request.method} is not supported: query with GET or POST")
