"""Health and version: is the endpoint ready, how big is the graph, which data version is served."""

from fastapi import APIRouter, Request

from .. import __version__

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict:
    state = request.app.state
    return {
        "status": "ok",
        "ready": True,
        "triples": state.dataset.triples,
        "data_version": state.dataset.version,
        "engine": state.settings.engine,
        "workers": state.executor.size,
        "queries_in_progress": state.executor.busy,
        "cache": {"hits": state.executor.cache.hits, "misses": state.executor.cache.misses},
    }


@router.get("/version")
async def version(request: Request) -> dict:
    return {"software": __version__, "data_version": request.app.state.dataset.version}
