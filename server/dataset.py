"""The served dataset: load the files, validate them, and write the store directory the engines open.

The store directory holds an Oxigraph database, the same quads as N-Quads (for the rdflib engine), the
downloadable dumps and a metadata file; `store` opens it, this module writes it. Preparation is
all-or-nothing. A parse error or a SHACL violation raises before anything is written, so
a server that is already running keeps serving its old store directory untouched; a new directory is
only handed over once it is complete.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .datafiles import DataLayout
from .dumps import write_dumps
from .loader import LoadedGraph, load
from .settings import Settings
from .store import DUMPS_DIR, META_FILE, OXIGRAPH_DIR, QUADS_FILE, STORE_FORMAT, read_meta

log = logging.getLogger("balikg")

if TYPE_CHECKING:  # pySHACL is only imported when a graph actually has to be validated
    from .validation import ValidationReport


class GraphRefused(Exception):
    """The graph does not conform to the shapes; `report` says where and why."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.render())

    def __reduce__(self):  # (raised in `prepare_apart`'s child process, re-raised here)
        return (GraphRefused, (self.report,))


@dataclass(frozen=True)
class ServedDataset:
    """A prepared store directory and what is known about it."""

    directory: Path
    version: str
    triples: int
    named_graphs: dict[str, int]

    @classmethod
    def open(cls, directory: Path) -> ServedDataset:
        meta = read_meta(directory)
        return cls(directory, meta["version"], meta["triples"], meta["named_graphs"])

    @classmethod
    def published(cls, settings: Settings, meta: dict) -> ServedDataset:
        """The version a remote engine serves, as its version record `meta` describes it; its dumps are looked
        for where `balikg load --to` left them (`published_dir`)."""
        directory = published_dir(settings, meta["version"])
        return cls(directory, meta["version"], meta["triples"], meta["named_graphs"])


def _cache_key(layout: DataLayout) -> str:
    """Names a store directory: the data version (a hash of every file's bytes), the validator's version and
    the store format, so a directory is reused only for byte-identical files checked by the same pySHACL
    and written by the same code."""
    return f"{layout.version()}-pyshacl-{version('pyshacl')}-store{STORE_FORMAT}"


def default_cache_dir() -> Path:
    """Where store directories are kept when no BALIKG_STORE_DIR is set: the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bali-process-kg" / "stores"


def published_dir(settings: Settings, version: str) -> Path:
    """Where `balikg load --to` leaves a published version's dumps, for the replicas that serve it (on the
    same machine, or with BALIKG_STORE_DIR on a shared volume)."""
    return Path(settings.store_dir or default_cache_dir()) / "published" / version


def prepare(settings: Settings, directory: Path | None = None) -> ServedDataset:
    """Load and validate the graph `settings` points at, then write it to a store directory.

    With a persistent `store_dir`, a directory written earlier for the very same files is reused without
    loading or validating again: it was only written after its validation passed (see `_cache_key`).
    """
    layout = DataLayout.for_data_dir(settings.data_dir)
    if not layout.data_files():
        log.warning("the data folder %s holds no data files: only the ontology will be served", layout.data_dir)
    target = _target(settings, layout, directory)
    if (target / META_FILE).exists():
        return ServedDataset.open(target)
    from .validation import validate  # (pySHACL: imported only when a graph has to be validated)

    loaded = load(layout)
    report = validate(loaded)
    if not report.conforms:
        raise GraphRefused(report)
    if not (target / META_FILE).exists():
        # Written beside its final place and renamed when complete, so a half-written store is never opened.
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
        write_store_dir(loaded, staging)
        staging.rename(target)
    return ServedDataset.open(target)


def prepare_apart(settings: Settings) -> ServedDataset:
    """`prepare` for a long-running server: a store directory written earlier is opened here, and otherwise
    loading, validating and writing run in a child process, so the server does not keep what they leave in
    its memory (pySHACL, rdflib and the loaded graph: about 95 MB for the shipped graph, which the allocator
    does not hand back). A refused graph raises `GraphRefused` or `LoadError` here as `prepare` would."""
    if (_target(settings, DataLayout.for_data_dir(settings.data_dir)) / META_FILE).exists():
        return prepare(settings)  # written earlier: opened, nothing loaded
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(prepare, settings).result()


def _target(settings: Settings, layout: DataLayout, directory: Path | None = None) -> Path:
    return Path(directory or settings.store_dir or default_cache_dir()) / _cache_key(layout)


def write_store_dir(loaded: LoadedGraph, directory: Path) -> None:
    """Write what the engines open: an Oxigraph database, the same quads as N-Quads, the dumps, metadata."""
    directory.mkdir(parents=True, exist_ok=True)
    union = loaded.union_triples()
    quads = [*loaded.served_quads(), *(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in union)]
    (directory / QUADS_FILE).write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    database = ox.Store(str(directory / OXIGRAPH_DIR))
    database.bulk_extend(quads)
    database.flush()
    database.optimize()
    del database
    write_dumps(loaded, directory / DUMPS_DIR)
    meta = {
        "version": loaded.version,
        "triples": len(union),
        "data_graphs": loaded.data_graphs,
        "named_graphs": {g: loaded.triples_in(g) for g in loaded.union_graphs},
    }
    (directory / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
