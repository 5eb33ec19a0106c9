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

A waiter cancelled before its slot gives the slot back without moving anyone else's: the
last slot of the schedule shortens it, an earlier one becomes a gap that the next request
to ask takes, if it asks before that slot's time has passed (ahead of later waiters, who
keep their own slots). No two requests ever share a slot, whatever is cancelled.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["Gate", "RateGate"]


class Gate(Protocol):
    """What the transport asks of a rate limiter: this module's, or the shared one."""

    on_wait: Callable[[float, str], None] | None
    """Told of every wait before it starts: (seconds, what set it)."""

    def try_acquire(self) -> bool: ...

    async def acquire(self) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def use_clock(
        self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None: ...


# Slot times are sums of float intervals; a nanosecond is "now", not "later".
_EPSILON = 1e-9
LONG_WAIT = 1.0
"""Waits longer than this (seconds) are logged; every wait is counted."""


class RateGate:
    def __init__(
        self,
        requests_per_second: float | None,
        *,
        window_requests: int | None = None,
        window_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if requests_per_second is not None and requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive or None")
        if window_requests is not None and window_requests < 1:
            raise ValueError("the window's request count must be at least 1 or None")
        self.use_clock(clock, sleep)
        # Told of every wait: (seconds, why).
        self.on_wait = on_wait
        self._requests_per_second = requests_per_second
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        burst = max(1.0, requests_per_second or 1.0)
        self._tolerance = (burst - 1.0) * self._interval
        self._theoretical_arrival = 0.0
        # Arrival times inside the schedule given back by cancelled waiters, in order.
        self._gaps: list[float] = []
        # Send times reserved within the long window, oldest first (a slot given back by a
        # cancelled waiter may be taken again before later reservations: kept in order).
        self._window: collections.deque[float] | None = (
            collections.deque() if window_requests else None
        )
        self._window_requests = window_requests or 0
        self._window_seconds = window_seconds
        self._paused_until = 0.0

    def use_clock(
        self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        """Measure and wait with these (a virtual clock in tests)."""
        self._clock = clock
        self._sleep = sleep

    @property
    def paused_until(self) -> float:
        return self._paused_until

    @property
    def window_reserved(self) -> int:
        """Send slots reserved in the long window and not yet out of it."""
        if self._window is None:
            return 0
        self._prune(self._clock())
        return len(self._window)

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now (never shortens a longer pause)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def _prune(self, now: float) -> None:
        window = self._window
        assert window is not None
        horizon = now - self._window_seconds
        while window and window[0] <= horizon:
            window.popleft()

    def _window_frees_at(self, now: float) -> float:
        """When the long window next has room, given what it holds (``now`` if it has)."""
        window = self._window
        if window is None:
            return now
        self._prune(now)
        excess = len(window) - self._window_requests
        if excess < 0:
            return now
        return window[excess] + self._window_seconds

    def _next_arrival(self, now: float) -> float:
        """Take the earliest free slot of the schedule (its GCRA arrival time): a gap left by
        a cancelled waiter whose time has not passed, else the one after the last."""
        gaps = self._gaps
        while gaps and gaps[0] < now - _EPSILON:
            del gaps[0]  # unused while it could be: a request now would come after its time
        if gaps:
            return gaps.pop(0)
        arrival = max(self._theoretical_arrival, now)
        self._theoretical_arrival = arrival + self._interval
        return arrival

    def _reserve(self, now: float) -> tuple[float, float, str]:
        """The next free send slot, taken: when to send, its arrival time, what set it."""
        send_at, arrival, why = now, now, ""
        if self._interval:
            arrival = self._next_arrival(now)
            send_at = max(now, arrival - self._tolerance)
            why = f"requests_per_second ({self._requests_per_second:g}/s)"
        window = self._window
        if window is not None:
            frees_at = self._window_frees_at(now)
            if frees_at > send_at:
                send_at = frees_at
                why = (
                    f"the {self._window_seconds / 60:g}-minute budget "
                    f"({self._window_requests:,} requests)"
                )
            if window and send_at < window[-1]:
                bisect.insort(window, send_at)  # a gap's slot, before later reservations
            else:
                window.append(send_at)
        return send_at, arrival, why

    def _tell(self, seconds: float, why: str) -> None:
        if self.on_wait is not None:
            self.on_wait(seconds, why)

    def _release(self, send_at: float, arrival: float) -> None:
        """Give back a reserved slot whose request will not be sent.

        Only the last slot moves the schedule's end back (and with it the gaps just before
        it); an earlier one becomes a gap, for the next request to ask. Moving the end back
        for an earlier slot would give the next request a slot some waiter still holds.
        """
        interval = self._interval
        if interval:
            gaps = self._gaps
            if abs(arrival + interval - self._theoretical_arrival) <= _EPSILON:
                self._theoretical_arrival = arrival
                while gaps and abs(gaps[-1] + interval - self._theoretical_arrival) <= _EPSILON:
                    self._theoretical_arrival = gaps.pop()
            else:
                bisect.insort(gaps, arrival)
        if self._window is not None:
            with contextlib.suppress(ValueError):  # already out of the window
                self._window.remove(send_at)

    def try_acquire(self) -> bool:
        """Take a slot if one is free right now; never waits, changes nothing otherwise.

        The transport calls this first so the common case costs no coroutine; it is the
        same decision as :meth:`_reserve` for a slot at ``now``, written out flat.
        """
        now = self._clock()
        if now < self._paused_until:
            return False
        interval = self._interval
        arrival = 0.0
        if interval:
            arrival = max(self._theoretical_arrival, now)
            if arrival - self._tolerance > now + _EPSILON:
                return False
        window = self._window
        if window is not None:
            horizon = now - self._window_seconds
            while window and window[0] <= horizon:
                window.popleft()
            excess = len(window) - self._window_requests
            if excess >= 0 and window[excess] + self._window_seconds > now + _EPSILON:
                return False
            window.append(now)
        if interval:
            self._theoretical_arrival = arrival + interval
        return True

    async def acquire(self) -> None:
        """Wait for a send slot. A waiter cancelled before its slot gives the slot back."""
        while True:
            now = self._clock()
            if now < self._paused_until:
                self._tell(self._paused_until - now, "a 429 answer's pause")
                await self._sleep(self._paused_until - now)
                continue
            send_at, arrival, why = self._reserve(now)
            if send_at > now + _EPSILON:
                self._tell(send_at - now, why)
                try:
                    await self._sleep(send_at - now)
                except BaseException:
                    self._release(send_at, arrival)
                    raise
            if self._clock() >= self._paused_until:
                return
            # A 429 arrived while we waited for our slot: give it back, wait out the pause,
            # then take a fresh slot so the requests held back do not all leave at once.
            self._release(send_at, arrival)
