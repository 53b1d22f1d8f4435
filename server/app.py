"""The app factory: builds the FastAPI application around a prepared dataset and the query service.

`create_app(settings, dataset=..., catalogue=...)` has no import-time globals: everything it needs is
passed in or derived from `settings`. At start-up (the lifespan) it prepares the dataset if none was given
— load, validate and write the store directory, in a child process; a non-conforming graph refuses to
start — and starts the query worker processes; at shutdown it stops them. Routes reach all of it through
one typed object, `state.AppState`; failures reach clients through one error map, `errors.install`.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from . import __version__, errors
from .catalogue import Catalogue
from .dataset import ServedDataset, prepare_apart
from .executor import QueryExecutor
from .middleware import SiteHeaders
from .openapi import openapi_with_queries
from .page_cache import PageCache
from .routers import health, queries, resources, site, sparql
from .routers import map as world_map
from .service import QueryService
from .settings import Settings
from .state import AppState

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("balikg")


def open_remote(settings: Settings):
    """The remote store `settings` name, opened in this process to read the version it serves."""
    from .remote import Endpoints, RemoteStore  # (only a server with --store needs the remote engine's client)

    endpoints = Endpoints.parse(settings.store_url, settings.store_update_url, settings.store_graph_store_url)
    return RemoteStore(endpoints, timeout=settings.query_timeout, poll_seconds=settings.store_poll_seconds)


async def follow_versions(kg: AppState, store, executor: QueryExecutor, every: float) -> None:
    """Read the version a remote engine serves every `every` seconds; when a load has published a new one,
    describe it, and drop cached answers and pages of the old one (ETags follow the version)."""
    while True:
        await asyncio.sleep(every)
        try:
            meta = await asyncio.to_thread(store.refresh)
        except Exception as error:  # the engine may be restarting: keep serving, say so, try again
            log.warning("could not read the data version from the SPARQL engine: %s", error)
            continue
        if meta["version"] != kg.dataset.version:
            log.info("the SPARQL engine now serves data version %s (was %s)", meta["version"], kg.dataset.version)
            kg.dataset = ServedDataset.published(kg.settings, meta)
            executor.forget()
            kg.page_cache = PageCache()


def create_app(
    settings: Settings | None = None, *, dataset: ServedDataset | None = None, catalogue: Catalogue | None = None
) -> FastAPI:
    settings = settings or Settings()
    kg = AppState(settings=settings, catalogue=catalogue if catalogue is not None else Catalogue())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        limits = {
            "workers": settings.workers,
            "timeout": settings.query_timeout,
            "max_pending": settings.max_pending_queries,
            "allowlist": settings.service_allowlist,
            "service_map": settings.service_map,
            "cache_bytes": settings.cache_bytes,
        }
        follower = None
        if settings.store_url:
            store = await asyncio.to_thread(open_remote, settings)
            kg.dataset = dataset or ServedDataset.published(settings, store.meta)
            executor = QueryExecutor(
                store.endpoints,
                engine="remote",
                store_options={"poll_seconds": settings.store_poll_seconds},
                **limits,
            )
            follower = asyncio.create_task(follow_versions(kg, store, executor, settings.store_poll_seconds))
        else:
            kg.dataset = dataset or await asyncio.to_thread(prepare_apart, settings)
            executor = QueryExecutor(kg.dataset.directory, engine=settings.engine, **limits)
        await executor.start()
        kg.service = QueryService(executor, settings)
        try:
            yield
        finally:
            if follower is not None:
                follower.cancel()
            await executor.stop()

    app = FastAPI(
        title="Bali Process Knowledge Graph",
        version=__version__,
        description="SPARQL endpoint and linked data for the Bali Process, trafficking in persons and people smuggling.",
        lifespan=lifespan,
        docs_url=None,  # served from our own template and vendored assets (routers/site.py), never a CDN
        redoc_url=None,
    )
    app.state.kg = kg
    errors.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "X-Result-Count", "X-Result-Truncated", "Retry-After"],
    )
    app.add_middleware(SiteHeaders)
    app.include_router(sparql.router)
    app.include_router(health.router)
    app.include_router(queries.router)
    app.include_router(world_map.router)
    app.include_router(resources.router)
    app.include_router(site.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.openapi = lambda: openapi_with_queries(app)
    return app
