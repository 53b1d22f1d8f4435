"""The app factory: builds the FastAPI application around a prepared dataset and the query service.

`create_app(settings, dataset=..., catalogue=...)` has no import-time globals: everything it needs is
passed in or derived from `settings`. At start-up (the lifespan) it prepares the dataset if none was given
— load, validate, write the store directory; a non-conforming graph refuses to start — and starts the
query worker processes; at shutdown it stops them. Routes reach all of it through one typed object,
`state.AppState`; failures reach clients through one error map, `errors.install`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from . import __version__, errors
from .catalogue import Catalogue
from .dataset import ServedDataset, prepare
from .executor import QueryExecutor
from .middleware import SiteHeaders
from .openapi import openapi_with_queries
from .routers import health, queries, resources, site, sparql
from .service import QueryService
from .settings import Settings
from .state import AppState

STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings | None = None, *, dataset: ServedDataset | None = None, catalogue: Catalogue | None = None
) -> FastAPI:
    settings = settings or Settings()
    kg = AppState(settings=settings, catalogue=catalogue if catalogue is not None else Catalogue())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        kg.dataset = dataset or prepare(settings)
        executor = QueryExecutor(
            kg.dataset.directory,
            engine=settings.engine,
            workers=settings.workers,
            timeout=settings.query_timeout,
            max_pending=settings.max_pending_queries,
            allowlist=settings.service_allowlist,
            service_map=settings.service_map,
            cache_bytes=settings.cache_bytes,
        )
        await executor.start()
        kg.service = QueryService(executor, settings)
        try:
            yield
        finally:
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
    app.include_router(resources.router)
    app.include_router(site.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.openapi = lambda: openapi_with_queries(app)
    return app
