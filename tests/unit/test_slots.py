"""The concurrency cap: free slots without a coroutine, first come first served, no slot lost
to a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from qonto_async._http.slots import Slots


def test_free_slots_are_taken_at_once() -> None:
    slots = Slots(2)
    assert slots.try_take()
    assert slots.try_take()
    assert not slots.try_take()
    slots.give()
    assert slots.in_use == 1
    assert slots.try_take()


async def test_a_released_slot_goes_to_the_oldest_waiter() -> None:
    slots = Slots(1)
    assert slots.try_take()
    order: list[int] = []

    async def wait(n: int) -> None:
        await slots.take()
        order.append(n)

    waiters = [asyncio.ensure_future(wait(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert not slots.try_take()  # queued callers come first, even when one is released
    for _ in range(3):
        slots.give()
        await asyncio.sleep(0)
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2]
    assert slots.in_use == 1


async def test_a_waiter_cancelled_in_line_leaves_no_trace() -> None:
    slots = Slots(1)
    assert slots.try_take()
    waiter = asyncio.ensure_future(slots.take())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.give()
    assert slots.in_use == 0
    assert slots.try_take()


async def test_a_slot_handed_over_to_a_cancelled_waiter_is_passed_on() -> None:
    slots = Slots(1)
    assert slots.try_take()
    first = asyncio.ensure_future(slots.take())
    second = asyncio.ensure_future(slots.take())
    await asyncio.sleep(0)
    slots.give()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the slot went on to the next in line
    assert slots.in_use == 1


async def test_a_waiter_skipped_by_a_release_after_its_cancellation_raises_cancelled() -> None:
    slots = Slots(1)
    assert slots.try_take()
    first = asyncio.ensure_future(slots.take())
    second = asyncio.ensure_future(slots.take())
    await asyncio.sleep(0)
    first.cancel()  # its place in line is cancelled...
    slots.give()  # ...and a release skips it before it runs, handing the slot to `second`
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    assert slots.in_use == 1
    slots.give()
    assert slots.in_use == 0
    assert slots.try_take()


async def test_a_crowd_cancelled_in_line_keeps_the_count() -> None:
    slots = Slots(3)
    for _ in range(3):
        assert slots.try_take()
    waiters = [asyncio.ensure_future(slots.take()) for _ in range(50)]
    await asyncio.sleep(0)
    for n, waiter in enumerate(waiters):
        if n % 2:
            waiter.cancel()
        if n % 5 == 0:
            slots.give()  # releases interleaved with the cancellations
    await asyncio.sleep(0)  # the waiters handed a slot take it
    for waiter in waiters:
        waiter.cancel()  # and the rest leave the line
    outcomes = await asyncio.wait_for(asyncio.gather(*waiters, return_exceptions=True), 10)
    assert all(o is None or isinstance(o, asyncio.CancelledError) for o in outcomes)
    taken = sum(1 for o in outcomes if o is None)
    assert slots.in_use == 3 - 10 + taken  # ten released, one per waiter that got a slot
    while slots.in_use:
        slots.give()
    assert not slots._waiters
    assert [slots.try_take() for _ in range(4)] == [True, True, True, False]


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Slots(0)
