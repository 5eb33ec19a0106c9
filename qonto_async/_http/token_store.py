"""Where OAuth tokens live when several processes share one Qonto OAuth app.

Qonto rotates the refresh token at every refresh: two processes refreshing with the same
refresh token invalidate each other. With a :class:`TokenStore`, a client first adopts
whatever token the store holds; a refresh happens under the store's lock, after reading the
store again (another process may have refreshed meanwhile), and the new tokens are saved
before the lock is let go. So one process refreshes, the others wait and reuse its token.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import msgspec

__all__ = ["StoredTokens", "TokenStore"]


class StoredTokens(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None = None

    def __repr__(self) -> str:
        return f"StoredTokens(expires_at={self.expires_at!r})"  # never the tokens


class TokenStore(Protocol):
    async def load(self, client_id: str) -> StoredTokens | None: ...

    async def save(self, client_id: str, tokens: StoredTokens) -> None: ...

    def lock(self, client_id: str) -> AbstractAsyncContextManager[None]: ...
