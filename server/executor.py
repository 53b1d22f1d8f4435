"""Executor: runs queries in worker processes so that a query past its time limit can really be stopped.

Neither pyoxigraph nor rdflib can cancel a query running in a thread, so each query runs in one of a fixed
pool of worker processes that opened the store directory themselves. The event loop hands a request to an
idle worker and waits for the answer on the worker's pipe; if the time limit passes first, the worker is
killed (its CPU is released at once), a fresh one is started in the background, and the caller gets
`QueryTimeout`. When every worker is busy and the waiting line is full, `Saturated` is raised at once so
the endpoint can answer 503 with Retry-After instead of piling up requests.

Workers also serialise results (`results`), so only finished bytes cross the pipe.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import socket
import struct
import time
from dataclasses import dataclass, field
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from . import negotiation, results
from .store import DatasetSpec, QuerySyntaxError, open_store

_CONTEXT = multiprocessing.get_context("spawn")


class QueryTimeout(Exception):
    pass


class Saturated(Exception):
    pass


class WorkerFailed(Exception):
    pass


@dataclass
class QueryRequest:
    query: str
    accept: str | None = None
    #: a media type chosen by `format=`, which overrides Accept
    media_type: str | None = None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    #: variable name → (kind, value, language, datatype); kind is "iri" or "literal"
    bindings: dict[str, tuple] = field(default_factory=dict)
    max_rows: int = 10_000
    #: keep only these result variables, in this order (ready-made queries' declared columns)
    columns: list[str] | None = None


@dataclass
class QueryOutcome:
    status: str  # "ok", "syntax", "not-acceptable", "error"
    media_type: str | None = None
    body: bytes = b""
    truncated: bool = False
    count: int = 0
    message: str = ""
    kind: str | None = None  # "bindings", "boolean" or "graph"


def offers_for(kind: str) -> list[str]:
    return list(results.GRAPH_TYPES if kind == "graph" else results.BINDINGS_TYPES)


def run_query(store, request: QueryRequest) -> QueryOutcome:
    """Run one request against a store and serialise the answer (used by workers and by the CLI)."""
    import pyoxigraph as ox

    bindings = {
        name: ox.NamedNode(value) if kind == "iri"
        else ox.Literal(value, language=lang) if lang
        else ox.Literal(value, datatype=ox.NamedNode(datatype))
        for name, (kind, value, lang, datatype) in request.bindings.items()
    }
    try:
        answer = store.query(request.query, bindings=bindings or None,
                             dataset=DatasetSpec(request.default_graphs, request.named_graphs))
    except QuerySyntaxError as error:
        return QueryOutcome("syntax", message=str(error))
    if request.columns and answer.kind == "bindings":
        answer = _project(answer, request.columns)
    offers = offers_for(answer.kind)
    if request.media_type is not None:
        media_type = request.media_type if request.media_type in offers else None
    else:
        media_type = negotiation.choose(offers, request.accept)
    if media_type is None:
        return QueryOutcome("not-acceptable", kind=answer.kind,
                            message="none of the requested formats can carry this result; available: " + ", ".join(offers))
    try:
        written = results.serialize(answer, media_type, request.max_rows)
    except Exception as error:  # an evaluation error surfaces while results are pulled
        return QueryOutcome("error", message=f"query evaluation failed: {error}")
    return QueryOutcome("ok", media_type=written.media_type, body=written.body, truncated=written.truncated,
                        count=written.count, kind=answer.kind)


def _project(answer, columns: list[str]):
    """Keep the declared columns (parameters are projected too, for pyoxigraph's substitution)."""
    positions = [answer.variables.index(c) if c in answer.variables else None for c in columns]
    rows = answer.rows
    answer.rows = (tuple(None if i is None else row[i] for i in positions) for row in rows)
    answer.variables = list(columns)
    return answer


def _worker_main(connection, engine: str, directory: str) -> None:
    store = open_store(engine, Path(directory))
    connection.send(("ready", store.version))
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            outcome = run_query(store, request)
        except Exception as error:  # never let one bad query take the worker down silently
            outcome = QueryOutcome("error", message=f"query evaluation failed: {error}")
        connection.send(outcome)


class _Worker:
    """One worker process and its end of a socket pair.

    The worker speaks `multiprocessing.Connection` framing (a 4-byte big-endian length, or -1 and an
    8-byte length, then a pickle). The event loop reads and writes that framing itself on an asyncio
    stream, so a request costs no thread hop and a large answer is read as it arrives.
    """

    def __init__(self, engine: str, directory: Path):
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_worker_main, args=(child, engine, str(directory)), daemon=True)
        self.process.start()
        child.close()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

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
            raise WorkerFailed("the query worker stopped unexpectedly") from None

    async def receive(self, timeout: float | None):
        return await asyncio.wait_for(self._read_message(), timeout)

    async def _read_message(self):
        reader, _ = await self._stream()
        try:
            (size,) = struct.unpack("!i", await reader.readexactly(4))
            if size == -1:
                (size,) = struct.unpack("!Q", await reader.readexactly(8))
            return pickle.loads(await reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError):
            raise WorkerFailed("the query worker stopped unexpectedly") from None

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
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
        self._close_stream()
        self.connection.close()


