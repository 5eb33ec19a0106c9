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


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Slots(0)
