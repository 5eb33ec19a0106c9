"""Fetching many ids as a stream: results in input order, with bounded memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TypeVar

from .._http.slots import Slots
from .._listing.paginator import ProgressCallback
from ..errors import QontoError

__all__ = ["stream_in_order"]

R = TypeVar("R")


async def stream_in_order(
    fetch: Callable[[str], Awaitable[R]],
    ids: Iterable[str],
    *,
    concurrency: int,
    window: int,
    return_exceptions: bool,
    on_progress: ProgressCallback | None = None,
    total: int | None = None,
) -> AsyncGenerator[R | QontoError, None]:
    """Yield ``fetch(id)`` for every id, in input order.

    ``concurrency`` workers pull ids lazily from ``ids`` (a generator of a million ids is
    fine). None of them takes an id more than ``window`` places ahead of the one the consumer
    waits for, so at most ``window`` results are ever held, whatever the number of ids: a slow
    id at the head holds the others back instead of letting them pile up.

    A failed id is yielded as its exception with ``return_exceptions``; otherwise it is
    raised when its turn comes, after everything before it was yielded, and the requests in
    flight are cancelled. Leaving the loop early (``break``, an exception, a cancel) cancels
    them too. ``on_progress(done, total)`` is called before each result is yielded.
    """
    loop = asyncio.get_running_loop()
    source = enumerate(ids)
    ahead = Slots(window)
    results: dict[int, R | QontoError] = {}
    pulled = 0
    exhausted = False
    wake: asyncio.Future[None] | None = None

    def notify(*_: object) -> None:
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def worker() -> None:
        nonlocal pulled, exhausted
        while True:
            if not ahead.try_take():
                await ahead.take()
            item = next(source, None)
            if item is None:
                exhausted = True
                ahead.give()
                return
            index, resource_id = item
            pulled = index + 1
            try:
                results[index] = await fetch(resource_id)
            except QontoError as exc:
                results[index] = exc
            notify()

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    for task in workers:
        task.add_done_callback(notify)
    try:
        index = 0
        while True:
            while index not in results:
                # Any worker that failed (an empty id, the ids iterable raising), not only the
                # first one done: a worker that found the iterable finished ends cleanly.
                broken = next(
                    (t for t in workers if t.done() and not t.cancelled() and t.exception()),
                    None,
                )
                if broken is not None:
                    raise broken.exception()  # type: ignore[misc]
                if exhausted and index >= pulled:
                    return
                wake = loop.create_future()
                try:
                    await wake
                finally:
                    wake = None
            value = results.pop(index)
            index += 1
            ahead.give()
            if isinstance(value, QontoError) and not return_exceptions:
                raise value
            if on_progress is not None:
                on_progress(index, total)
            yield value
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