class ResultCache:
    """Answers kept by request: the served data never changes while a store directory is open, so the
    same request always has the same answer. Least recently used entries go first; the cache holds at
    most `max_bytes` of bodies and never a body larger than `max_entry_bytes`."""

    def __init__(self, max_bytes: int = 128 * 2**20, max_entry_bytes: int = 8 * 2**20):
        from collections import OrderedDict

        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: "OrderedDict[tuple, QueryOutcome]" = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    @staticmethod
    def key(request: QueryRequest) -> tuple:
        return (request.query, request.accept, request.media_type, tuple(request.default_graphs or ()),
                None if request.named_graphs is None else tuple(request.named_graphs),
                tuple(sorted(request.bindings.items())), request.max_rows,
                None if request.columns is None else tuple(request.columns))

    def get(self, request: QueryRequest) -> QueryOutcome | None:
        outcome = self._entries.get(self.key(request))
        if outcome is None:
            self.misses += 1
            return None
        self._entries.move_to_end(self.key(request))
        self.hits += 1
        return outcome

    def put(self, request: QueryRequest, outcome: QueryOutcome) -> None:
        if outcome.status not in ("ok", "syntax", "not-acceptable") or len(outcome.body) > self.max_entry_bytes:
            return
        key = self.key(request)
        if key in self._entries:
            return
        self._entries[key] = outcome
        self._bytes += len(outcome.body)
        while self._bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)


class QueryExecutor:
    """A pool of query worker processes over one store directory."""

    def __init__(self, directory: Path, *, engine: str = "oxigraph", workers: int = 2, timeout: float = 10.0,
                 max_pending: int = 16, start_timeout: float = 300.0):
        self.directory, self.engine = Path(directory), engine
        self.size, self.timeout, self.max_pending = workers, timeout, max_pending
        self.start_timeout = start_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._pending = 0
        self._respawns: set[asyncio.Task] = set()
        self.version: str | None = None
        self.cache = ResultCache()

    @property
    def busy(self) -> int:
        return self._pending

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def _spawn(self) -> None:
        worker = _Worker(self.engine, self.directory)
        self._all.add(worker)
        try:
            message = await worker.receive(self.start_timeout)
            if not (isinstance(message, tuple) and message[0] == "ready"):
                raise WorkerFailed(f"query worker failed to start: {message!r}")
        except (WorkerFailed, asyncio.TimeoutError):
            worker.kill()
            self._all.discard(worker)
            raise
        self.version = message[1]
        self._idle.put_nowait(worker)

    async def _respawn(self) -> None:
        """Start a replacement worker, trying again while starting fails (after 1, 2, 4 … up to 30 s), so
        that the pool never stays short of a worker."""
        pause = 1.0
        while True:
            try:
                return await self._spawn()
            except (WorkerFailed, asyncio.TimeoutError):
                await asyncio.sleep(pause)
                pause = min(2 * pause, 30.0)

    async def stop(self) -> None:
        for task in self._respawns:
            task.cancel()
        for worker in list(self._all):
            worker.stop()
        self._all.clear()

    async def execute(self, request: QueryRequest) -> QueryOutcome:
        cached = self.cache.get(request)
        if cached is not None:
            return cached
        outcome = await self._run(request)
        self.cache.put(request, outcome)
        return outcome

    async def _run(self, request: QueryRequest) -> QueryOutcome:
        if self._pending >= self.max_pending:
            raise Saturated(f"{self._pending} queries are running or waiting; try again shortly")
        self._pending += 1
        try:
            worker = await self._handed_over(request)
            started = time.monotonic()
            try:
                outcome = await worker.receive(self.timeout)
            except (asyncio.TimeoutError, WorkerFailed) as error:
                self._replace(worker)
                if isinstance(error, WorkerFailed):
                    raise
                raise QueryTimeout(
                    f"the query ran past the time limit of {self.timeout:g} s and was stopped "
                    f"(after {time.monotonic() - started:.1f} s)"
                ) from None
            self._idle.put_nowait(worker)
            return outcome
        finally:
            self._pending -= 1

    async def _handed_over(self, request: QueryRequest) -> _Worker:
        """An idle worker that has accepted `request`. A worker found dead before it got the query (killed
        from outside, e.g. by the kernel's OOM killer) is replaced and the next idle one is tried, so the
        client never sees that failure; one that dies while running a query is the query's failure."""
        for _ in range(self.size + 1):
            worker = await self._idle.get()
            if worker.process.is_alive():
                try:
                    await worker.send(request)
                    return worker
                except WorkerFailed:
                    pass
            self._replace(worker)
        raise WorkerFailed("no query worker could be started")

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._respawns.add(task)
        task.add_done_callback(self._respawns.discard)
