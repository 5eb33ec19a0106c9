"""The webhook examples in ``examples/`` run: FakeQonto delivers its changes to each, served
for real on loopback (aiohttp's runner, uvicorn for FastAPI)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn
from aiohttp import web
from conftest import serve

from qonto_async import OAuthCredentials, QontoClient
from qonto_async.testing import FakeQonto
from qonto_async.webhooks import ClientCreated, ClientDeleted, WebhookEvent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET = "whsec_examples_examples_examples_examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        for _ in range(500):  # bounded: up to 5 s
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def deliver_to(fake: FakeQonto, url: str) -> str:
    credentials = OAuthCredentials(
        fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
    )
    async with QontoClient(oauth=credentials, base_url=fake.base_url) as qonto:
        await qonto.webhook_subscriptions.create(url, ["v1/clients"], secret=SECRET)
        client = await qonto.clients.create(kind="company", name="Example SAS")
        await qonto.clients.delete(client.id)
    await fake.webhooks_settled()
    return client.id


async def test_the_aiohttp_example(capsys: Any) -> None:
    module = load("webhooks_aiohttp")
    app: web.Application = module.create_app(SECRET)
    async with FakeQonto(seed=1) as fake, serve(app) as base:
        client_id = await deliver_to(fake, f"{base}/webhooks/qonto")
        await app[module.RECEIVER].drain()
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"new client {client_id}: Example SAS", f"client {client_id} deleted"]


async def test_the_fastapi_example() -> None:
    module = load("webhooks_fastapi")
    events: list[WebhookEvent] = []
    done = asyncio.Event()

    async def collect(event: WebhookEvent) -> None:
        events.append(event)
        if len(events) == 2:
            done.set()

    async with (
        FakeQonto(seed=2) as fake,
        uvicorn_serving(module.create_app(SECRET, collect)) as base,
    ):
        client_id = await deliver_to(fake, f"{base}/webhooks/qonto")
        async with asyncio.timeout(5):
            await done.wait()
    assert [type(e) for e in events] == [ClientCreated, ClientDeleted]
    assert {e.data.id for e in events} == {client_id}
    assert all(d.status == 200 for d in fake.webhook_deliveries)
