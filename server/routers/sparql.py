"""The SPARQL 1.1 Protocol endpoint at /sparql: strict request parsing, read-only, negotiated results.

Request handling follows the W3C SPARQL 1.1 Protocol: `GET ?query=`, `POST` form-encoded, `POST
application/sparql-query`; `default-graph-uri` / `named-graph-uri` select the dataset. Client mistakes are
4xx with a plain-text message: a repeated or missing `query`, a query sent with an update (400), bodies that
are not UTF-8 (400), the wrong content type (415), too large (413/414), updates (403, read-only endpoint),
SERVICE calls off the allowlist (403), syntax errors (400 with the parser's message and position),
nothing acceptable (406). Queries run through the executor, which enforces the time limit (503).
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import negotiation, pages, query_guard, results, service_description
from ..executor import QueryExecutor, QueryRequest, QueryTimeout, Saturated, WorkerFailed

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
TEXT = "text/plain; charset=utf-8"


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        self.status, self.message, self.headers = status, message, headers or {}
        super().__init__(message)


def error_response(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status_code=status, media_type=TEXT, headers=headers)


def _parse_pairs(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {where} is not valid percent-encoded UTF-8") from None


def _one(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise ProtocolError(400, f"the '{name}' parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def _all(pairs: list[tuple[str, str]], name: str) -> list[str] | None:
    values = [v for k, v in pairs if k == name]
    return values or None


async def _read_protocol_request(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """The query text (None if absent) and the protocol parameters, whatever the request style."""
    settings = request.app.state.settings
    url_pairs = _parse_pairs(request.url.query, "URL query string")
    if request.method == "GET":
        if len(request.url.query) > settings.max_query_length * 3 + 2000:
            raise ProtocolError(414, f"the request URL is too long (queries are limited to {settings.max_query_length} characters)")
        pairs = url_pairs
        query = _one(pairs, "query")
        if "update" in dict(pairs):
            _reject_update(query)
        return query, pairs

    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_body_bytes:
        raise ProtocolError(413, f"the request body is larger than {settings.max_body_bytes} bytes")
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise ProtocolError(413, f"the request body is larger than {settings.max_body_bytes} bytes")
    if content_type == UPDATE:
        raise ProtocolError(403, "read-only endpoint: SPARQL Update is not accepted here")
    if content_type == FORM:
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise ProtocolError(400, "a form-encoded body must be ASCII (percent-encoded UTF-8)") from None
        pairs = _parse_pairs(text, "request body")
        if "query" in dict(url_pairs):
            raise ProtocolError(400, "the 'query' parameter was given in both the URL and the body; give it once")
        pairs = [*pairs, *url_pairs]
        query = _one(pairs, "query")
        if "update" in dict(pairs):
            _reject_update(query)
        return query, pairs
    if content_type == DIRECT:
        try:
            query = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "the request body is not valid UTF-8") from None
        if "query" in dict(url_pairs):
            raise ProtocolError(400, "a direct POST carries the query in the body; do not also give 'query' in the URL")
        if "update" in dict(url_pairs):
            _reject_update(query)
        return query, url_pairs
    if not content_type:
        raise ProtocolError(415, f"a POST needs a Content-Type: {FORM} or {DIRECT}")
    raise ProtocolError(415, f"unsupported Content-Type {content_type!r}: use {FORM} or {DIRECT}")


def _reject_update(query: str | None) -> None:
    if query is not None:
        raise ProtocolError(400, "a request carries either 'query' or 'update', not both")
    raise ProtocolError(403, "read-only endpoint: SPARQL Update is not accepted here")


def _etag(version: str, query: str, pairs, accept: str | None) -> str:
    digest = hashlib.sha256()
    for part in (version, query, repr(sorted(p for p in pairs if p[0] != "query")), accept or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    return '"' + digest.hexdigest()[:32] + '"'


def _cache_headers(etag: str) -> dict:
    return {"ETag": etag, "Cache-Control": "public, max-age=300", "Vary": "Accept, Accept-Encoding"}


async def run_sparql(request: Request, query: str, pairs, *, bindings: dict | None = None,
                     columns: list[str] | None = None) -> Response:
    """Run a query the protocol way and build the response (shared with ready-made queries)."""
    state = request.app.state
    settings = state.settings
    if len(query) > settings.max_query_length:
        raise ProtocolError(413, f"the query is longer than {settings.max_query_length} characters")
    if not query.strip():
        raise ProtocolError(400, "the query is empty")
    if query_guard.looks_like_update(query):
        raise ProtocolError(403, "read-only endpoint: SPARQL Update is not accepted here")
    try:
        query_guard.check_services(query, settings.service_allowlist)
    except query_guard.ForbiddenQuery as error:
        raise ProtocolError(403, str(error)) from None

    format_name = _one(pairs, "format")
    media_type = None
    if format_name is not None:
        media_type = negotiation.FORMAT_NAMES.get(format_name.lower(), format_name.lower())
    accept = request.headers.get("accept")
    etag = _etag(state.dataset.version, query + repr(sorted((bindings or {}).items())), pairs,
                 f"{accept}|{media_type}")
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=_cache_headers(etag))

    executor: QueryExecutor = state.executor
    try:
        outcome = await executor.execute(QueryRequest(
            query=query, accept=accept, media_type=media_type,
            default_graphs=_all(pairs, "default-graph-uri"), named_graphs=_all(pairs, "named-graph-uri"),
            bindings=bindings or {}, max_rows=settings.max_rows, columns=columns,
        ))
    except QueryTimeout as error:
        raise ProtocolError(503, str(error)) from None
    except Saturated as error:
        raise ProtocolError(503, f"the endpoint is busy: {error}", {"Retry-After": "2"}) from None
    except WorkerFailed as error:
        raise ProtocolError(500, str(error)) from None
    if outcome.status == "syntax":
        raise ProtocolError(400, f"SPARQL syntax error: {outcome.message}")
    if outcome.status == "not-acceptable":
        raise ProtocolError(406, outcome.message)
    if outcome.status != "ok":
        raise ProtocolError(500, outcome.message)
    headers = _cache_headers(etag)
    headers["X-Result-Count"] = str(outcome.count)
    if outcome.truncated:
        headers["X-Result-Truncated"] = f"true; max-rows={settings.max_rows}"
    media = outcome.media_type + ("; charset=utf-8" if outcome.media_type.startswith("text/") else "")
    return Response(outcome.body, media_type=media, headers=headers)


def _service_description(request: Request) -> Response:
    state = request.app.state
    offers = list(results.GRAPH_TYPES)
    media_type = negotiation.choose(offers, request.headers.get("accept"))
    if media_type is None:
        raise ProtocolError(406, "the service description is available as " + ", ".join(offers))
    endpoint = str(request.url.replace(query=""))
    triples = service_description.describe(
        endpoint, str(request.url_for("void_description")),
        state.dataset.named_graphs, state.dataset.triples, federation=bool(state.settings.service_allowlist),
    )
    media = media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
    return Response(results.serialize_triples(triples, media_type), media_type=media,
                    headers={"Vary": "Accept, Accept-Encoding"})


DEFAULT_QUERY = """PREFIX bp:   <https://w3id.org/bali-process-kg/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org:  <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>

