"""Settings: every knob of the project in one pydantic-settings class, read from `BALIKG_*` variables.

The README's settings table is checked against the fields here by a test, so each field carries a
description and a default.
"""

import os
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: the most CPUs the default worker count follows (each worker holds the store open: about 60 MB for the
#: shipped graph)
MAX_DEFAULT_WORKERS_CPUS = 8


def default_workers() -> int:
    """One query worker per CPU this process may run on (at most `MAX_DEFAULT_WORKERS_CPUS`), plus one.

    The extra worker keeps the CPUs busy while the front hands answers back and new queries over: on two
    CPUs, three workers answered light queries 15–20 % faster than two and heavy ones as fast
    (docs/benchmarks.md, "How many query workers")."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # (not every platform has CPU affinity)
        cpus = os.cpu_count() or 1
    return min(cpus, MAX_DEFAULT_WORKERS_CPUS) + 1


class Settings(BaseSettings):
    """Configuration of the loader, the CLI and the server."""

    model_config = SettingsConfigDict(env_prefix="BALIKG_", extra="ignore")

    data_dir: Path | None = Field(
        default=None,
        description="Folder of Turtle/TriG/N-Quads data files to serve; empty means the graph shipped with the package.",
    )
    engine: Literal["oxigraph", "rdflib"] = Field(
        default="oxigraph",
        description="Query engine: `oxigraph` (fast, the default) or `rdflib` (the reference engine).",
    )
    host: str = Field(default="127.0.0.1", description="Address `balikg serve` listens on.")
    port: int = Field(default=8000, description="Port `balikg serve` listens on.")
    workers: int = Field(
        default_factory=default_workers,
        ge=1,
        description="Query worker processes (each runs one query at a time).",
    )
    query_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a query may run before it is stopped and the client gets 503."
    )
    max_rows: int = Field(
        default=10_000,
        ge=1,
        description="Most result rows (or triples) a response carries; more is signalled by a header.",
    )
    max_query_length: int = Field(default=20_000, ge=1, description="Longest query text accepted, in characters.")
    max_body_bytes: int = Field(default=100_000, ge=1, description="Largest request body accepted, in bytes.")
    max_header_bytes: int = Field(
        default=65_536,
        ge=1024,
        description="Largest request head (request line and headers) accepted, in bytes; more gets 431.",
    )
    max_headers: int = Field(default=100, ge=10, description="Most header fields a request may carry; more gets 431.")
    request_read_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a whole request once it starts (or after connecting); slower gets 408.",
    )
    max_html_rows: int = Field(
        default=1_000, ge=1, description="Most result rows an HTML page shows (downloads carry up to `max_rows`)."
    )
    cache_bytes: int = Field(
        default=64 * 2**20,
        ge=0,
        description="Memory the result cache may hold, in bytes, counting requests and answers alike.",
    )
    max_pending_queries: int = Field(
        default=16,
        ge=1,
        description="Queries running or waiting at once; beyond it the endpoint answers 503 with Retry-After.",
    )
    service_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Endpoints a query may call with SERVICE, comma-separated; empty means SERVICE is refused.",
    )
    service_map: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Send SERVICE calls to an allowlisted IRI to another endpoint: `IRI=URL`, comma-separated. The allowlist is checked on the IRI the query names; only allowlisted IRIs can be mapped, and only to a loopback URL or another allowlisted one (a local mirror, a test server).",
    )
    wikidata_snapshot: Path | None = Field(
        default=None,
        description="A Wikidata entity snapshot (Special:EntityData JSON) that /wikidata compares our statements with; empty means the page lists our statements unchecked.",
    )
    access_log: bool = Field(
        default=False,
        description="Log one line per HTTP request (off by default: a reverse proxy usually logs, and it costs about 6 % of throughput).",
    )
    store_dir: Path | None = Field(
        default=None,
        description="Where validated stores are kept, one folder per data version; empty means ~/.cache/bali-process-kg/stores.",
    )

    store_url: str | None = Field(
        default=None,
        description="A SPARQL engine holding the graph (`balikg load --to`): an Oxigraph server's base URL or another engine's query URL; empty means the embedded store.",
    )
    store_update_url: str | None = Field(
        default=None,
        description="The engine's SPARQL Update URL, where it is not derived from `store_url` (used by `balikg load --to`).",
    )
    store_graph_store_url: str | None = Field(
        default=None,
        description="The engine's Graph Store URL for loading quads; empty (for an engine named by its query URL) means batched SPARQL Update.",
    )
    store_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="With a remote store: how often each replica reads the data version the engine serves.",
    )

    @field_validator("service_allowlist", mode="before")
    @classmethod
    def _split_commas(cls, value):
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("service_map", mode="before")
    @classmethod
    def _split_pairs(cls, value):
        if isinstance(value, str):
            pairs = {}
            for item in value.split(","):
                if not item.strip():
                    continue
                iri, sep, url = item.partition("=")
                if not sep or not iri.strip() or not url.strip():
                    raise ValueError(f"service_map expects IRI=URL pairs, got {item.strip()!r}")
                pairs[iri.strip()] = url.strip()
            return pairs
        return value

    @model_validator(mode="after")
    def _map_only_allowlisted_to_safe_targets(self):
        for iri, url in self.service_map.items():
            if iri not in self.service_allowlist:
                raise ValueError(f"service_map: {iri} is not in service_allowlist; only allowlisted IRIs can be mapped")
            if not (is_loopback_url(url) or url in self.service_allowlist):
                raise ValueError(
                    f"service_map: {url} is neither a loopback URL nor in service_allowlist; "
                    "a mapped endpoint must be one of the two"
                )
        return self

    @property
    def federation(self) -> bool:
        """Whether any SERVICE call may leave the engine."""
        return bool(self.service_allowlist)


def is_loopback_url(url: str) -> bool:
    """An http(s) URL whose host is a loopback address or `localhost`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
