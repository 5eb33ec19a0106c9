"""The aiohttp session a client sends with, and the one event loop it belongs to.

A session is created lazily inside the first running loop that needs it, and that loop is
the client's for good: aiohttp connections, the concurrency cap and OAuth's lock cannot move
to another loop. Using the client from a second loop (two ``asyncio.run()`` calls) raises
:class:`~qonto_async.EventLoopMismatchError` instead of aiohttp's "Event loop is closed".

A session we own carries the client's fixed headers (credentials included) as its defaults
(:mod:`._headers` says why); requests that must not carry them go through
:meth:`SessionHolder.plain`, a second session on the same connection pool.

A session we own is also closed when its loop shuts down, so a script that forgot
``aclose()`` leaves no "Unclosed client session" warning and no open socket behind. The hook
is the one asyncio offers for exactly this: ``asyncio.run``, ``asyncio.Runner`` (and so
pytest-asyncio) call ``loop.shutdown_asyncgens()``, which closes every async generator still
suspended in that loop. The session's closer is such a generator, started at once and
suspended until then; no task is left pending meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping

import aiohttp

from ..errors import ClientClosedError, EventLoopMismatchError

__all__ = ["SessionHolder"]


class SessionHolder:
    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        *,
        timeout: aiohttp.ClientTimeout,
        max_connections: int,
        default_headers: Mapping[str, str],
    ) -> None:
        self._session = session
        self.owned = session is None
        """Whether the session is ours, and so sends ``default_headers`` by itself."""
        self._timeout = timeout
        self.default_timeout = timeout if self.owned else None
        """The timeout the session applies to a request that names none, if it is ours."""
        self._max_connections = max_connections
        self._default_headers = default_headers
        self._plain: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None
        self.closed = False

    def get(self) -> aiohttp.ClientSession:
        """The session for a request made now, from the running loop."""
        loop = asyncio.get_running_loop()
        if self.closed:
            raise ClientClosedError()
        if loop is not self._loop:
            if self._loop is not None:
                raise EventLoopMismatchError()
            self._loop = loop
        session = self._session
        if session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300)
            session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers=self._default_headers
            )
            self._session = session
            self._closer = _closer(session)
            # First step, run here and now: the loop registers the generator (its firstiter
            # hook), and the body runs up to its ``yield``, where it waits for shutdown.
            with contextlib.suppress(StopIteration):
                self._closer.asend(None).send(None)
        return session

    def plain(self) -> aiohttp.ClientSession:
        """A session that adds no header of the client's own (an injected session is used as
        it is: its defaults are its owner's)."""
        session = self.get()
        if not self.owned:
            return session
        plain = self._plain
        if plain is None:
            plain = aiohttp.ClientSession(
                connector=session.connector, connector_owner=False, timeout=self._timeout
            )
            self._plain = plain  # counts as closed once the pool is (it owns nothing)
        return plain

    async def aclose(self) -> None:
        self.closed = True
        plain, self._plain = self._plain, None
        if plain is not None:
            await plain.close()  # lets go of the pool, before anything can drop it unclosed
        self._session = None
        closer, self._closer = self._closer, None
        if closer is None or asyncio.get_running_loop() is not self._loop:
            # Not ours (an injected session stays open), never created, or owned by a loop
            # that is gone: its closer ran when that loop shut down.
            return
        await closer.aclose()  # closes the session


async def _closer(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if not session.closed:
            await session.close()
