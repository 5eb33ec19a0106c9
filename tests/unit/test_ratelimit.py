"""The client-wide rate gate: rate, long window, 429 pause; on a fake clock and for real."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from conftest import serve

from qonto_async import Client, QontoClient
from qonto_async._http.ratelimit import RateGate
from qonto_async.testing import VirtualClock


def gate_on(clock: VirtualClock, rate: float | None, **kwargs: float) -> RateGate:
    return RateGate(rate, clock=clock.time, sleep=clock.gate_sleep, **kwargs)  # type: ignore[arg-type]


async def send_times(gate: RateGate, clock: VirtualClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await gate.acquire()
        times.append(round(clock.now - 1000.0, 6))
    return times


async def test_burst_of_one_second_then_steady_rate() -> None:
    clock = VirtualClock()
    times = await send_times(gate_on(clock, 10), clock, 13)
    assert times[:10] == [0.0] * 10
    assert times[10:] == [0.1, 0.2, 0.3]


async def test_any_ten_second_window_stays_under_qonto_limit_at_default_rate() -> None:
    clock = VirtualClock()
    times = await send_times(gate_on(clock, 90), clock, 3000)
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + 10)
        assert in_window <= 1000
    assert max(sum(1 for t in times if s <= t < s + 10) for s in times) <= 990


async def test_long_window_budget() -> None:
    clock = VirtualClock()
    gate = gate_on(clock, None, window_requests=3, window_seconds=600)
    assert await send_times(gate, clock, 5) == [0.0, 0.0, 0.0, 600.0, 600.0]


async def test_pause_holds_everyone_and_never_shortens() -> None:
    clock = VirtualClock()
    gate = gate_on(clock, None)
    gate.pause(5)
    gate.pause(2)
    await gate.acquire()
    assert clock.now - 1000.0 == pytest.approx(5.0)


async def test_concurrent_waiters_are_served_in_order() -> None:
    gate = RateGate(200)
    order: list[int] = []

    async def take(n: int) -> None:
        await gate.acquire()
        order.append(n)

    await asyncio.gather(*(take(n) for n in range(260)))
    assert order == list(range(260))


def test_try_acquire_takes_only_free_slots() -> None:
    clock = VirtualClock()
    gate = gate_on(clock, 5, window_requests=8, window_seconds=60)
    assert [gate.try_acquire() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.2
    assert gate.try_acquire()
    assert not gate.try_acquire()
    clock.now += 0.2
    assert gate.try_acquire()
    clock.now += 10
    assert gate.try_acquire()  # the 8th and last slot of the 60 s window
    clock.now += 10
    assert not gate.try_acquire()  # the window is full until the first slot leaves it
    clock.now += 60
    assert gate.try_acquire()
    gate.pause(3)
    clock.now += 1
    assert not gate.try_acquire()
    clock.now += 2
    assert gate.try_acquire()


async def test_try_acquire_and_acquire_share_one_schedule() -> None:
    clock = VirtualClock()
    gate = gate_on(clock, 10)
    for _ in range(30):
        if not gate.try_acquire():
            await gate.acquire()
    # 10 at once, then one every 0.1 s
    assert clock.now - 1000.0 == pytest.approx(2.0)


def test_invalid_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateGate(0)
    with pytest.raises(ValueError, match="at least 1"):
        RateGate(None, window_requests=0)


# -- real HTTP: arrival times measured by the server ------------------------------------------


@pytest.fixture
async def clock_server() -> AsyncIterator[tuple[str, list[tuple[float, int]], dict[str, int]]]:
    arrivals: list[tuple[float, int]] = []
    plan = {"throttle_request": -1, "retry_after": 1}

    async def handler(request: web.Request) -> web.Response:
        n = len(arrivals)
        status = 429 if n == plan["throttle_request"] else 200
        arrivals.append((time.monotonic(), status))
        await asyncio.sleep(0.01)
        if status == 429:
            headers = {"Retry-After": str(plan["retry_after"])}
            return web.json_response(
                {"errors": [{"code": "too_many"}]}, status=429, headers=headers
            )
        return web.json_response({"client": {"id": request.match_info["id"]}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", handler)
    async with serve(app) as base_url:
        yield base_url, arrivals, plan


async def test_job_never_exceeds_configured_rate(
    clock_server: tuple[str, list[tuple[float, int]], dict[str, int]],
) -> None:
    base_url, arrivals, _ = clock_server
    rate = 40.0
    async with QontoClient(
        login="l", secret_key="s", base_url=base_url, requests_per_second=rate, max_concurrency=16
    ) as qonto:
        started = time.monotonic()
        await qonto.clients.get_many([f"c{n}" for n in range(80)])
        elapsed = time.monotonic() - started
    times = sorted(t for t, _ in arrivals)
    assert len(times) == 80
    # GCRA bound: at most burst (= rate) + rate * window requests in any window, plus one
    # for the window's closed end
    for window in (0.25, 0.5, 1.0):
        worst = max(sum(1 for t in times if s <= t <= s + window) for s in times)
        assert worst <= rate + rate * window + 1
    assert elapsed >= (80 - rate) / rate * 0.9


async def test_429_pauses_every_task_of_the_client(
    clock_server: tuple[str, list[tuple[float, int]], dict[str, int]],
) -> None:
    base_url, arrivals, plan = clock_server
    plan["throttle_request"] = 3
    async with QontoClient(
        login="l", secret_key="s", base_url=base_url, requests_per_second=None, max_concurrency=4
    ) as qonto:
        clients = await qonto.clients.get_many([f"c{n}" for n in range(20)])
    assert len(clients) == 20
    throttled_at = next(t for t, status in arrivals if status == 429)
    # the answer left the server ~10 ms after arrival; in-flight requests then were already
    # sent, every other request must wait the full second
    after = [t for t, _ in arrivals if t > throttled_at + 0.05]
    assert after, "the job went on after the pause"
    assert min(after) >= throttled_at + 1.0
    assert len(arrivals) == 21


# -- cancelled waiters give their reservations back -----------------------------------------


class StoppedClock:
    """Time stands still and every wait blocks until it is cancelled."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(3600)


