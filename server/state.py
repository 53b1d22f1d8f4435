"""App state: the one typed object the app factory hangs on the app, and how routes reach it.

Routes call `state(request)` and get the settings, the ready-made query catalogue, the served dataset and
the query service, typed, instead of reading `request.app.state` attributes by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from .catalogue import Catalogue
from .dataset import ServedDataset
from .page_cache import PageCache
from .service import QueryService
from .settings import Settings


@dataclass
class AppState:
    settings: Settings
    catalogue: Catalogue
    #: set by the app's lifespan, before the first request is served
    dataset: ServedDataset | None = None
    service: QueryService | None = None
    #: rendered pages that depend on the data and the URL only
    page_cache: PageCache = field(default_factory=PageCache)


def state(request: Request) -> AppState:
    return request.app.state.kg
