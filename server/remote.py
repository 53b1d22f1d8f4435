"""The remote store: the served graph kept in an existing SPARQL engine (Oxigraph server, Virtuoso …).

`balikg load --to URL` validates the graph as `serve` does, then pushes it into the engine; `balikg serve
--store URL` answers every route from that engine. Both speak only the SPARQL 1.1 Protocol, Update and
(for loading) a quads POST to the Graph Store endpoint, so any engine that speaks them can hold the data.

**Layout on the engine: versioned graphs behind one pointer.** A load writes every graph of the new
version under its own versioned name (`…/engine/version/<version>/<public IRI>`, so they sort as the public
names do, and `…/<version>/union` for the union default graph, materialised), where no query looks, and its record (a JSON literal) in `META_GRAPH`;
then it moves the pointer, one triple in `META_GRAPH`: the new pointer is inserted, then the old one
deleted, so a reader sees the old version, the new one, or for an instant both (and takes the newer) —
never a missing or half-written version, on any engine.
The record maps each public graph IRI (`…/graph/<name>`, `…/def`) to its versioned name. Every query is
sent with that mapping applied: the dataset made explicit (`default-graph-uri` the version's union,
`named-graph-uri` its graphs, or the client's own protocol parameters mapped), the IRIs the text names
after GRAPH, FROM and FROM NAMED mapped, and graph IRIs in the answer mapped back, so users only ever see
the public names. The engine keeps the previous version too: a worker that has not yet read the new
pointer answers wholly from the previous version, and publishing the previous data again only moves the
pointer back (an instant roll-back). Older versions are dropped after the switch. A load that fails or
does not validate leaves the served version untouched (what it wrote is dropped). Every replica reads the
version from the engine (at start, then at most every `store_poll_seconds`), and it is part of the ETag
and of the result cache's life: a new version empties the cache.

Limits of the mapping: a graph IRI that reaches a GRAPH pattern through a variable bound in the query text
(VALUES, BIND) is not mapped — name it after GRAPH, or use the protocol's `named-graph-uri`; and string
functions over a graph variable (`STR(?g)` in a FILTER) see the engine's versioned name, which ends with
the public IRI. Answers show the public names.

**Safety.** The query guard and the read-only rule run before anything reaches the engine, as for the
embedded store; the engine's network cannot be cut from here, so a query that mentions SERVICE is refused
in the worker as well unless federation is configured (then `federation` has already checked it).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from . import federation, query_guard
from .errors import BadGateway, QueryEvaluationError, QuerySyntaxError
from .store import DatasetSpec, QueryResult
from .substitution import substitute

log = logging.getLogger("balikg")

ENGINE_NS = "https://w3id.org/bali-process-kg/engine/"
META_GRAPH = ENGINE_NS + "meta"
META_SUBJECT = ENGINE_NS + "current"
#: the pointer: `<META_SUBJECT> <POINTER> <record of the served version>`
POINTER = ENGINE_NS + "serves"
#: in a version's record: its union graph (so one query can follow the pointer to the data)
UNION_POINTER = ENGINE_NS + "unionGraph"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
#: what is asked of the engine: the form is known from our own parse (some engines answer a CONSTRUCT with
#: a results table if that is what the Accept header prefers)
_ACCEPT_RESULTS = "application/sparql-results+json"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
#: triples per SPARQL Update request when an engine is loaded without a Graph Store endpoint
UPDATE_BATCH = 1_000
#: triples per request holding blank nodes (sent as INSERT … WHERE {}, which Virtuoso turns into SQL of
#: bounded length)
BLANK_NODE_BATCH = 200


class EngineEmpty(Exception):
    """The engine holds no version of the graph yet (nothing was loaded with `balikg load --to`)."""


@dataclass(frozen=True)
class Endpoints:
    """Where an engine takes queries, updates and (optionally) quads.

    An Oxigraph server is named by its base URL (`http://127.0.0.1:7878`): queries go to `/query`, updates
    to `/update`, quads to `/store`. Any other engine is named by its query URL (Virtuoso:
    `http://host:8890/sparql`); updates go to the same URL unless `update` names another, and without a
    `graph_store` URL a load writes by batched SPARQL Update.
    """

    query: str
    update: str
    graph_store: str | None
    flavour: Literal["oxigraph", "sparql"]

    @classmethod
    def parse(cls, url: str, update: str | None = None, graph_store: str | None = None) -> Endpoints:
        for candidate in (url, update, graph_store):
            if candidate is None:
                continue
            parts = urlsplit(candidate)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {candidate!r}")
        if urlsplit(url).path in ("", "/"):
            base = url.rstrip("/")
            return cls(base + "/query", update or base + "/update", graph_store or base + "/store", "oxigraph")
        return cls(url, update or url, graph_store, "sparql")

    def describe(self) -> str:
        return self.query if self.flavour == "sparql" else self.query.rsplit("/", 1)[0]


def _authorization() -> dict[str, str]:
    """Basic credentials from BALIKG_STORE_USER / BALIKG_STORE_PASSWORD, if set (never logged)."""
    user, password = os.environ.get("BALIKG_STORE_USER"), os.environ.get("BALIKG_STORE_PASSWORD")
    if not user:
        return {}
    token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class EngineClient:
    """HTTP to one engine over kept-alive connections (one per host), for a single thread."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}
        self._headers = _authorization()

    def send(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None):
        """(status, content type, body). A broken kept-alive connection is retried once on a new one;
        anything else that keeps the engine from answering is a `BadGateway`."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in range(2):
            reused = key in self._connections
            connection = self._connections.get(key) or self._connect(parts)
            self._connections[key] = connection
            try:
                connection.request(method, target, body=body, headers={**self._headers, **(headers or {})})
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.close(key)
                if reused and attempt == 0 and not isinstance(error, TimeoutError):
                    continue
                raise BadGateway(f"the SPARQL engine at {parts.netloc} could not be reached: {error}") from None
            if response.will_close:
                self.close(key)
            return response.status, response.getheader("Content-Type", ""), data
        raise AssertionError("unreachable")

    def _connect(self, parts) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        return kind(parts.hostname, parts.port, timeout=self.timeout)

    def close(self, key=None) -> None:
        for k in [key] if key else list(self._connections):
            connection = self._connections.pop(k, None)
            if connection is not None:
                connection.close()


def _form(pairs: list[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
    return urlencode(pairs).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def select(client: EngineClient, endpoints: Endpoints, text: str) -> list[dict]:
    """The rows (SPARQL JSON bindings) of a bookkeeping query, run on the engine's own dataset."""
    body, headers = _form([("query", text)])
    status, _, data = client.send(
        "POST", endpoints.query, body, {**headers, "Accept": "application/sparql-results+json"}
    )
    if status != 200:
        raise BadGateway(f"the SPARQL engine answered {status} to a bookkeeping query: {_excerpt(data)}")
    return json.loads(data)["results"]["bindings"]


