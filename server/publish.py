"""Publishing a validated dataset into a remote SPARQL engine (`balikg load --to URL`).

The dataset arrives prepared — loaded, validated, written to its store directory — so nothing that failed
validation can reach the engine. Publishing then writes the new version beside the served one and swaps it
in with a single SPARQL Update request (see `remote` for the layout and why that is atomic); the version
already served stays untouched until that request succeeds, and a failed publication drops what it
staged.
"""

from __future__ import annotations

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
    RDF_JSON,
    RDF_VALUE,
    UNION_GRAPH,
    UPDATE_BATCH,
    Endpoints,
    EngineClient,
    read_engine_meta,
    select,
    update,
)
from .store import OXIGRAPH_DIR, read_meta

log = logging.getLogger("balikg")


@dataclass(frozen=True)
class Publication:
    version: str
    previous: str | None
    changed: bool
    triples: int


def staging_prefix(version: str) -> str:
    return f"{ENGINE_NS}staging/{version}/"


def publish(dataset: ServedDataset, endpoints: Endpoints, timeout: float = 600.0) -> Publication:
    """Make `dataset` the version the engine serves; a no-op if it already is."""
    client = EngineClient(timeout)
    try:
        current = read_engine_meta(client, endpoints)
        previous = current["version"] if current else None
        if previous == dataset.version:
            return Publication(dataset.version, previous, False, dataset.triples)
        meta = read_meta(dataset.directory)
        public = list(meta["named_graphs"])
        prefix = staging_prefix(dataset.version)
        staged = {graph: f"{prefix}{n}" for n, graph in enumerate([*public, UNION_GRAPH])}
        _drop_staging(client, endpoints, _staging_graphs(client, endpoints))  # left by a load that was cut off
        try:
            _write_staging(client, endpoints, dataset.directory, staged)
            gone = sorted(set(current["named_graphs"]) - set(public)) if current else []
            update(client, endpoints, _swap(staged, gone, {**meta, "version": dataset.version}))
        except BaseException:
            _drop_staging(client, endpoints, list(staged.values()))
            raise
        return Publication(dataset.version, previous, True, dataset.triples)
    finally:
        client.close()


def _write_staging(client: EngineClient, endpoints: Endpoints, directory: Path, staged: dict[str, str]) -> None:
    store = ox.Store.read_only(str(directory / OXIGRAPH_DIR))
    for graph, staging in staged.items():
        source = ox.DefaultGraph() if graph == UNION_GRAPH else ox.NamedNode(graph)
        target = ox.NamedNode(staging)
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
                    update(client, endpoints, f"INSERT {{ GRAPH <{staging}> {{\n{triples}\n}} }} WHERE {{}}")
                else:
                    update(client, endpoints, f"INSERT DATA {{ GRAPH <{staging}> {{\n{triples}\n}} }}")
        log.info("staged %s (%d triples)", graph, len(quads))


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


def _swap(staged: dict[str, str], gone: list[str], meta: dict) -> str:
    """One update request: every staged graph onto its public name, graphs the new version lacks dropped,
    and the version record replaced."""
    record = ox.Literal(json.dumps(meta, sort_keys=True), datatype=ox.NamedNode(RDF_JSON))
    operations = []
    for graph, staging in staged.items():
        operations += [f"DROP SILENT GRAPH <{graph}>", f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>"]
    operations += [f"DROP SILENT GRAPH <{graph}>" for graph in gone]
    operations += [
        f"DROP SILENT GRAPH <{META_GRAPH}>",
        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{META_SUBJECT}> <{RDF_VALUE}> {record} }} }}",
    ]
    return " ;\n".join(operations)


def _staging_graphs(client: EngineClient, endpoints: Endpoints) -> list[str]:
    text = f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER STRSTARTS(STR(?g), "{ENGINE_NS}staging/") }}'
    return [row["g"]["value"] for row in select(client, endpoints, text)]


def _drop_staging(client: EngineClient, endpoints: Endpoints, graphs: list[str]) -> None:
    if graphs:
        try:
            update(client, endpoints, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))
        except Exception as error:  # the served version is untouched either way; say what was left behind
            log.warning("could not drop staging graphs %s: %s", ", ".join(graphs), error)