async def cancel_waiters(gate: RateGate, count: int) -> None:
    waiters = [asyncio.ensure_future(gate.acquire()) for _ in range(count)]
    await asyncio.sleep(0)  # every waiter has reserved its slot and sleeps
    for waiter in waiters:
        waiter.cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)


async def test_cancelled_waiters_give_their_ten_minute_slots_back() -> None:
    clock = StoppedClock()
    gate = RateGate(None, window_requests=5, clock=clock.time, sleep=clock.sleep)
    for _ in range(5):
        assert gate.try_acquire()
    await cancel_waiters(gate, 200)
    assert gate.window_reserved == 5  # the five requests really sent, no phantom
    clock.now += 600.0
    assert gate.try_acquire()  # the window turned over: the next request goes at once


async def test_cancelled_waiters_give_their_rate_slots_back() -> None:
    clock = StoppedClock()
    gate = RateGate(1.0, clock=clock.time, sleep=clock.sleep)
    assert gate.try_acquire()
    await cancel_waiters(gate, 200)
    clock.now += 1.0
    assert gate.try_acquire()  # one interval later, not 200


async def test_a_slot_waited_for_through_a_pause_is_not_kept() -> None:
    clock = VirtualClock()
    gate = gate_on(clock, None, window_requests=3)
    gate.pause(5.0)
    await gate.acquire()
    assert gate.window_reserved == 1


