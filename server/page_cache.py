"""The page cache: rendered HTML pages that depend only on the served data, the URL and the language.

Routes that build expensive pages (entity profiles, the home page) ask it for a page by key; it builds each
page once, makes identical requests that arrive meanwhile wait for that one build, and keeps the bytes
within a memory bound. It knows nothing of HTTP or templates.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict


class PageCache:
    """Rendered pages whose content depends only on the served data and the request's URL and language
    (entity pages, the home page): the data cannot change while the server runs, so a page is built once.
    Identical requests arriving while a page is being built wait for that build. At most `max_bytes` are
    kept, least recently used first out; failures (a 503 page) are never kept."""

    def __init__(self, max_bytes: int = 32 * 2**20, max_entry_bytes: int = 2 * 2**20):
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._pages: OrderedDict[tuple, bytes] = OrderedDict()
        self._building: dict[tuple, asyncio.Task] = {}
        self.bytes = 0

    async def get_or_build(self, key: tuple, build) -> bytes:
        if key in self._pages:
            self._pages.move_to_end(key)
            return self._pages[key]
        task = self._building.get(key)
        if task is None:
            task = asyncio.ensure_future(build())
            self._building[key] = task
            task.add_done_callback(lambda done: self._keep(key, done))
        return await asyncio.shield(task)

    def _keep(self, key: tuple, done: asyncio.Task) -> None:
        self._building.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        body = done.result()
        if len(body) > self.max_entry_bytes:
            return
        self._pages[key] = body
        self.bytes += len(body)
        while self.bytes > self.max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self.bytes -= len(evicted)
