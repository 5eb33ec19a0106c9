"""The Redis client behind each of :mod:`qonto_async.redis`'s classes.

Made from a URL (then it is ours, and :meth:`Connection.aclose` closes it), or handed in as
an existing ``redis.asyncio.Redis`` (then its owner closes it, and ``aclose`` leaves it be).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["Connection", "uncancelled"]

T = TypeVar("T")


class Connection:
    __slots__ = ("_owned", "redis")

    def __init__(self, url: str, client: Any, *, timeout: float) -> None:
        self._owned = client is None
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        self.redis: Any = client

    async def aclose(self) -> None:
        if self._owned:
            await self.redis.aclose()


async def uncancelled(call: Awaitable[T]) -> T:
    """``await call``, raising ``CancelledError`` if the task was cancelled meanwhile.

    On Python 3.11, ``asyncio.wait_for`` (redis-py's socket timeouts) drops a cancellation
    that arrives as the awaited operation finishes, and returns its result instead: the
    caller asked to stop and would go on. A cancellation requested during the call and never
    delivered is delivered here.
    """
    task = asyncio.current_task()
    before = task.cancelling() if task is not None else 0
    result = await call
    if task is not None and task.cancelling() > before:
        raise asyncio.CancelledError
    return result
