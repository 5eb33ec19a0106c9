"""``RedisRateLimiter`` against a real redis-server: the budget, the window and the 429 pause
are shared by limiters that share nothing but Redis (as separate processes would)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from servers import free_port

from qonto_async import QontoClient
from qonto_async.redis import RateLimiterUnavailableError, RedisRateLimiter
from qonto_async.testing import FakeQonto, Faults

pytestmark = pytest.mark.redis


class RecordingSleep:
    """Waits for real (the limiter asks Redis again afterwards) and records each wait."""

    def __init__(self, stop_after: float | None = None) -> None:
        self.waits: list[float] = []
        self._stop_after = stop_after

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self._stop_after is not None and seconds > self._stop_after:
            raise asyncio.CancelledError  # enough: the decision is what the test reads
        await asyncio.sleep(seconds)


def limiter(
    url: str, key: str, sleep: Callable[[float], Awaitable[None]] | None = None, **kw: object
) -> RedisRateLimiter:
    made = RedisRateLimiter(url, key=key, **kw)  # type: ignore[arg-type]
    if sleep is not None:
        made.use_clock(lambda: 0.0, sleep)
    return made


@pytest.fixture
async def pair(
    redis_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[RedisRateLimiter, RedisRateLimiter, RecordingSleep]]:
    sleep = RecordingSleep()
    key = f"t-{request.node.name}"
    first = limiter(redis_url, key, requests_per_second=2, requests_per_10_minutes=None)
    second = limiter(redis_url, key, sleep, requests_per_second=2, requests_per_10_minutes=None)
    yield first, second, sleep
    await first.aclose()
    await second.aclose()


async def test_two_limiters_share_one_rate(
    pair: tuple[RedisRateLimiter, RedisRateLimiter, RecordingSleep],
) -> None:
    first, second, sleep = pair
    await first.acquire()
    await first.acquire()  # the burst (2/s allows 2 at once) is spent by the first "process"
    await second.acquire()  # ...so the second one waits for the next slot
    assert sleep.waits
    # At most one interval, Redis's clock deciding, plus the waiter's jitter (up to 2 ms).
    assert 0 < sleep.waits[0] <= 0.5 + 0.002
    assert second.shared_waits >= 1


async def test_a_429_seen_by_one_pauses_the_other(
    pair: tuple[RedisRateLimiter, RedisRateLimiter, RecordingSleep],
) -> None:
    first, second, sleep = pair
    first.pause(0.4)
    await first.flush()  # the pause travels to Redis in the background
    await second.acquire()
    assert sleep.waits
    assert 0 < sleep.waits[0] <= 0.4 + 0.002  # the pause, plus the waiter's jitter


async def test_the_ten_minute_window_is_shared(redis_url: str) -> None:
    sleep = RecordingSleep(stop_after=60)
    a = limiter(redis_url, "t-window", requests_per_second=None, requests_per_10_minutes=3)
    b = limiter(redis_url, "t-window", sleep, requests_per_second=None, requests_per_10_minutes=3)
    for _ in range(3):
        await a.acquire()
    with pytest.raises(asyncio.CancelledError):
        await b.acquire()
    assert 590 < sleep.waits[0] <= 600  # until the first of the three leaves the window
    await a.aclose()
    await b.aclose()


async def test_redis_down_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    down = limiter(f"redis://127.0.0.1:{free_port()}/0", "t-down", requests_per_second=50)
    with caplog.at_level(logging.WARNING, logger="qonto_async"):
        for _ in range(3):
            await down.acquire()
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert down.try_acquire()  # the local gate stands in, without a round trip
    await down.aclose()


async def test_redis_down_fails_closed_when_asked() -> None:
    strict = limiter(f"redis://127.0.0.1:{free_port()}/0", "t-strict", on_unavailable="fail")
    with pytest.raises(RateLimiterUnavailableError, match="no request is sent"):
        await strict.acquire()
    await strict.aclose()


async def test_clients_sharing_a_limiter_against_the_fake(redis_url: str) -> None:
    shared_a = limiter(redis_url, "t-clients", requests_per_second=200)
    shared_b = limiter(redis_url, "t-clients", requests_per_second=200)
    async with FakeQonto(seed=1, clients=40, rate_limit=None) as fake:
        ids = fake.ids("clients")
        fake.faults = Faults(sequence=("429",), retry_after=1)
        async with (
            QontoClient(
                login=fake.login,
                secret_key=fake.secret_key,
                base_url=fake.base_url,
                rate_limiter=shared_a,
            ) as a,
            QontoClient(
                login=fake.login,
                secret_key=fake.secret_key,
                base_url=fake.base_url,
                rate_limiter=shared_b,
            ) as b,
        ):
            got = await asyncio.gather(a.clients.get_many(ids[:20]), b.clients.get_many(ids[20:]))
        assert [c.id for c in got[0] + got[1]] == ids
        assert a.stats.rate_limited + b.stats.rate_limited == 1
    await shared_a.aclose()
    await shared_b.aclose()
