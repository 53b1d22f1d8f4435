"""Errors: every way a request can fail, as a typed exception that knows its HTTP answer.

Anything below the routers (the query service, the executor, the worker processes, the catalogue's
parameter checks) raises one of these; nothing there knows about HTTP responses. The app factory registers
one handler (`install`) that turns each into its answer — status, message, `Retry-After` — negotiated: a
browser gets an HTML error page with the same status, every other client plain text. The exceptions are
plain `Exception` subclasses whose only argument is the message, so they cross the worker pipe pickled.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response


class RequestFailed(Exception):
    """Base of every failure with an HTTP answer; `str(error)` is the message for the client."""

    status = 500
    #: seconds a client should wait before trying again (503s only)
    retry_after: int | None = None

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class BadRequest(RequestFailed):
    """The request is malformed: a protocol parameter, a ready-made query parameter, an IRI."""

    status = 400


class QuerySyntaxError(BadRequest):
    """The query does not parse; the message is the parser's, with its position."""


class QueryTooComplex(BadRequest):
    """The query nests deeper than the parser can safely follow."""


class QueryEvaluationError(BadRequest):
    """The engine refused the query while evaluating it (an unsupported function, a bad argument)."""


class Forbidden(RequestFailed):
    """An update, or a SERVICE call that is not allowed on this endpoint."""

    status = 403


class NotFound(RequestFailed):
    status = 404


class MethodNotAllowed(RequestFailed):
    """A method the endpoint does not take; the answer names the ones it does."""

    status = 405

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": "GET, POST, OPTIONS"}


class NotAcceptable(RequestFailed):
    """None of the formats the client accepts can carry the answer."""

    status = 406


class PayloadTooLarge(RequestFailed):
    """The body, or the query in it, is larger than the configured limit."""

    status = 413

    @property
    def headers(self) -> dict[str, str]:
        # the rest of a refused body is not read: the connection closes after the answer
        return {"Connection": "close"}


class URITooLong(RequestFailed):
    status = 414


class UnsupportedMediaType(RequestFailed):
    status = 415


class BadGateway(RequestFailed):
    """A SPARQL engine this endpoint relies on (the remote store) failed or could not be reached."""

    status = 502


class RemoteServiceFailed(BadGateway):
    """A remote endpoint called with SERVICE refused the connection, broke it or answered with an error."""


class FederationOff(Forbidden):
    """A ready-made query that calls a remote endpoint this server does not federate with."""


class Unavailable(RequestFailed):
    """The query could not be answered now; trying again later may work."""

    status = 503
    retry_after = 2


class QueryTimeout(Unavailable):
    """The query ran past its time limit and was stopped."""

    retry_after = 10


class Saturated(Unavailable):
    """Every worker is busy and the waiting line is full, or the wait would outlast the time limit."""


class WorkerFailed(Unavailable):
    """The worker process running the query died (it has been replaced)."""


def _wants_html(request: Request) -> bool:
    from . import negotiation  # imported here: negotiation and pages sit above this module

    return negotiation.prefers_html(request.headers.get("accept"))


async def response_for(request: Request, error: RequestFailed) -> Response:
    """The answer to `error`: an HTML page for browsers, plain text for everyone else."""
    if _wants_html(request):
        from . import pages  # imported here: pages import this module

        response = await pages.render(
            request, "error.html", status_code=error.status, status=error.status, message=error.message
        )
        response.headers.update(error.headers)
        return response
    return Response(
        error.message.rstrip("\n") + "\n",
        status_code=error.status,
        media_type="text/plain; charset=utf-8",
        headers=error.headers,
    )


def install(app: FastAPI) -> None:
    """Register the one error map on `app`."""

    async def handle(request: Request, error: RequestFailed) -> Response:
        return await response_for(request, error)

    app.add_exception_handler(RequestFailed, handle)
