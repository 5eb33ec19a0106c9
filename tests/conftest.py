"""Shared fixtures for the whole suite."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aiohttp import web
from aioresponses import aioresponses as AioResponses

from qonto_async.testing import VirtualClock


def pytest_configure(config: pytest.Config) -> None:
    """The test command sets ``PYTHONDEVMODE`` and ``PYTHONWARNINGS`` so that pytest's worker
    processes run in development mode with ``ResourceWarning`` errors, as the suite's own
    process does (``-X dev`` would not reach them). The processes the tests start themselves
    (the CLI under test, killed and resumed) are the user's command, not the suite: they
    run as a user runs them, without asyncio's debug output on their stderr. A worker, or a
    run without workers, drops the two variables once started; the process that starts
    workers keeps them for them."""
    starts_workers = not hasattr(config, "workerinput") and bool(
        config.getoption("numprocesses", default=None)
    )
    if not starts_workers:
        os.environ.pop("PYTHONDEVMODE", None)
        os.environ.pop("PYTHONWARNINGS", None)


class _FinishedUpload:
    """What aiohttp >= 3.14 reads from a response's stream writer: the bytes it sent."""

    output_size = 0


if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
    # aioresponses 0.7.9 builds ClientResponse without the ``stream_writer`` argument that
    # aiohttp 3.14 made required (pnuckowski/aioresponses#289, open). The mock never uploads,
    # so a writer that reports zero bytes sent is all the response needs.

    class _CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _FinishedUpload())
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined]


@pytest.fixture
def http_mock() -> Iterator[AioResponses]:
    with AioResponses() as mock:
        yield mock


BASE_URL = "http://qonto.test"
LOGIN = "acme-1234"
SECRET_KEY = "sk_live_super_secret_value"


@pytest.fixture
def sleeps() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def qonto(sleeps: VirtualClock) -> Any:
    from qonto_async import QontoClient

    client = QontoClient(
        login=LOGIN, secret_key=SECRET_KEY, base_url=BASE_URL, requests_per_second=None
    )
    sleeps.install(client)
    async with client:
        yield client


@contextlib.asynccontextmanager
async def serve(app: web.Application, **runner_options: Any) -> AsyncIterator[str]:
    """Run ``app`` on a free port of 127.0.0.1 and yield its base URL."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that answers whatever bytes ``handler`` writes, HTTP or not:
    for malformed answers aiohttp's own server would never send."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


# -- real servers (Redis, PostgreSQL), one each for the whole run ---------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    from servers import redis_binary, running_redis

    if redis_binary() is None:
        _missing("redis-server is not installed (the test command installs it: apt-get)")
    with running_redis() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from servers import postgres_binaries, running_postgres

    if postgres_binaries() is None:
        _missing("PostgreSQL's initdb is not installed (the test command installs it: apt-get)")
    with running_postgres() as url:
        yield url


def _missing(reason: str) -> None:
    """On a developer's machine a missing server skips its tests; in CI it fails them."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