def version_prefix(version: str) -> str:
    """Where a version's graphs live on the engine."""
    return f"{ENGINE_NS}version/{version}/"


def record_iri(version: str) -> str:
    """The subject of a version's record in `META_GRAPH` (its graphs' prefix without the slash)."""
    return f"{ENGINE_NS}version/{version}"


def read_engine_meta(client: EngineClient, endpoints: Endpoints) -> dict | None:
    """The record of the version the pointer names, or None if the engine holds none. While a load moves
    the pointer it may name two versions for an instant; both are complete, and the later one is taken."""
    text = (
        f"SELECT ?meta WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_SUBJECT}> <{POINTER}> ?version . "
        f"?version <{RDF_VALUE}> ?meta }} }}"
    )
    records = [json.loads(row["meta"]["value"]) for row in select(client, endpoints, text)]
    return max(records, key=lambda r: r.get("published", "")) if records else None


def read_record(client: EngineClient, endpoints: Endpoints, version: str) -> dict | None:
    """A version's record, if the engine keeps that version (served or not)."""
    text = f"SELECT ?meta WHERE {{ GRAPH <{META_GRAPH}> {{ <{record_iri(version)}> <{RDF_VALUE}> ?meta }} }}"
    rows = select(client, endpoints, text)
    return json.loads(rows[0]["meta"]["value"]) if rows else None


