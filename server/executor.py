"""Executor: runs queries in worker processes so that a query past its time limit can really be stopped.

Neither pyoxigraph nor rdflib can cancel a query running in a thread, so each query runs in one of a fixed
pool of worker processes that opened the store directory themselves. The event loop hands a request to an
idle worker and waits for the answer on the worker's pipe; if the time limit passes first, or every
caller waiting for the answer has gone and the query does not end within `ABANDONED_GRACE`, the worker is
killed (its CPU is released at once) and a fresh one is started in the background. Failures are the typed
exceptions of `errors`: a worker raises them, they cross the pipe pickled, and the executor re-raises them;
the executor's own are `QueryTimeout`, `Saturated` (the waiting line is full, or a free worker would come
too late) and `WorkerFailed`.

In front of the workers sit a result cache (the served data never changes while a store directory is
open) and a merge of identical requests in flight, so a burst of the same cold request runs once.
Workers also serialise results (`results`), so only finished bytes cross the pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import socket
import struct
import time
from collections import OrderedDict
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from . import federation, isolation, negotiation, results
from .errors import (
    BadRequest,
    Forbidden,
    NotAcceptable,
    QueryEvaluationError,
    QueryTimeout,
    RequestFailed,
    Saturated,
    WorkerFailed,
)
from .formats import offers
from .query import QueryAnswer, QueryRequest
from .store import DatasetSpec, open_store

_CONTEXT = multiprocessing.get_context("spawn")
#: seconds an abandoned query may still take before its worker is stopped (see `QueryExecutor._reclaim`)
ABANDONED_GRACE = 0.25
#: what workers report for isolation when the store is a remote engine they must reach over the network
REMOTE_ENGINE = "remote-engine (SERVICE refused on a real parse)"
log = logging.getLogger("balikg")


def run_query(
    store, request: QueryRequest, allowlist: list[str] | None = None, service_map: dict[str, str] | None = None
) -> QueryAnswer:
    """Run one request against a store and serialise the answer (workers and the CLI use this).
    Raises a `RequestFailed` for anything the client should hear about."""
    if allowlist and request.own_text:
        text = federation.mapped_own_text(request.query, allowlist, service_map)
    elif allowlist:
        text = federation.checked_text(request.query, allowlist, request.base_iri, service_map)
    else:
        text = request.query
    try:
        answer = store.query(
            text,
            bindings={name: b.to_term() for name, b in request.bindings} or None,
            dataset=DatasetSpec(_listed(request.default_graphs), _listed(request.named_graphs)),
            base_iri=request.base_iri,
        )
    except OSError as error:  # only SERVICE does input or output while a query runs
        raise federation.remote_failure(error) from None
    if request.columns and answer.kind == "bindings":
        answer = _project(answer, list(request.columns))
    available = offers(answer.kind)
    if request.media_types:
        media_type = next((m for m in request.media_types if m in available), None)
    else:
        media_type = negotiation.choose(available, request.accept)
    if media_type is None:
        raise NotAcceptable("none of the requested formats can carry this result; available: " + ", ".join(available))
    try:
        written = results.serialize(answer, media_type, request.max_rows)
    except RequestFailed:
        raise
    except OSError as error:  # a SERVICE call evaluated lazily, while results are pulled
        raise federation.remote_failure(error) from None
    except Exception as error:  # an evaluation error surfaces while results are pulled
        raise QueryEvaluationError(f"query evaluation failed: {error}") from None
    return QueryAnswer(answer.kind, written.media_type, written.body, written.count, written.truncated)


def _listed(graphs: tuple[str, ...] | None) -> list[str] | None:
    return None if graphs is None else list(graphs)


def _project(answer, columns: list[str]):
    """Keep the declared columns (parameters are projected too, for pyoxigraph's substitution)."""
    positions = [answer.variables.index(c) if c in answer.variables else None for c in columns]
    rows = answer.rows
    answer.rows = (tuple(None if i is None else row[i] for i in positions) for row in rows)
    answer.variables = list(columns)
    return answer


def _worker_main(
    connection, engine: str, location, allowlist: list[str], options: dict, service_map: dict[str, str] | None = None
) -> None:
    # Off the network before anything else, unless federation needs it (then `federation` checks each query)
    # or the store itself is reached over the network (then `remote` checks each query).
    if allowlist:
        isolated = "federation-checked"
    elif engine == "remote":
        isolated = REMOTE_ENGINE
    else:
        isolated = isolation.cut_network()
    store = open_store(engine, location, **options)
    connection.send(("ready", store.version, isolated))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            outcome = run_query(store, request, allowlist, service_map)
        except RequestFailed as error:
            outcome = error
        except Exception as error:  # never let one bad query take the worker down silently
            outcome = QueryEvaluationError(f"query evaluation failed: {error}")
        connection.send(outcome)


class _Worker:
    """One worker process and its end of a socket pair.

    The worker speaks `multiprocessing.Connection` framing (a 4-byte big-endian length, or -1 and an
    8-byte length, then a pickle). The event loop reads and writes that framing itself on an asyncio
    stream, so a request costs no thread hop and a large answer is read as it arrives.
    """

    def __init__(
        self, engine: str, location, allowlist: list[str], options: dict, service_map: dict[str, str] | None = None
    ):
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_worker_main, args=(child, engine, location, allowlist, options, service_map), daemon=True
        )
        self.process.start()
        child.close()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        #: the size read from a message's header whose body has not been read yet (a read was cancelled
        #: between the two), so that the next read resumes there instead of taking body bytes for a header
        self._body_size: int | None = None

    async def _stream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None:
            sock = socket.socket(fileno=os.dup(self.connection.fileno()))
            self._reader, self._writer = await asyncio.open_unix_connection(sock=sock, limit=2**20)
        return self._reader, self._writer

    async def send(self, message) -> None:
        _, writer = await self._stream()
        payload = ForkingPickler.dumps(message)
        size = len(payload)
        header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!i", -1) + struct.pack("!Q", size)
        try:
            writer.write(header)
            writer.write(payload)
            await writer.drain()
        except (ConnectionError, OSError):
            raise WorkerFailed("the query worker stopped unexpectedly; try again") from None

    async def receive(self, timeout: float | None):
        async with asyncio.timeout(timeout):  # (wait_for would wrap the read in a task of its own)
            return await self._read_message()

    async def _read_message(self):
        reader, _ = await self._stream()
        try:
            if self._body_size is None:  # (readexactly takes nothing from the stream when it is cancelled)
                (size,) = struct.unpack("!i", await reader.readexactly(4))
                if size == -1:
                    (size,) = struct.unpack("!Q", await reader.readexactly(8))
                self._body_size = size
            body = await reader.readexactly(self._body_size)
            self._body_size = None
            return pickle.loads(body)
        except (asyncio.IncompleteReadError, ConnectionError):
            raise WorkerFailed(
                "the query worker stopped while running this query (it has been replaced); "
                "a query that nests very deeply can do this"
            ) from None

    def _close_stream(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self._close_stream()
        self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
        self._close_stream()
        self.connection.close()


class ResultCache:
    """Answers and deterministic failures kept by request, least recently used first out. Every entry is
    counted at the size of its key plus its body (or message), so the cache never holds more than
    `max_bytes`, whatever mix of large and small, good and bad requests fills it."""

    def __init__(self, max_bytes: int = 64 * 2**20, max_entry_bytes: int = 8 * 2**20):
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: OrderedDict[QueryRequest, tuple[QueryAnswer | RequestFailed, int]] = OrderedDict()
        self.bytes = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, request: QueryRequest) -> QueryAnswer | RequestFailed | None:
        entry = self._entries.get(request)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(request)
        self.hits += 1
        return entry[0]

    def put(self, request: QueryRequest, outcome: QueryAnswer | RequestFailed) -> None:
        body = len(outcome.body) if isinstance(outcome, QueryAnswer) else len(outcome.message)
        size = request.size + body
        if size > self.max_entry_bytes or request in self._entries:
            return
        self._entries[request] = (outcome, size)
        self.bytes += size
        while self.bytes > self.max_bytes and self._entries:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted


