"""Shared fixtures for the whole suite."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aiohttp import web
from aioresponses import aioresponses as AioResponses


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

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


@pytest.fixture
def http_mock() -> Iterator[AioResponses]:
    with AioResponses() as mock:
        yield mock


BASE_URL = "http://qonto.test"
LOGIN = "acme-1234"
SECRET_KEY = "sk_live_super_secret_value"


class SleepRecorder:
    """A fake clock for the transport's retry sleeps and the rate gate.

    Retry sleeps are recorded in ``calls``, gate waits in ``gate_calls``; both advance the
    same clock instantly, so a test sees every wait without spending it.
    """

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.gate_calls: list[float] = []
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    async def gate_sleep(self, seconds: float) -> None:
        self.gate_calls.append(seconds)
        self.now += seconds

    def install(self, client: Any) -> None:
        transport = client._transport
        transport.sleep = self
        transport.gate._clock = self.clock
        transport.gate._sleep = self.gate_sleep


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def qonto(sleeps: SleepRecorder) -> Any:
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