SELECT ?state ?label ?iso3 WHERE {
  ?state a bp:State ; bp:iso3 ?iso3 ; rdfs:label ?label .
  FILTER (LANG(?label) = "en")
}
ORDER BY ?label
"""


async def _query_page(request: Request, query: str | None, pairs) -> Response:
    """The query page for browsers: editor, examples, and (with a query) the results or the error."""
    table, error, status = (None, None, 200)
    if query is not None:
        table, error, status = await pages.results_table(
            request, query, default_graphs=_all(pairs, "default-graph-uri"), named_graphs=_all(pairs, "named-graph-uri"))
    downloads = []
    if query is not None and table is not None:
        downloads = [(name, "/sparql?" + urlencode({"query": query, "format": name})) for name in ("csv", "json", "tsv")]
    return pages.render(request, "sparql.html", status_code=status, query=query or DEFAULT_QUERY, table=table,
                        error=error, downloads=downloads, examples=list(request.app.state.catalogue),
                        share="/sparql?" + urlencode({"query": query or ""}))



@router.get("/sparql", name="sparql", operation_id="sparql_get")
@router.post("/sparql", operation_id="sparql_post")
async def sparql(request: Request) -> Response:
    try:
        query, pairs = await _read_protocol_request(request)
        format_name = (_one(pairs, "format") or "").lower()
        browser = request.method == "GET" and (
            format_name == "html" or (not format_name and negotiation.prefers_html(request.headers.get("accept"))))
        if query is None:
            if request.method == "POST":
                raise ProtocolError(400, "no query: give the 'query' parameter (form) or a query body (direct POST)")
            if browser:
                return await _query_page(request, None, pairs)
            return _service_description(request)
        if browser:
            return await _query_page(request, query, pairs)
        return await run_sparql(request, query, pairs)
    except ProtocolError as error:
        return error_response(error.status, error.message, error.headers)


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_wrong_method(request: Request) -> Response:
    return error_response(405, f"{request.method} is not supported: query with GET or POST",
                          {"Allow": "GET, POST, OPTIONS"})
