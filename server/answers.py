"""Answers: how a `QueryAnswer` becomes an HTTP response, the same for /sparql and ready-made queries.

The response carries the serialised bytes with their content type, `X-Result-Count`, `X-Result-Truncated`
when the row cap cut the answer short, and validators for HTTP caches: an `ETag` derived from the data
version and everything that decides the answer (the `QueryRequest`), so a repeated request with
`If-None-Match` gets 304 without running anything.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from fastapi import Request
from fastapi.responses import Response

from .formats import content_type
from .query import QueryAnswer, QueryRequest


@lru_cache(maxsize=512)  # repeated requests (ready-made queries, pages) skip hashing their text again
def etag(version: str, request: QueryRequest) -> str:
    digest = hashlib.sha256(version.encode() + b"\0" + repr(request).encode())
    return '"' + digest.hexdigest()[:32] + '"'


def cache_headers(tag: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": "public, max-age=300", "Vary": "Accept"}


def not_modified(request: Request, tag: str) -> Response | None:
    """304 when the client already holds this answer."""
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=cache_headers(tag))
    return None


def response(answer: QueryAnswer, request: QueryRequest, tag: str) -> Response:
    headers = cache_headers(tag)
    headers["X-Result-Count"] = str(answer.count)
    if answer.truncated:
        headers["X-Result-Truncated"] = f"true; max-rows={request.max_rows}"
    return Response(answer.body, media_type=content_type(answer.media_type), headers=headers)
