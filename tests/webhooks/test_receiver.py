"""``WebhookReceiver`` behind aiohttp and behind ASGI (uvicorn), over real HTTP on loopback:
duplicates, a slow handler, back-pressure, failures, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
import uvicorn
from aiohttp import web
from conftest import serve

from qonto_async.webhooks import (
    ClientCreated,
    WebhookEvent,
    WebhookReceiver,
    aiohttp_handler,
    asgi_app,
    sign,
)

SECRET = "whsec_receiver_tests_receiver_tests_000"


def delivery(event_id: str = "e1", *, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"id": event_id, "type": "v1/clients/created", "data": {"id": "c1", "name": "Acme"}}
    ).encode()
    headers = {"X-Qonto-Signature": sign(body, secret, int(time.time()))}
    return body, headers


@contextlib.asynccontextmanager
async def behind_aiohttp(receiver: WebhookReceiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hooks", aiohttp_handler(receiver))
    async with serve(app) as base:
        yield f"{base}/hooks"


@contextlib.asynccontextmanager
async def behind_uvicorn(receiver: WebhookReceiver) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(asgi_app(receiver), log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        for _ in range(500):  # bounded: up to 5 s
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        server.should_exit = True
        await task
        sock.close()


Mount = Callable[[WebhookReceiver], contextlib.AbstractAsyncContextManager[str]]
SERVERS = [pytest.param(behind_aiohttp, id="aiohttp"), pytest.param(behind_uvicorn, id="asgi")]


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, float]:
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status, await r.text(), time.perf_counter() - started


@pytest.mark.parametrize("mount", SERVERS)
async def test_deliveries_are_verified_deduplicated_and_handled(mount: Mount) -> None:
    seen: list[WebhookEvent] = []

    async def handler(event: WebhookEvent) -> None:
        seen.append(event)

    receiver = WebhookReceiver(SECRET, handler)
    async with mount(receiver) as url:
        body, headers = delivery("e1")
        assert (await post(url, body, headers))[:2] == (200, "ok")
        assert (await post(url, body, headers))[:2] == (200, "duplicate")  # Qonto redelivers
        status, text, _ = await post(url, body.replace(b"Acme", b"Evil"), headers)
        assert status == 400
        assert "altered" in text
        assert (await post(url, body, {}))[0] == 400
        await receiver.drain()
    await receiver.aclose()
    assert [type(e) for e in seen] == [ClientCreated]
    assert (receiver.stats.accepted, receiver.stats.duplicates, receiver.stats.rejected) == (
        1,
        1,
        2,
    )


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_slow_handler_does_not_delay_the_answer(mount: Mount) -> None:
    release = asyncio.Event()

    async def slow(event: WebhookEvent) -> None:
        await release.wait()  # far longer than Qonto's one second, if nothing released it

    receiver = WebhookReceiver(SECRET, slow)
    async with mount(receiver) as url:
        status, _, elapsed = await post(url, *delivery("slow"))
        assert status == 200
        assert elapsed < 1.0  # answered while the handler still runs
        assert receiver.pending == 1
        release.set()
        await receiver.drain()
    await receiver.aclose()
    assert receiver.stats.handled == 1


async def test_back_pressure_defers_with_retry_after() -> None:
    release = asyncio.Event()

    async def slow(event: WebhookEvent) -> None:
        await release.wait()

    receiver = WebhookReceiver(SECRET, slow, max_pending=2, retry_after=7)
    async with behind_aiohttp(receiver) as url, aiohttp.ClientSession() as session:
        for n in range(2):
            assert (await post(url, *delivery(f"e{n}")))[0] == 200
        body, headers = delivery("e2")
        async with session.post(url, data=body, headers=headers) as busy:
            assert busy.status == 503
            assert busy.headers["Retry-After"] == "7"
        release.set()
        await receiver.drain()
        assert (await post(url, body, headers))[:2] == (200, "ok")  # the redelivery is taken
        await receiver.drain()
    await receiver.aclose()
    assert (receiver.stats.deferred, receiver.stats.handled) == (1, 3)


async def test_a_failed_handler_lets_a_redelivery_run_again() -> None:
    calls: list[str] = []
    failures: list[BaseException] = []

    async def flaky(event: WebhookEvent) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("database down")

    receiver = WebhookReceiver(SECRET, flaky, on_error=lambda e, exc: failures.append(exc))
    body, headers = delivery("e9")
    for _ in range(2):
        assert (await receiver.receive(body, headers["X-Qonto-Signature"])).status == 200
        await receiver.drain()
    await receiver.aclose()
    assert calls == ["e9", "e9"]
    assert [str(f) for f in failures] == ["database down"]


async def test_closing_waits_for_handlers_then_refuses() -> None:
    finished: list[str] = []

    async def handler(event: WebhookEvent) -> None:
        await asyncio.sleep(0.05)
        finished.append(event.id)

    receiver = WebhookReceiver(SECRET, handler)
    body, headers = delivery("last")
    await receiver.receive(body, headers["X-Qonto-Signature"])
    await receiver.aclose()
    assert finished == ["last"]
    late = await receiver.receive(
        *delivery("after")[0:1], delivery("after")[1]["X-Qonto-Signature"]
    )
    assert late.status == 503


async def test_a_handler_stuck_past_the_grace_is_cancelled() -> None:
    async def stuck(event: WebhookEvent) -> None:
        await asyncio.Event().wait()

    receiver = WebhookReceiver(SECRET, stuck)
    body, headers = delivery("stuck")
    await receiver.receive(body, headers["X-Qonto-Signature"])
    await receiver.aclose(grace=0.05)
    assert receiver.pending == 0


def test_a_receiver_needs_a_secret() -> None:
    async def handler(event: WebhookEvent) -> None:
        return None

    with pytest.raises(ValueError, match="secret"):
        WebhookReceiver("", handler)
    assert "whsec" not in repr(WebhookReceiver(SECRET, handler))