def update(client: EngineClient, endpoints: Endpoints, text: str) -> None:
    body, headers = _form([("update", text)])
    status, _, data = client.send("POST", endpoints.update, body, headers)
    if status >= 300:
        raise BadGateway(f"the SPARQL engine refused an update ({status}): {_excerpt(data)}")


def _excerpt(data: bytes, limit: int = 2_000) -> str:
    return data.decode("utf-8", errors="replace").strip()[:limit]


_SERVICE_WORD = re.compile(r"service", re.IGNORECASE)


class RemoteStore:
    """The store seam's remote implementation: queries go to the engine over HTTP; results come back as
    the same engine-neutral `QueryResult` the embedded engines give, so one serializer serves all."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        allowlist: list[str] | None = None,
        timeout: float = 10.0,
        poll_seconds: float = 2.0,
    ):
        self.endpoints, self.allowlist = endpoints, list(allowlist or [])
        self.timeout, self.poll_seconds = timeout, poll_seconds
        # the engine gets a little longer than our own limit, which the executor enforces
        self.client = EngineClient(timeout + 5)
        #: an empty in-memory store, only to parse queries (evaluating over no data costs next to nothing)
        self._parser = ox.Store()
        self._meta: dict = {}
        self._read_at = 0.0
        self.refresh()

    @property
    def version(self) -> str:
        return self._meta["version"]

    @property
    def meta(self) -> dict:
        return self._meta

    def refresh(self) -> dict:
        meta = read_engine_meta(self.client, self.endpoints)
        if meta is None:
            raise EngineEmpty(
                f"the SPARQL engine at {self.endpoints.describe()} holds no version of the graph; "
                "load one with `balikg load --to URL`"
            )
        self._meta, self._read_at = meta, time.monotonic()
        return meta

    def _current(self) -> dict:
        if time.monotonic() - self._read_at > self.poll_seconds:
            self.refresh()
        return self._meta

    def query(self, sparql, *, bindings=None, dataset=None, base_iri=None) -> QueryResult:
        text = substitute(sparql, bindings) if bindings else sparql
        mentions_service = _SERVICE_WORD.search(query_guard.decode_escapes(text)) is not None
        if self.allowlist and mentions_service:
            # `federation` has checked and rewritten it; pyoxigraph's parser would call an allowlisted
            # SERVICE while planning, so the kind of answer is read from the text
            kind = _kind_of(text)
        else:
            if mentions_service:
                federation.refuse_services(text, base_iri)  # a second parser's check, beside the guard's
            try:  # parsed here first, so every store gives the same syntax errors at the same positions
                parsed = self._parser.query(text, base_iri=base_iri)
            except SyntaxError as error:
                raise QuerySyntaxError(f"SPARQL syntax error: {error}") from None
            kinds = {ox.QueryTriples: "graph", ox.QueryBoolean: "boolean"}
            kind = kinds.get(type(parsed), "bindings")
        meta = self._current()
        sent_dataset = self._dataset(text, dataset, meta)  # before the rewrite: the guard's reading is reused
        text = versioned_text(text, meta["graphs"])
        pairs = [("query", f"BASE <{base_iri}>\n{text}" if base_iri else text), *sent_dataset]
        if self.endpoints.flavour == "sparql":
            pairs.append(("timeout", str(int(self.timeout * 1000))))  # Virtuoso's per-query limit, in ms
        body, headers = _form(pairs)
        status, content_type, data = self.client.send(
            "POST",
            self.endpoints.query,
            body,
            {**headers, "Accept": _ACCEPT_GRAPH if kind == "graph" else _ACCEPT_RESULTS},
        )
        if status == 400:
            raise QueryEvaluationError(f"the SPARQL engine refused the query: {_excerpt(data)}")
        if status != 200:
            raise BadGateway(f"the SPARQL engine answered {status}: {_excerpt(data, 500)}")
        result = _result(content_type, data, {v: ox.NamedNode(k) for k, v in meta["graphs"].items()})
        if kind == "boolean" and result.kind == "bindings":
            # some engines (Virtuoso) answer ASK as one row holding 1 or 0
            first = next(iter(result.rows), None)
            value = first[0] if first else None
            return QueryResult(kind="boolean", boolean=value is not None and value.value in ("1", "true"))
        return result

    def _dataset(self, text: str, dataset: DatasetSpec | None, meta: dict) -> list[tuple[str, str]]:
        """The dataset sent with a query, as the protocol's parameters (see the module's docstring)."""
        graphs = meta["graphs"]
        if dataset is not None and dataset.given:
            defaults = [graphs.get(g, g) for g in dataset.default_graphs or []] or [meta["union"]]
            pairs = [("default-graph-uri", g) for g in defaults]
            return pairs + [("named-graph-uri", graphs.get(g, g)) for g in dataset.named_graphs or []]
        if any(t.kind == "keyword" and t.text.upper() == "FROM" for t in query_guard.read(text).tokens):
            return []
        return [("default-graph-uri", meta["union"]), *(("named-graph-uri", g) for g in graphs.values())]


def versioned_text(text: str, graphs: dict[str, str]) -> str:
    """`text` with the IRI after each GRAPH, FROM and FROM NAMED replaced by its versioned name, where it
    names a public graph (written as an IRI or a prefixed name). Escapes are decoded, as SPARQL reads them."""
    decoded = query_guard.decode_escapes(text)
    tokens = query_guard.read(text).tokens
    prefixes: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []
    for i, token in enumerate(tokens):
        word = token.text.upper() if token.kind == "keyword" else ""
        if word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1].kind == "name" and tokens[i + 2].kind == "iri":
            prefixes[tokens[i + 1].text[:-1]] = tokens[i + 2].text[1:-1]
        if word not in ("GRAPH", "FROM", "NAMED") or i + 1 >= len(tokens):
            continue
        target = tokens[i + 1]
        if target.kind == "iri":
            iri = target.text[1:-1]
        elif target.kind == "name" and ":" in target.text:
            prefix, _, local = target.text.partition(":")
            iri = prefixes.get(prefix, "\0") + local
        else:
            continue
        if iri in graphs and target.start >= 0:
            edits.append((target.start, target.start + len(target.text), f"<{graphs[iri]}>"))
    for start, end, replacement in sorted(edits, reverse=True):
        decoded = decoded[:start] + replacement + decoded[end:]
    return decoded


def _kind_of(text: str) -> str:
    """The kind of answer a query text asks for, from its first query-form keyword (for a text already
    parsed): "graph", "boolean" or "bindings"."""
    for token in query_guard.read(text).tokens:
        word = token.text.upper() if token.kind == "keyword" else ""
        if word in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
        if word == "ASK":
            return "boolean"
        if word == "SELECT":
            return "bindings"
    return "bindings"


def _result(content_type: str, data: bytes, public: dict[str, ox.NamedNode]) -> QueryResult:
    """The engine's answer as an engine-neutral result, versioned graph names mapped back to `public`."""

    def shown(term):
        return public.get(term.value, term) if isinstance(term, ox.NamedNode) else term

    media_type = content_type.split(";")[0].strip().lower()
    results_format = ox.QueryResultsFormat.from_media_type(media_type)
    if results_format is not None:
        answer = ox.parse_query_results(data, format=results_format)
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(kind="boolean", boolean=bool(answer))
        variables = [v.value for v in answer.variables]
        return QueryResult(
            kind="bindings", variables=variables, rows=(tuple(shown(s[v]) for v in variables) for s in answer)
        )
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    if rdf_format is None:
        raise BadGateway(f"the SPARQL engine answered in an unexpected format: {content_type or 'none given'}")
    triples = [
        ox.Triple(shown(q.subject), shown(q.predicate), shown(q.object)) for q in ox.parse(data, format=rdf_format)
    ]
    return QueryResult(kind="graph", triples=iter(triples))
