"""The rate gate shared by every process on one Redis: ``RedisRateLimiter``.

The same rules as the in-process gate (:mod:`._ratelimit`), kept in Redis and decided by one
Lua script per request, atomically, on Redis's own clock (``TIME``), so processes on
machines with skewed clocks agree:

* GCRA at ``requests_per_second`` with one second of burst (a theoretical arrival time);
* at most ``requests_per_10_minutes`` in any 10 minutes (a sorted set of send times);
* a pause: a 429 seen by any process holds every process back for its ``Retry-After``.

A request asks the script for a slot; the answer is "go" or "wait this long", and the
waiter asks again after that (with a little jitter, so waiters spread out). When Redis
cannot be reached, ``on_unavailable="local"`` (the default) falls back to an in-process gate
at the same rates, with one WARNING, and tries Redis again after ``retry_redis_after``
seconds; ``"fail"`` raises :class:`RateLimiterUnavailableError` instead of sending.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from .._http.ratelimit import RateGate
from ..errors import QontoError
from .connection import Connection, uncancelled

__all__ = ["RateLimiterUnavailableError", "RedisRateLimiter"]

logger = logging.getLogger("qonto_async")

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {0, paused - now, 1} end
local tat = now
if interval > 0 then
  tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
  if tat - tolerance > now then return {0, tat - tolerance - now, 2} end
end
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  if redis.call('ZCARD', KEYS[2]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + window - now, 3}
  end
  redis.call('ZADD', KEYS[2], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], math.ceil(window / 1000) + 1000)
end
if interval > 0 then
  redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil((tat + interval - now) / 1000) + 1000)
end
return {1, 0, 0}
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_us > current then
  redis.call('SET', KEYS[1], until_us, 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return until_us
"""

_WHY = {
    1: "a 429 answer's pause (shared)",
    2: "requests_per_second (shared)",
    3: "the 10-minute budget (shared)",
}


class RateLimiterUnavailableError(QontoError):
    """The shared rate limiter's Redis cannot be reached and ``on_unavailable="fail"``: no
    request is sent rather than one over the shared budget."""


class RedisRateLimiter:
    """One request budget for every client built with a limiter on the same Redis ``url``
    and ``key``, across processes and machines (``pip install 'qonto-async[redis]'``)::

        limiter = RedisRateLimiter("redis://redis:6379/0", key="acme-qonto")
        async with QontoClient(login, secret_key, rate_limiter=limiter) as qonto: ...

    ``burst`` is how many requests may leave at once after a quiet spell (one second's worth
    by default); any 10 seconds then hold at most ``burst + 10 * requests_per_second``
    requests, which must stay under Qonto's 1,000 (``requests_per_second=97, burst=20``
    runs closest to 100/s). ``client`` may be an existing ``redis.asyncio.Redis`` (then
    ``url`` is ignored and the caller closes it).
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        key: str = "qonto",
        requests_per_second: float | None = 90.0,
        requests_per_10_minutes: int | None = 9_500,
        burst: float | None = None,
        on_unavailable: Literal["local", "fail"] = "local",
        retry_redis_after: float = 5.0,
        client: Any = None,
    ) -> None:
        if requests_per_second is not None and requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive or None")
        if on_unavailable not in ("local", "fail"):
            raise ValueError('on_unavailable is "local" or "fail"')
        self._connection = Connection(url, client, timeout=2)
        client = self._connection.redis
        self._keys = [f"{key}:gcra", f"{key}:window", f"{key}:pause"]
        interval = 1.0 / requests_per_second if requests_per_second else 0.0
        burst = max(1.0, burst if burst is not None else (requests_per_second or 1.0))
        self._args = [
            int(interval * 1e6),
            int((burst - 1.0) * interval * 1e6),
            600_000_000,
            requests_per_10_minutes or 0,
        ]
        self._acquire_script = client.register_script(_ACQUIRE)
        self._pause_script = client.register_script(_PAUSE)
        self._local = RateGate(requests_per_second, window_requests=requests_per_10_minutes)
        self._on_unavailable = on_unavailable
        self._retry_redis_after = retry_redis_after
        self._down_until = 0.0
        self._warned = False
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._pending: set[asyncio.Task[Any]] = set()
        self.on_wait: Callable[[float, str], None] | None = None
        self.shared_waits = 0
        """Times a request waited on the shared budget."""

    def __repr__(self) -> str:
        return f"RedisRateLimiter(key={self._keys[0].rsplit(':', 1)[0]!r})"

    # -- what the transport calls ---------------------------------------------------------

    def use_clock(
        self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        """Wait with ``sleep`` (a virtual clock in tests); time itself is Redis's."""
        self._sleep = sleep
        self._local.use_clock(clock, sleep)

    def try_acquire(self) -> bool:
        """Never decides without Redis, unless Redis is down and the local gate stands in."""
        return self._falling_back() and self._local.try_acquire()

    async def acquire(self) -> None:
        while True:
            if self._falling_back():
                await self._local.acquire()
                return
            try:
                granted, wait_us, reason = await uncancelled(
                    self._acquire_script(keys=self._keys, args=[*self._args, uuid.uuid4().hex])
                )
            except Exception as exc:
                self._unavailable(exc)
                continue
            if granted:
                return
            wait = int(wait_us) / 1e6
            self.shared_waits += 1
            if self.on_wait is not None:
                self.on_wait(wait, _WHY.get(int(reason), "the shared budget"))
            await self._sleep(wait + random.uniform(0, 0.002))

    def pause(self, seconds: float) -> None:
        """A 429 told this process to wait: every process waits, through Redis."""
        self._local.pause(seconds)
        if self._falling_back():
            return
        task = asyncio.get_running_loop().create_task(self._share_pause(seconds))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _share_pause(self, seconds: float) -> None:
        try:
            await self._pause_script(keys=[self._keys[2]], args=[int(seconds * 1e6)])
        except Exception as exc:
            self._unavailable(exc)

    async def flush(self) -> None:
        """Wait until the pauses this process shared have reached Redis."""
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def aclose(self) -> None:
        await self.flush()
        await self._connection.aclose()

    # -- Redis down ---------------------------------------------------------------------

    def _falling_back(self) -> bool:
        return time.monotonic() < self._down_until

    def _unavailable(self, exc: BaseException) -> None:
        if self._on_unavailable == "fail":
            raise RateLimiterUnavailableError(
                f"the shared rate limiter's Redis is unavailable ({type(exc).__name__}); "
                'no request is sent (on_unavailable="fail")'
            ) from None
        self._down_until = time.monotonic() + self._retry_redis_after
        if not self._warned:
            self._warned = True
            logger.warning(
                "shared rate limiter: Redis unavailable (%s); using this process's own limit "
                "until it answers again",
                type(exc).__name__,
            )