#: failures that depend on the request alone, so the same request always fails the same way
_DETERMINISTIC = (BadRequest, Forbidden, NotAcceptable)


class QueryExecutor:
    """A pool of query worker processes over one store: a store directory, or a remote engine's
    `remote.Endpoints` (engine `remote`)."""

    def __init__(
        self,
        location,
        *,
        engine: str = "oxigraph",
        workers: int = 2,
        timeout: float = 10.0,
        max_pending: int = 16,
        allowlist: list[str] | None = None,
        service_map: dict[str, str] | None = None,
        cache_bytes: int = 64 * 2**20,
        start_timeout: float = 300.0,
        store_options: dict | None = None,
    ):
        self.engine = engine
        self.location = location if engine == "remote" else Path(location)
        self.store_options = {"timeout": timeout, **(store_options or {})} if engine == "remote" else {}
        self.size, self.timeout, self.max_pending = workers, timeout, max_pending
        self.allowlist = list(allowlist or [])
        self.service_map = dict(service_map or {})
        self.start_timeout = start_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._pending = 0
        self._background: set[asyncio.Task] = set()  # replacements starting, workers being reclaimed
        self._in_flight: dict[QueryRequest, tuple[asyncio.Task, list[int]]] = {}
        #: how the workers are kept off the network (see `isolation`), as the last one to start reported
        self.isolation: str = "not started"
        self.cache = ResultCache(max_bytes=cache_bytes)
        #: bumped by `forget`, so an answer computed for an earlier data version is never cached
        self.generation = 0

    @property
    def busy(self) -> int:
        return self._pending

    @property
    def worker_pids(self) -> set[int]:
        """The process ids of the live workers (a replacement still starting included)."""
        return {worker.process.pid for worker in self._all if worker.process.is_alive()}

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        if self.isolation not in (isolation.NAMESPACE, REMOTE_ENGINE) and not self.allowlist:
            log.warning(
                "query workers could not be taken off the network (%s); SERVICE is refused by the query guard alone",
                self.isolation,
            )

    async def _spawn(self) -> None:
        worker = _Worker(self.engine, self.location, self.allowlist, self.store_options, self.service_map)
        self._all.add(worker)
        try:
            message = await worker.receive(self.start_timeout)
            if not (isinstance(message, tuple) and message[0] == "ready"):
                raise WorkerFailed(f"query worker failed to start: {message!r}")
        except (TimeoutError, WorkerFailed):
            worker.kill()
            self._all.discard(worker)
            raise
        self.isolation = message[2]
        self._idle.put_nowait(worker)

    async def _respawn(self) -> None:
        """Start a replacement worker, trying again while starting fails (after 1, 2, 4 … up to 30 s), so
        that the pool never stays short of a worker."""
        pause = 1.0
        while True:
            try:
                return await self._spawn()
            except (TimeoutError, WorkerFailed):
                await asyncio.sleep(pause)
                pause = min(2 * pause, 30.0)

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
        for worker in list(self._all):
            worker.stop()
        self._all.clear()

    async def execute(self, request: QueryRequest) -> QueryAnswer:
        """The answer to `request`, from the cache, from an identical request already running, or from a
        worker. Cancelling the caller stops the query once no other caller waits for it."""
        cached = self.cache.get(request)
        if cached is not None:
            if isinstance(cached, RequestFailed):
                raise cached.with_traceback(None)  # a cached failure must not collect a traceback per raise
            return cached
        return await self.run(request)

    async def run(self, request: QueryRequest) -> QueryAnswer:
        """Like `execute`, for a caller that has just looked in the cache itself."""
        task, waiters = self._in_flight.get(request) or self._launch(request)
        waiters[0] += 1
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if waiters[0] == 1 and not task.done():
                task.cancel()
            raise
        finally:
            waiters[0] -= 1

    def _launch(self, request: QueryRequest) -> tuple[asyncio.Task, list[int]]:
        task = asyncio.get_running_loop().create_task(self._run_and_keep(request))
        entry = (task, [0])
        self._in_flight[request] = entry
        task.add_done_callback(lambda _: self._in_flight.pop(request, None))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "exception was never retrieved"
        return entry

    def forget(self) -> None:
        """Empty the result cache (the data version changed); answers still running are not kept."""
        self.generation += 1
        self.cache = ResultCache(max_bytes=self.cache.max_bytes, max_entry_bytes=self.cache.max_entry_bytes)

    async def _run_and_keep(self, request: QueryRequest) -> QueryAnswer:
        generation = self.generation
        try:
            answer = await self._run(request)
        except _DETERMINISTIC as error:
            if generation == self.generation:
                self.cache.put(request, error)
            raise
        remote_answer = self.allowlist and "service" in request.query.lower()  # a remote answer may change
        if generation == self.generation and not remote_answer:
            self.cache.put(request, answer)
        return answer

    async def _run(self, request: QueryRequest) -> QueryAnswer:
        if self._pending >= self.max_pending:
            raise Saturated(f"the endpoint is busy: {self._pending} queries are running or waiting; try again shortly")
        self._pending += 1
        try:
            worker = await self._handed_over(request)
            started = time.monotonic()
            try:
                outcome = await worker.receive(self.timeout)
            except asyncio.CancelledError:
                self._reclaim(worker)  # nobody waits for the answer: free the worker soon
                raise
            except (TimeoutError, WorkerFailed) as error:
                self._replace(worker)
                if isinstance(error, WorkerFailed):
                    raise
                raise QueryTimeout(
                    f"the query ran past the time limit of {self.timeout:g} s and was stopped "
                    f"(after {time.monotonic() - started:.1f} s)"
                ) from None
            self._idle.put_nowait(worker)
            if isinstance(outcome, RequestFailed):
                raise outcome
            return outcome
        finally:
            self._pending -= 1

    async def _handed_over(self, request: QueryRequest) -> _Worker:
        """An idle worker that has accepted `request`, waiting at most the time limit for one to be free.
        A worker found dead before it got the query (killed from outside, e.g. by the kernel's OOM killer)
        is replaced and the next idle one is tried, so the client never sees that failure; one that dies
        while running a query is the query's failure."""
        deadline = time.monotonic() + self.timeout
        for _ in range(self.size + 1):
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):  # (no task, unlike wait_for)
                    worker = await self._idle.get()
            except TimeoutError:
                raise Saturated(
                    f"the endpoint is busy: no query worker became free within {self.timeout:g} s (the time limit of a query)"
                ) from None
            if worker.process.is_alive():
                try:
                    await worker.send(request)
                    return worker
                except WorkerFailed:
                    pass
                except asyncio.CancelledError:
                    self._replace(worker)  # it may have the query: never hand it out again
                    raise
            self._replace(worker)
        raise WorkerFailed("no query worker could be started")

    def _reclaim(self, worker: _Worker) -> None:
        """Take back the worker of an abandoned query: if the query ends within `ABANDONED_GRACE` the worker
        goes back to the pool (its answer unread), otherwise it is stopped and replaced. A query abandoned
        just before its end costs no new worker (starting one costs about a second of CPU); a heavy one is
        still stopped a moment later."""

        async def reclaim() -> None:
            try:
                await worker.receive(ABANDONED_GRACE)
            except (TimeoutError, WorkerFailed):
                self._replace(worker)
                return
            self._idle.put_nowait(worker)

        task = asyncio.get_running_loop().create_task(reclaim())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


class LocalExecutor:
    """Runs queries in this process, for the command line: the same `run_query` as the workers, without the
    pool, the time limit or the cache (a person at a terminal can press Ctrl-C)."""

    def __init__(self, store, allowlist: list[str] | None = None, service_map: dict[str, str] | None = None):
        self.store, self.allowlist, self.service_map = store, list(allowlist or []), dict(service_map or {})

    async def execute(self, request: QueryRequest) -> QueryAnswer:
        return await asyncio.to_thread(run_query, self.store, request, self.allowlist, self.service_map)
