"""The query service: the one way anything in the app runs SPARQL.

The SPARQL endpoint, ready-made queries, pages, entity documents, the ontology, VoID and the home page's
charts all call `QueryService.answer` (or `rows`, its helper for pages). One path, always the same steps:

    check the text (length, nesting, update, SERVICE)  →  executor (cache, merge, worker, time limit)
                                                        →  a typed `QueryAnswer`, or a typed `RequestFailed`

Checking a long text runs in a thread, so the event loop never spends more than a moment on one request.
When an HTTP request is passed in and its answer takes longer than a moment, its client is watched while the
query runs: a client that disconnects stops its query (and frees the worker), unless another client waits
for the same answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import NamedTuple

from fastapi import Request

from . import query_guard
from .errors import BadRequest, PayloadTooLarge, RequestFailed
from .executor import LocalExecutor, QueryExecutor
from .query import Binding, QueryAnswer, QueryRequest, bindings_of
from .settings import Settings

JSON_RESULTS = "application/sparql-results+json"
#: texts longer than this are checked in a thread rather than on the event loop
_CHECK_INLINE_UP_TO = 2_000


class Term(NamedTuple):
    """One value of a result row, as pages use it."""

    type: str  # "uri", "literal", "bnode" or "triple"
    value: str
    lang: str | None = None
    datatype: str | None = None


Row = dict[str, Term]


class ClientGone(RequestFailed):
    """The client disconnected before its answer was ready; the status (nginx's 499) is never read."""

    status = 499


class QueryService:
    def __init__(self, executor: QueryExecutor | LocalExecutor, settings: Settings):
        self.executor = executor
        self.settings = settings

    async def check(self, query: str) -> None:
        """Refuse a text no engine should see (413, 400 or 403)."""
        if len(query) > self.settings.max_query_length:
            raise PayloadTooLarge(f"the query is longer than {self.settings.max_query_length} characters")
        if not query.strip():
            raise BadRequest("the query is empty")
        known, _ = query_guard.remembered(query, self.settings.service_allowlist)
        # a remembered verdict or reading costs a dictionary look-up (the router has usually read the text
        # already, for its prefixes); only a long text never read before goes to a thread
        if known or len(query) <= _CHECK_INLINE_UP_TO or query_guard.is_read(query):
            query_guard.check(query, self.settings.service_allowlist)
        else:
            await asyncio.to_thread(query_guard.check, query, self.settings.service_allowlist)

    async def answer(self, request: QueryRequest, *, client: Request | None = None) -> QueryAnswer:
        """Check, then run `request`; with `client`, stop the query if that client goes away."""
        await self.check(request.query)
        if isinstance(self.executor, QueryExecutor):
            cached = self.executor.cache.get(request)
            if cached is not None:  # answered from memory: nothing to wait for, nothing to watch
                if isinstance(cached, RequestFailed):
                    raise cached.with_traceback(None)
                return cached
            run = self.executor.run  # the cache was just consulted
        else:
            run = self.executor.execute
        if client is None:
            return await run(request)
        return await _unless_disconnected(run(request), client)

    def request(
        self,
        query: str,
        *,
        bindings: dict[str, Binding] | None = None,
        media_type: str | tuple[str, ...] | None = None,
        accept: str | None = None,
        columns: tuple[str, ...] | None = None,
        max_rows: int | None = None,
        **dataset,
    ) -> QueryRequest:
        """A `QueryRequest` with this service's row cap."""
        return QueryRequest(
            query=query,
            media_types=(media_type,) if isinstance(media_type, str) else tuple(media_type or ()),
            accept=accept,
            bindings=bindings_of(bindings),
            max_rows=max_rows or self.settings.max_rows,
            columns=columns,
            **dataset,
        )

    async def rows(
        self,
        query: str,
        bindings: dict[str, Binding] | None = None,
        *,
        columns: tuple[str, ...] | None = None,
        client: Request | None = None,
        own_text: bool = True,
    ) -> list[Row]:
        """A SELECT's rows for a page: variable → `Term`, unbound variables absent. Pages run only this
        server's own texts (`own_text`, see `QueryRequest`)."""
        answer = await self.answer(
            self.request(query, bindings=bindings, media_type=JSON_RESULTS, columns=columns, own_text=own_text),
            client=client,
        )
        return rows_of(answer)


def rows_of(answer: QueryAnswer) -> list[Row]:
    data = json.loads(answer.body)
    return [{name: _term(value) for name, value in binding.items()} for binding in data["results"]["bindings"]]


def _term(value: dict) -> Term:
    if value["type"] == "triple":
        return Term("triple", json.dumps(value["value"]))
    return Term(value["type"], value["value"], value.get("xml:lang"), value.get("datatype"))


#: a query answered within this time is not watched for a disconnected client (watching costs two tasks)
_WATCH_AFTER = 0.05


async def _unless_disconnected(work, client: Request):
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=_WATCH_AFTER)
        if done:
            return task.result()
        watcher = asyncio.ensure_future(_disconnect(client))
        try:
            done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    task.cancel()
    raise ClientGone()


async def _disconnect(client: Request) -> None:
    while True:
        message = await client.receive()
        if message["type"] == "http.disconnect":
            return
