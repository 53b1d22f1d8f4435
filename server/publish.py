"""Publishing a validated dataset into a remote SPARQL engine (`balikg load --to URL`).

The dataset arrives prepared — loaded, validated, written to its store directory — so nothing that failed
validation can reach the engine. Publishing writes the new version's graphs under versioned names beside
the served version, then moves the pointer (the version record) in one SPARQL Update operation; see
`remote` for the layout. The served version stays untouched until that operation succeeds, and a failed
publication drops what it wrote. The previous version is kept, so publishing it again is only a pointer
move; versions older than that are dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .dataset import ServedDataset
from .errors import BadGateway
from .remote import (
    BLANK_NODE_BATCH,
    ENGINE_NS,
    META_GRAPH,
    META_SUBJECT,
    POINTER,
    RDF_JSON,
    RDF_VALUE,
    UNION_POINTER,
    UPDATE_BATCH,
    Endpoints,
    EngineClient,
    read_engine_meta,
    read_record,
    record_iri,
    select,
    update,
    version_prefix,
)
from .store import OXIGRAPH_DIR, read_meta

log = logging.getLogger("balikg")


@dataclass(frozen=True)
class Publication:
    version: str
    previous: str | None
    changed: bool
    triples: int


def publish(dataset: ServedDataset, endpoints: Endpoints, timeout: float = 600.0) -> Publication:
    """Make `dataset` the version the engine serves; a no-op if it already is."""
    client = EngineClient(timeout)
    try:
        current = read_engine_meta(client, endpoints)
        previous = current["version"] if current else None
        if previous == dataset.version:
            return Publication(dataset.version, previous, False, dataset.triples)
        record = read_record(client, endpoints, dataset.version)  # kept on the engine: a roll-back
        if record is None:
            meta = read_meta(dataset.directory)
            prefix = version_prefix(dataset.version)
            record = {
                **{k: meta[k] for k in ("triples", "named_graphs", "data_graphs")},
                "version": dataset.version,
                # the public IRI inside the versioned name, so graphs sort on the engine as their names do
                "graphs": {graph: f"{prefix}{graph}" for graph in meta["named_graphs"]},
                "union": f"{prefix}union",
            }
            _drop(client, endpoints, _graphs_under(client, endpoints, prefix))  # left by a load cut off
            try:
                _write(client, endpoints, dataset.directory, record)
            except BaseException:
                _drop(client, endpoints, _graphs_under(client, endpoints, prefix))
                raise
        record = {**record, "published": dt.datetime.now(dt.UTC).isoformat()}
        update(client, endpoints, _move_pointer(record, previous, read_record(client, endpoints, dataset.version)))
        _drop_versions_but(client, endpoints, {dataset.version, previous})
        return Publication(dataset.version, previous, True, dataset.triples)
    finally:
        client.close()


def _move_pointer(record: dict, previous: str | None, stored: dict | None) -> str:
    """The new version's record and pointer inserted, then the old pointer (and an older copy of this
    record) deleted: a reader always finds at least one complete version."""
    subject = record_iri(record["version"])
    literal = ox.Literal(json.dumps(record, sort_keys=True), datatype=ox.NamedNode(RDF_JSON))
    operations = [
        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{subject}> <{RDF_VALUE}> {literal} ; "
        f"<{UNION_POINTER}> <{record['union']}> . <{META_SUBJECT}> <{POINTER}> <{subject}> }} }}"
    ]
    if stored is not None:
        old = ox.Literal(json.dumps(stored, sort_keys=True), datatype=ox.NamedNode(RDF_JSON))
        operations.append(f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ <{subject}> <{RDF_VALUE}> {old} }} }}")
    if previous is not None:
        old_pointer = f"<{META_SUBJECT}> <{POINTER}> <{record_iri(previous)}>"
        operations.append(f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ {old_pointer} }} }}")
    return " ;\n".join(operations)


def _drop_versions_but(client: EngineClient, endpoints: Endpoints, keep: set) -> None:
    """Drop the graphs and records of every version not in `keep`."""
    graphs = [g for g in _graphs_under(client, endpoints, f"{ENGINE_NS}version/") if _version_of(g) not in keep]
    _drop(client, endpoints, graphs)
    text = f"SELECT ?record ?meta WHERE {{ GRAPH <{META_GRAPH}> {{ ?record <{RDF_VALUE}> ?meta }} }}"
    for row in select(client, endpoints, text):
        if _version_of(row["record"]["value"]) in keep:
            continue
        literal = ox.Literal(row["meta"]["value"], datatype=ox.NamedNode(RDF_JSON))
        union = json.loads(row["meta"]["value"]).get("union")
        triples = f"<{row['record']['value']}> <{RDF_VALUE}> {literal}" + (
            f" ; <{UNION_POINTER}> <{union}>" if union else ""
        )
        try:
            update(client, endpoints, f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ {triples} }} }}")
        except Exception as error:
            log.warning("could not drop the record of %s: %s", row["record"]["value"], error)


def _version_of(graph: str) -> str:
    return graph[len(f"{ENGINE_NS}version/") :].split("/", 1)[0]


def _write(client: EngineClient, endpoints: Endpoints, directory: Path, record: dict) -> None:
    store = ox.Store.read_only(str(directory / OXIGRAPH_DIR))
    targets = [(ox.NamedNode(g), v) for g, v in record["graphs"].items()] + [(ox.DefaultGraph(), record["union"])]
    for source, name in targets:
        target = ox.NamedNode(name)
        quads = [
            ox.Quad(q.subject, q.predicate, q.object, target) for q in store.quads_for_pattern(None, None, None, source)
        ]
        if endpoints.graph_store:
            _post_quads(client, endpoints.graph_store, quads)
        else:
            for batch, with_blank_nodes in _batches(quads):
                triples = ox.serialize(
                    [ox.Triple(q.subject, q.predicate, q.object) for q in batch], format=ox.RdfFormat.N_TRIPLES
                ).decode()
                # blank nodes by INSERT … WHERE {}: some engines (Virtuoso) refuse them in INSERT DATA
                if with_blank_nodes:
                    update(client, endpoints, f"INSERT {{ GRAPH <{name}> {{\n{triples}\n}} }} WHERE {{}}")
                else:
                    update(client, endpoints, f"INSERT DATA {{ GRAPH <{name}> {{\n{triples}\n}} }}")
        log.info("wrote %s (%d triples)", name, len(quads))


def _batches(quads: list[ox.Quad]) -> list[tuple[list[ox.Quad], bool]]:
    """Quads in update-sized batches, each marked if it holds blank nodes. A blank node is one node only
    within one request, so quads linked through blank nodes stay in one batch (packed up to
    `BLANK_NODE_BATCH`, which some engines need smaller than `UPDATE_BATCH`)."""
    groups: dict[str, list[ox.Quad]] = {}
    owner: dict[str, str] = {}

    def find(label: str) -> str:
        while owner.get(label, label) != label:
            label = owner[label]
        return label

    plain = []
    for quad in quads:
        blanks = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        if not blanks:
            plain.append(quad)
            continue
        roots = {find(b) for b in blanks}
        root = min(roots)
        for other in roots - {root}:
            owner[other] = root
            groups.setdefault(root, []).extend(groups.pop(other, []))
        groups.setdefault(root, []).append(quad)
    batches: list[tuple[list[ox.Quad], bool]] = []
    current: list[ox.Quad] = []
    for group in groups.values():
        if current and len(current) + len(group) > BLANK_NODE_BATCH:
            batches.append((current, True))
            current = []
        current = current + group
    if current:
        batches.append((current, True))
    return batches + [(plain[i : i + UPDATE_BATCH], False) for i in range(0, len(plain), UPDATE_BATCH)]


def _post_quads(client: EngineClient, url: str, quads: list[ox.Quad]) -> None:
    body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    status, _, data = client.send("POST", url, body, {"Content-Type": "application/n-quads"})
    if status >= 300:
        raise BadGateway(f"the graph store refused the data ({status}): {data[:500].decode(errors='replace')}")


def _graphs_under(client: EngineClient, endpoints: Endpoints, prefix: str) -> list[str]:
    text = f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER STRSTARTS(STR(?g), "{prefix}") }}'
    return [row["g"]["value"] for row in select(client, endpoints, text)]


def _drop(client: EngineClient, endpoints: Endpoints, graphs: list[str]) -> None:
    """Drop `graphs`, one request each (a large graph is a large transaction on its own)."""
    for graph in graphs:
        try:
            update(client, endpoints, f"DROP SILENT GRAPH <{graph}>")
        except Exception as error:  # the served version is untouched either way; say what was left behind
            log.warning("could not drop %s: %s", graph, error)
