"""Health and version: is the endpoint ready, how big is the graph, which data version is served, and how
the query workers are kept off the network."""

from fastapi import APIRouter, Request

from .. import __version__
from ..state import state

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict:
    kg = state(request)
    executor = kg.service.executor
    return {
        "status": "ok",
        "ready": True,
        "triples": kg.dataset.triples,
        "data_version": kg.dataset.version,
        "engine": "remote" if kg.settings.store_url else kg.settings.engine,
        "workers": executor.size,
        "queries_in_progress": executor.busy,
        "network_isolation": executor.isolation,
        "cache": {
            "hits": executor.cache.hits,
            "misses": executor.cache.misses,
            "entries": len(executor.cache),
            "bytes": executor.cache.bytes,
        },
    }


@router.get("/version")
async def version(request: Request) -> dict:
    return {"software": __version__, "data_version": state(request).dataset.version}
