"""``RedisRateLimiter`` against a real redis-server: the budget, the window and the 429 pause
are shared by limiters that share nothing but Redis (as separate processes would)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from conftest import serve
from servers import free_port

from qonto_async import Client, QontoClient
from qonto_async._redis.connection import uncancelled
from qonto_async.redis import RateLimiterUnavailableError, RedisRateLimiter
from qonto_async.testing import FakeQonto, Faults

pytestmark = pytest.mark.redis


class RecordingSleep:
    """Waits for real (the limiter asks Redis again afterwards) and records each wait: what
    Redis decided plus the waiter's jitter (up to 2 ms)."""

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
async def closing() -> AsyncIterator[Callable[[RedisRateLimiter], RedisRateLimiter]]:
    """Closes every limiter it is handed when the test ends, passed or failed: a limiter left
    open keeps its connection to the next test's garbage collection, long after its loop
    closed (ResourceWarnings blamed on whichever test runs then)."""
    made: list[RedisRateLimiter] = []

    def keep(limiter: RedisRateLimiter) -> RedisRateLimiter:
        made.append(limiter)
        return limiter

    yield keep
    for each in made:
        await each.aclose()


@pytest.fixture
async def pair(
    redis_url: str,
    request: pytest.FixtureRequest,
    closing: Callable[[RedisRateLimiter], RedisRateLimiter],
) -> tuple[RedisRateLimiter, RedisRateLimiter, RecordingSleep]:
    sleep = RecordingSleep()
    key = f"t-{request.node.name}"
    first = closing(limiter(redis_url, key, requests_per_second=2, requests_per_10_minutes=None))
    second = closing(
        limiter(redis_url, key, sleep, requests_per_second=2, requests_per_10_minutes=None)
    )
    return first, second, sleep


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


async def test_the_ten_minute_window_is_shared(
    redis_url: str, closing: Callable[[RedisRateLimiter], RedisRateLimiter]
) -> None:
    sleep = RecordingSleep(stop_after=60)
    a = closing(limiter(redis_url, "t-window", requests_per_second=None, requests_per_10_minutes=3))
    b = closing(
        limiter(redis_url, "t-window", sleep, requests_per_second=None, requests_per_10_minutes=3)
    )
    decided: list[float] = []
    b.on_wait = lambda seconds, why: decided.append(seconds)
    for _ in range(3):
        await a.acquire()
    with pytest.raises(asyncio.CancelledError):
        await b.acquire()
    # Redis's decision: until the first of the three leaves the window, less the time since
    # (whole microseconds of Redis's clock, so never above 600).
    assert 590 < decided[0] <= 600
    # What was slept: that, plus the jitter that spreads waiters out (up to 2 ms), which may
    # take it past 600 when the three requests took less than the jitter.
    assert decided[0] <= sleep.waits[0] <= decided[0] + 0.002


async def test_redis_down_falls_back_with_one_warning(
    caplog: pytest.LogCaptureFixture, closing: Callable[[RedisRateLimiter], RedisRateLimiter]
) -> None:
    down = closing(limiter(f"redis://127.0.0.1:{free_port()}/0", "t-down", requests_per_second=50))
    with caplog.at_level(logging.WARNING, logger="qonto_async"):
        for _ in range(3):
            await down.acquire()
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert down.try_acquire()  # the local gate stands in, without a round trip


async def test_redis_down_fails_closed_when_asked(
    closing: Callable[[RedisRateLimiter], RedisRateLimiter],
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    strict = closing(limiter(url, "t-strict", on_unavailable="fail"))
    with pytest.raises(RateLimiterUnavailableError, match="no request is sent"):
        await strict.acquire()


async def test_clients_sharing_a_limiter_against_the_fake(
    redis_url: str, closing: Callable[[RedisRateLimiter], RedisRateLimiter]
) -> None:
    shared_a = closing(limiter(redis_url, "t-clients", requests_per_second=200))
    shared_b = closing(limiter(redis_url, "t-clients", requests_per_second=200))
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


async def test_cancelled_waiters_let_no_request_overshoot_the_shared_rate(
    redis_url: str, closing: Callable[[RedisRateLimiter], RedisRateLimiter]
) -> None:
    """Waiters on Redis hold no reservation: cancelling them frees nothing that a newcomer
    could take twice (the in-process gate's flaw, checked here for the shared one)."""
    arrivals: list[float] = []
    burst_out = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        if len(arrivals) >= 20:
            burst_out.set()
        return web.json_response({"client": {"id": request.match_info["id"]}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", handler)
    rate, queued, cancelled = 20.0, 140, 60
    shared = closing(
        limiter(redis_url, "t-cancel", requests_per_second=rate, requests_per_10_minutes=None)
    )
    async with (
        serve(app) as base_url,
        QontoClient(
            login="l", secret_key="s", base_url=base_url, rate_limiter=shared, max_concurrency=256
        ) as qonto,
    ):
        first = [asyncio.create_task(qonto.clients.get(f"a{n}")) for n in range(queued)]
        async with asyncio.timeout(30):
            await burst_out.wait()
        # The earliest waiters (the burst went first, in order), but for a few that may
        # already be on their way.
        for task in first[int(rate) + 5 :][:cancelled]:
            task.cancel()
        later = [asyncio.create_task(qonto.clients.get(f"b{n}")) for n in range(cancelled)]
        async with asyncio.timeout(60):
            outcomes = await asyncio.gather(*first, *later, return_exceptions=True)
    # A waiter cancelled as its answer from Redis arrived is cancelled all the same (Python
    # 3.11's wait_for, inside redis-py, would let it go on and send).
    assert [o for o in outcomes if not isinstance(o, asyncio.CancelledError | Client)] == []
    stopped = sum(1 for o in outcomes if isinstance(o, asyncio.CancelledError))
    assert cancelled - 5 <= stopped <= cancelled  # a very slow machine may have sent a few
    assert len(arrivals) >= queued
    times = sorted(arrivals)
    window = 3.0
    worst = max(sum(1 for t in times[i:] if t <= s + window) for i, s in enumerate(times))
    # As in tests/unit/test_ratelimit.py: burst + rate * 3 s, and a second's worth for timers
    # fired late on a busy machine.
    assert worst <= rate + rate * window + rate


async def test_every_shared_wait_counts_in_the_stats(
    redis_url: str, closing: Callable[[RedisRateLimiter], RedisRateLimiter]
) -> None:
    async def one_client(request: web.Request) -> web.Response:
        return web.json_response({"client": {"id": request.match_info["id"]}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", one_client)
    shared = closing(
        limiter(redis_url, "t-stats", requests_per_second=4, requests_per_10_minutes=None)
    )
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url, rate_limiter=shared) as qonto,
    ):
        for n in range(6):  # a burst of four, then waits of about a quarter of a second
            await qonto.clients.get(f"c{n}")
    assert qonto.stats.budget_waits >= 2
    assert 0 < qonto.stats.budget_wait_seconds < 10


async def test_a_cancellation_dropped_by_wait_for_is_delivered() -> None:
    """What redis-py's calls go through: on Python 3.11, ``asyncio.wait_for`` returns the
    result of an operation that finished as its task was cancelled, dropping the cancellation
    (3.12 raises it). ``uncancelled`` delivers it either way."""
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def redis_like_call() -> int:
        return await asyncio.wait_for(finished, 10)

    task = asyncio.ensure_future(uncancelled(redis_like_call()))
    await asyncio.sleep(0)
    finished.set_result(1)  # the answer arrives...
    task.cancel()  # ...as the caller gives up
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await uncancelled(asyncio.sleep(0, result=2)) == 2  # no cancellation: the result
