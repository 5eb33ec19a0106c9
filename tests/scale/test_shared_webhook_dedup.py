"""Two webhook receivers (as two web processes behind a load balancer) sharing
``RedisSeenEvents``: a redelivery that lands on the other one is not handled twice, and an
event whose handler failed can be handled again."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import pytest

from qonto_async.redis import RedisSeenEvents
from qonto_async.webhooks import WebhookEvent, WebhookReceiver, sign

pytestmark = pytest.mark.redis

SECRET = "whsec_shared_shared_shared_shared_shared_0"


def delivery(event_id: str) -> tuple[bytes, str]:
    body = json.dumps({"id": event_id, "type": "v1/clients/updated", "data": {"id": "c1"}})
    return body.encode(), sign(body.encode(), SECRET, int(time.time()))


async def test_a_redelivery_on_another_process_is_a_duplicate(redis_url: str) -> None:
    handled: list[tuple[str, str]] = []
    fail_once = {"e2"}

    def handler(name: str) -> Callable[[WebhookEvent], Awaitable[None]]:
        async def handle(event: WebhookEvent) -> None:
            if event.id in fail_once:
                fail_once.discard(event.id)
                raise RuntimeError("transient")
            handled.append((name, event.id))

        return handle

    stores = [RedisSeenEvents(redis_url, key="t-seen") for _ in range(2)]
    first, second = (
        WebhookReceiver(SECRET, handler(name), seen=store, on_error=lambda e, x: None)
        for name, store in zip(("a", "b"), stores, strict=True)
    )
    try:
        assert (await first.receive(*delivery("e1"))).body == "ok"
        assert (await second.receive(*delivery("e1"))).body == "duplicate"  # Qonto retried
        await first.receive(*delivery("e2"))  # its handler fails once...
        await first.drain()
        assert (await second.receive(*delivery("e2"))).body == "ok"  # ...so a retry runs it
        await second.drain()
    finally:
        await first.aclose()
        await second.aclose()
        for store in stores:
            await store.aclose()
    assert handled == [("a", "e1"), ("b", "e2")]


async def test_a_client_handed_in_stays_open_one_made_from_the_url_is_closed(
    redis_url: str,
) -> None:
    import redis.asyncio as aioredis

    mine = aioredis.Redis.from_url(redis_url)
    try:
        lent = RedisSeenEvents(key="t-owned", client=mine)
        assert await lent.claim("e1")
        await lent.aclose()
        assert await mine.ping()  # its owner closes it, not the store
        made = RedisSeenEvents(redis_url, key="t-owned")
        assert not await made.claim("e1")  # the same Redis, seen already
        await made.aclose()
        pool = made._connection.redis.connection_pool
        opened = [*pool._available_connections, *pool._in_use_connections]
        assert opened  # it did connect...
        assert not any(c.is_connected for c in opened)  # ...and its own client was closed
    finally:
        await mine.aclose()
