"""The client-wide gate every request passes before it is sent.

Three things hold a request back:

* a rate (``requests_per_second``), enforced with GCRA: each caller reserves the next free
  send slot synchronously, so waiters are served first come first served and a crowd of
  waiters never wakes at once to fight over a token;
* a long window (Qonto also caps 10,000 requests per 10 minutes): a log of the last N reserved
  slots makes the N+1th wait until the oldest one has left the window;
* a pause: a 429 anywhere stops every request of the client until its ``Retry-After`` ends.

The burst allowance is one second's worth of requests, so any 10 s window holds at most
``11 * requests_per_second`` requests (990 at the default 90/s, under Qonto's 1,000).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateGate"]

# Slot times are sums of float intervals; a nanosecond is "now", not "later".
_EPSILON = 1e-9


class RateGate:
    def __init__(
        self,
        requests_per_second: float | None,
        *,
        window_requests: int | None = None,
        window_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if requests_per_second is not None and requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive or None")
        if window_requests is not None and window_requests < 1:
            raise ValueError("the window's request count must be at least 1 or None")
        self._clock = clock
        self._sleep = sleep
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        burst = max(1.0, requests_per_second or 1.0)
        self._tolerance = (burst - 1.0) * self._interval
        self._theoretical_arrival = 0.0
        self._window: collections.deque[float] | None = (
            collections.deque(maxlen=window_requests) if window_requests else None
        )
        self._window_seconds = window_seconds
        self._paused_until = 0.0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now (never shortens a longer pause)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def _reserve(self, now: float) -> float:
        send_at = now
        if self._interval:
            arrival = max(self._theoretical_arrival, now)
            send_at = max(now, arrival - self._tolerance)
            self._theoretical_arrival = arrival + self._interval
        window = self._window
        if window is not None:
            if len(window) == window.maxlen:
                send_at = max(send_at, window[0] + self._window_seconds)
            window.append(send_at)
        return send_at

    def try_acquire(self) -> bool:
        """Take a slot if one is free right now; never waits, changes nothing otherwise.

        The transport calls this first so the common case costs no coroutine.
        """
        now = self._clock()
        if now < self._paused_until:
            return False
        if self._interval:
            arrival = max(self._theoretical_arrival, now)
            if arrival - self._tolerance > now + _EPSILON:
                return False
        window = self._window
        if (
            window is not None
            and len(window) == window.maxlen
            and window[0] + self._window_seconds > now + _EPSILON
        ):
            return False
        self._reserve(now)
        return True

    async def acquire(self) -> None:
        while True:
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            send_at = self._reserve(now)
            if send_at > now + _EPSILON:
                await self._sleep(send_at - now)
            if self._clock() >= self._paused_until:
                return
            # A 429 arrived while we waited for our slot: wait out the pause, then take a
            # fresh slot so the requests held back do not all leave at the same instant.
