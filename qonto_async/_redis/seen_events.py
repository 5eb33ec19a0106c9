"""Which webhook events were taken already, shared by every receiving process.

Behind a load balancer, a redelivery may reach another process than the first delivery did;
an in-memory set would run it twice. ``RedisSeenEvents`` claims each event id with one
``SET NX`` (atomic across processes) that expires after ``ttl`` seconds, longer than Qonto
goes on retrying (a few days).
"""

from __future__ import annotations

from typing import Any, Protocol

from .connection import Connection

__all__ = ["RedisSeenEvents", "SeenEvents"]


class SeenEvents(Protocol):
    async def claim(self, event_id: str) -> bool:
        """True for the first claim of ``event_id``, False for every later one."""
        ...

    async def forget(self, event_id: str) -> None:
        """Let a later delivery of ``event_id`` be claimed again (its handler failed)."""
        ...


class RedisSeenEvents:
    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        key: str = "qonto-webhooks",
        ttl: int = 7 * 24 * 3600,
        client: Any = None,
    ) -> None:
        self._connection = Connection(url, client, timeout=2)
        self._redis = self._connection.redis
        self._key = key
        self._ttl = ttl

    def __repr__(self) -> str:
        return f"RedisSeenEvents(key={self._key!r})"

    async def claim(self, event_id: str) -> bool:
        return bool(await self._redis.set(f"{self._key}:{event_id}", 1, nx=True, ex=self._ttl))

    async def forget(self, event_id: str) -> None:
        await self._redis.delete(f"{self._key}:{event_id}")

    async def aclose(self) -> None:
        await self._connection.aclose()
