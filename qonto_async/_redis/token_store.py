"""OAuth tokens shared through Redis: ``RedisTokenStore`` (see :mod:`.._http.token_store`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from .._http.token_store import StoredTokens
from .connection import Connection

__all__ = ["RedisTokenStore"]

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(StoredTokens).decode


class RedisTokenStore:
    """OAuth tokens in Redis under ``<key>:<client_id>``, refreshed under a Redis lock
    (redis-py's ``Lock``: ``SET NX PX`` with a token, released by a script). The tokens are
    secrets: give this Redis the care your other secrets get.

    ``lock_timeout`` bounds how long a crashed refresher holds the lock; ``wait`` how long
    the others wait for it.
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        key: str = "qonto-oauth",
        lock_timeout: float = 30.0,
        wait: float = 60.0,
        client: Any = None,
    ) -> None:
        self._connection = Connection(url, client, timeout=5)
        self._redis = self._connection.redis
        self._key = key
        self._lock_timeout = lock_timeout
        self._wait = wait

    def __repr__(self) -> str:
        return f"RedisTokenStore(key={self._key!r})"

    async def load(self, client_id: str) -> StoredTokens | None:
        raw = await self._redis.get(f"{self._key}:{client_id}")
        return None if raw is None else _decode(raw)

    async def save(self, client_id: str, tokens: StoredTokens) -> None:
        await self._redis.set(f"{self._key}:{client_id}", _encode(tokens))

    @contextlib.asynccontextmanager
    async def lock(self, client_id: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            f"{self._key}:{client_id}:lock",
            timeout=self._lock_timeout,
            blocking_timeout=self._wait,
        )
        async with lock:
            yield

    async def aclose(self) -> None:
        await self._connection.aclose()
