"""The receiver with an async ``seen`` store (``RedisSeenEvents`` or any other): back-pressure
holds while claims are awaited, a store that is down is a typed error answered 503, and a
signed body nested too deeply is a payload error answered 400 (not a bare RecursionError)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from typing import Any

import pytest
import redis.exceptions
from servers import free_port

from qonto_async.redis import RedisSeenEvents
from qonto_async.webhooks import WebhookEvent, WebhookReceiver, sign

from .test_receiver import SECRET, SERVERS, Mount, delivery, post


class FakeSeen:
    """An async seen-store: ``claim_delay`` seconds per claim, or failing like a Redis that
    is down."""

    def __init__(
        self,
        *,
        claim_delay: float = 0.0,
        claim_fails: bool = False,
        forget_fails: bool = False,
        gate: asyncio.Event | None = None,
    ) -> None:
        self.claim_delay = claim_delay
        self.claim_fails = claim_fails
        self.forget_fails = forget_fails
        self.gate = gate
        self.claiming = 0
        self.claimed: set[str] = set()

    async def claim(self, event_id: str) -> bool:
        self.claiming += 1
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.claim_delay)
        finally:
            self.claiming -= 1
        if self.claim_fails:
            raise redis.exceptions.ConnectionError("Error 111 connecting to redis:6379.")
        if event_id in self.claimed:
            return False
        self.claimed.add(event_id)
        return True

    async def forget(self, event_id: str) -> None:
        if self.forget_fails:
            raise redis.exceptions.ConnectionError("Error 111 connecting to redis:6379.")
        self.claimed.discard(event_id)


async def test_max_pending_holds_while_an_async_store_claims() -> None:
    started: list[str] = []
    release = asyncio.Event()

    async def handler(event: WebhookEvent) -> None:
        started.append(event.id)
        await release.wait()

    store = FakeSeen(claim_delay=0.05)
    receiver = WebhookReceiver(SECRET, handler, seen=store, max_pending=10)
    deliveries = [delivery(f"e{n}") for n in range(200)]
    replies = await asyncio.gather(
        *(receiver.receive(body, headers["X-Qonto-Signature"]) for body, headers in deliveries)
    )
    statuses = sorted(r.status for r in replies)
    release.set()
    await receiver.drain()
    await receiver.aclose()
    assert statuses == [200] * 10 + [503] * 190
    assert len(started) == 10
    assert (receiver.stats.accepted, receiver.stats.deferred) == (10, 190)


async def test_a_delivery_cancelled_while_claiming_gives_its_slot_back() -> None:
    gate = asyncio.Event()

    async def handler(event: WebhookEvent) -> None:
        return None

    store = FakeSeen(gate=gate)
    receiver = WebhookReceiver(SECRET, handler, seen=store, max_pending=1)
    body, headers = delivery("cancelled")
    stuck = asyncio.ensure_future(receiver.receive(body, headers["X-Qonto-Signature"]))
    for _ in range(500):  # bounded
        if store.claiming:
            break
        await asyncio.sleep(0.001)
    assert store.claiming == 1
    body2, headers2 = delivery("meanwhile")
    meanwhile = receiver.receive(body2, headers2["X-Qonto-Signature"])
    assert (await asyncio.wait_for(meanwhile, timeout=10)).status == 503  # the slot is taken
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    gate.set()
    assert (await receiver.receive(body2, headers2["X-Qonto-Signature"])).body == "ok"
    await receiver.aclose()


def refused_by_store(caplog: pytest.LogCaptureFixture) -> BaseException:
    from qonto_async.webhooks import SeenEventsUnavailableError, WebhookError

    errors = [r.exc_info[1] for r in caplog.records if r.exc_info and r.exc_info[1] is not None]
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, SeenEventsUnavailableError)
    assert isinstance(error, WebhookError)
    assert isinstance(error.__cause__, redis.exceptions.ConnectionError)
    return error


async def test_a_store_that_is_down_is_answered_503_with_a_typed_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(event: WebhookEvent) -> None:
        raise AssertionError("never run without a claim")

    receiver = WebhookReceiver(SECRET, handler, seen=FakeSeen(claim_fails=True), retry_after=9)
    body, headers = delivery("down")
    with caplog.at_level(logging.ERROR, logger="qonto_async.webhooks"):
        reply = await receiver.receive(body, headers["X-Qonto-Signature"])
    await receiver.aclose()
    assert (reply.status, reply.headers) == (503, {"Retry-After": "9"})
    refused_by_store(caplog)
    assert receiver.pending == 0


async def test_a_real_redis_that_is_down_is_answered_503(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(event: WebhookEvent) -> None:
        raise AssertionError("never run without a claim")

    store = RedisSeenEvents(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    receiver = WebhookReceiver(SECRET, handler, seen=store)
    body, headers = delivery("down")
    try:
        with caplog.at_level(logging.ERROR, logger="qonto_async.webhooks"):
            reply = await receiver.receive(body, headers["X-Qonto-Signature"])
    finally:
        await receiver.aclose()
        await store.aclose()
    assert reply.status == 503
    refused_by_store(caplog)


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_store_that_is_down_is_503_behind_both_servers(mount: Mount) -> None:
    async def handler(event: WebhookEvent) -> None:
        raise AssertionError("never run without a claim")

    receiver = WebhookReceiver(SECRET, handler, seen=FakeSeen(claim_fails=True))
    async with mount(receiver) as url:
        status, _, _ = await post(url, *delivery("down"))
    await receiver.aclose()
    assert status == 503


async def test_a_store_failing_to_forget_is_logged_not_an_unretrieved_task_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, c: loop_errors.append(c))
    failures: list[BaseException] = []

    async def failing(event: WebhookEvent) -> None:
        raise RuntimeError("handler broke")

    store = FakeSeen(forget_fails=True)
    receiver = WebhookReceiver(
        SECRET, failing, seen=store, on_error=lambda e, x: failures.append(x)
    )
    body, headers = delivery("sticky")
    with caplog.at_level(logging.ERROR, logger="qonto_async.webhooks"):
        assert (await receiver.receive(body, headers["X-Qonto-Signature"])).status == 200
        for _ in range(500):  # bounded; not drain(), which would retrieve the exception
            if receiver.pending == 0:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        gc.collect()
    await receiver.aclose()
    assert [c.get("message") for c in loop_errors] == []
    assert [str(f) for f in failures] == ["handler broke"]  # still reported
    refused_by_store(caplog)


def deeply_nested(depth: int = 100_000) -> tuple[bytes, str]:
    body = (
        b'{"id":"deep","type":"v1/clients/created","data":{"id":"c1","x":'
        + b"[" * depth
        + b"]" * depth
        + b"}}"
    )
    return body, sign(body, SECRET, int(time.time()))


@pytest.mark.parametrize("kind", ["v1/clients/created", "v1/unmodelled"])
async def test_a_deeply_nested_signed_body_is_refused_400(kind: str) -> None:
    async def handler(event: WebhookEvent) -> None:
        raise AssertionError("never run")

    receiver = WebhookReceiver(SECRET, handler)
    body, _ = deeply_nested()
    body = body.replace(b"v1/clients/created", kind.encode())
    reply = await receiver.receive(body, sign(body, SECRET, int(time.time())))
    await receiver.aclose()
    assert reply.status == 400
    assert "nested" in reply.body
    assert receiver.stats.rejected == 1


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_deeply_nested_signed_body_is_400_behind_both_servers(mount: Mount) -> None:
    async def handler(event: WebhookEvent) -> None:
        raise AssertionError("never run")

    receiver = WebhookReceiver(SECRET, handler)
    body, signature = deeply_nested()
    async with mount(receiver) as url:
        status, text, _ = await post(url, body, {"X-Qonto-Signature": signature})
        # and the server still answers afterwards
        ok = await post(url, json.dumps({"id": "n", "type": "v1/x"}).encode(), {})
    await receiver.aclose()
    assert status == 400
    assert "nested" in text
    assert ok[0] == 400  # unsigned: refused, but answered