async def test_timeouts_do_not_starve_the_client() -> None:
    """The web-app pattern: requests abandoned by asyncio.timeout must not eat the budget."""

    async def one_client(request: web.Request) -> web.Response:
        return web.json_response({"client": {"id": request.match_info["id"]}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", one_client)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url, requests_per_second=2.0) as qonto,
    ):
        await asyncio.gather(*(qonto.clients.get(f"c{n}") for n in range(2)))  # burst spent
        for n in range(20):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(qonto.clients.get(f"abandoned-{n}"), 0.01)
        started = time.monotonic()
        assert (await asyncio.wait_for(qonto.clients.get("plain"), 20)).id == "plain"
        # One slot is 0.5 s; twenty phantom slots would be 10 s. A wide margin for a busy box.
        assert time.monotonic() - started < 5.0


# -- cancelled waiters never let later requests overlap the slots handed out ------------------


class RecordingStoppedClock(StoppedClock):
    """Time stands still; each wait records the send time it was reserved for and blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.reserved: dict[asyncio.Task[None] | None, float] = {}

    async def sleep(self, seconds: float) -> None:
        self.reserved[asyncio.current_task()] = round(self.now + seconds, 6)
        await asyncio.sleep(3600)


async def test_a_cancelled_slot_goes_to_a_newcomer_never_onto_a_taken_one() -> None:
    clock = RecordingStoppedClock()
    gate = RateGate(10.0, window_requests=1000, clock=clock.time, sleep=clock.sleep)
    for _ in range(10):
        assert gate.try_acquire()  # the burst
    first = [asyncio.ensure_future(gate.acquire()) for _ in range(40)]
    await asyncio.sleep(0)
    cancelled, kept = first[:20], first[20:]
    for task in cancelled:
        task.cancel()
    await asyncio.gather(*cancelled, return_exceptions=True)
    later = [asyncio.ensure_future(gate.acquire()) for _ in range(30)]
    await asyncio.sleep(0)
    kept_times = [clock.reserved[t] for t in kept]
    later_times = [clock.reserved[t] for t in later]
    for task in kept + later:
        task.cancel()
    await asyncio.gather(*kept, *later, return_exceptions=True)
    every = sorted(kept_times + later_times)
    assert len(set(every)) == len(every), "two requests were given the same send slot"
    # One every 0.1 s from the end of the burst: the freed slots first, then the next ones.
    assert every == [round(1000.0 + 0.1 * n, 6) for n in range(1, 51)]
    assert gate.window_reserved == 10  # every waiter cancelled: only the burst was sent


@pytest.fixture
async def arrivals_server() -> AsyncIterator[tuple[str, list[float], asyncio.Event]]:
    """Records when each request arrives; the event is set once 20 have."""
    arrivals: list[float] = []
    twenty = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        if len(arrivals) >= 20:
            twenty.set()
        return web.json_response({"client": {"id": request.match_info["id"]}})

    app = web.Application()
    app.router.add_get("/v2/clients/{id}", handler)
    async with serve(app) as base_url:
        yield base_url, arrivals, twenty


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t <= start + window) for i, start in enumerate(times))


async def test_cancelled_waiters_let_no_request_overshoot_the_rate(
    arrivals_server: tuple[str, list[float], asyncio.Event],
) -> None:
    base_url, arrivals, burst_out = arrivals_server
    rate, queued, cancelled = 20.0, 140, 60
    async with QontoClient(
        login="l", secret_key="s", base_url=base_url, requests_per_second=rate, max_concurrency=256
    ) as qonto:
        first = [asyncio.create_task(qonto.clients.get(f"a{n}")) for n in range(queued)]
        async with asyncio.timeout(30):
            await burst_out.wait()  # the rest wait for their slots
        # The earliest waiters (the burst went first, in order), but for a few that may
        # already be on their way.
        for task in first[int(rate) + 5 :][:cancelled]:
            task.cancel()
        later = [asyncio.create_task(qonto.clients.get(f"b{n}")) for n in range(cancelled)]
        async with asyncio.timeout(60):
            outcomes = await asyncio.gather(*first, *later, return_exceptions=True)
    assert [o for o in outcomes if not isinstance(o, asyncio.CancelledError | Client)] == []
    stopped = sum(1 for o in outcomes if isinstance(o, asyncio.CancelledError))
    assert cancelled - 5 <= stopped <= cancelled  # a very slow machine may have sent a few
    assert len(arrivals) >= queued
    # GCRA allows a burst of one second's worth plus the rate: 20 + 20 * 3 = 80 in any 3 s.
    # Another second's worth (20) absorbs timers fired late on a busy machine; two requests
    # per slot, the overshoot, put 120 in 3 s.
    window = 3.0
    assert most_in_any_window(arrivals, window) <= rate + rate * window + rate
