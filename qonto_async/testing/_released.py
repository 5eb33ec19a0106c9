"""Letting a stopped FakeQonto go.

aiohttp caches each application's middleware chain per handler in one module-level LRU
cache of 1,024 entries (``aiohttp.web_app._cached_build_middleware``, aio-libs/aiohttp#9158).
Its keys are the handlers, which hold the fake and its data: a stopped fake stayed alive
until evicted, some thirty fakes later. A test suite building fakes of 50,000 transactions
grew by 120 MB a fake. The cache only saves rebuilding a chain, so it is cleared when a fake
stops; any other application rebuilds its entry on its next request.
"""

from __future__ import annotations

from aiohttp import web_app

__all__ = ["release_cached_handlers"]


def release_cached_handlers() -> None:
    cache = getattr(web_app, "_cached_build_middleware", None)  # absent in other releases
    clear = getattr(cache, "cache_clear", None)
    if callable(clear):
        clear()
