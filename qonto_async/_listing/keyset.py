"""Exactly-once listing over ``created_at``: offset pages for speed, keyset windows for truth.

Qonto pages by offset. When a record on a page already read is deleted, every later record
moves up one place and the one at the page boundary is never served; an insertion serves it
twice. ``created_at`` never changes, so a *time window* (``filter[created_at_from|to]``,
inclusive) does not move when other records come and go: a window answered whole by one
page is an exact snapshot of it.

The listing walks the ``created_at`` order (newest first by default) and keeps a *frontier*:
every record before it has been yielded, or did not exist throughout. Two kinds of answers
push the frontier on:

- **probe pages**: offset pages 1, 3, 5... of ``per_page - 2`` records, fetched ahead and
  concurrently. A page is a contiguous run of the order at the instant it was served, so
  every record strictly between its first and last ``created_at`` is on it, however the
  offsets moved. Only its two ends are uncertain.
- **windows**: ``[last created_at of probe n, first created_at of probe n + 2]``, the gap
  between two probes: normally ``per_page - 2`` records plus the two ends, so one page of
  ``per_page`` answers it whole. A window that overflows (records shifted into it) is read
  on with keyset windows starting at its last ``created_at``; a run of equal ``created_at``
  larger than a page (a bulk import) is read by offset within that instant, again from the
  start if it shrank meanwhile.

Windows start as soon as both neighbouring probes are in, so up to ``prefetch`` requests
stay in flight and every request but the last carries a full page. A record is yielded only
when its ``created_at`` is beyond the frontier, or equal to it and its id not yet yielded at
that instant: no id twice, and memory for ids only at one instant. A probe or window that
does not reach the frontier (massive change between two requests) is preceded by a
corrective window read on the spot, so there is never a gap.

Timestamps shown in whole seconds may hide a finer stored instant, so a window's newer bound
is sent as the end of its second; what that lets in is filtered by the frontier.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

from ..errors import APIResponseValidationError
from .position import ListState, us_of, us_to_iso
from .verified import read_by_page_number

__all__ = ["Keyed", "KeysetLister", "PageFetch"]


class Keyed(Protocol):
    @property
    def id(self) -> str | None: ...

    @property
    def created_at(self) -> dt.datetime | None: ...


T = TypeVar("T", bound=Keyed)
PageFetch = Callable[[list[tuple[str, str]]], Awaitable[Any]]
"""Fetch one page for these query parameters (added to the listing's filters): a ``Page``."""

_SECOND = 1_000_000
logger = logging.getLogger("qonto_async")


class KeysetLister(Generic[T]):
    """One run of the algorithm above; :meth:`pages` yields lists of new records.

    Keys are ``created_at`` in microseconds, negated when newest first, so the walk always
    goes towards larger keys. ``state`` is the frontier, shared with the caller for resume
    positions.
    """

    def __init__(
        self,
        fetch: PageFetch,
        *,
        per_page: int,
        prefetch: int,
        descending: bool,
        lower_us: int | None,
        upper_us: int | None,
        state: ListState,
        describe: Callable[[list[tuple[str, str]]], str],
    ) -> None:
        self._fetch = fetch
        self._per_page = per_page
        self._probe_size = per_page - 2 if per_page >= 3 else per_page
        self._prefetch = prefetch
        self._desc = descending
        self._sign = -1 if descending else 1
        # The user's own created_at bounds, as keys: [first, last] in walking order.
        ends = (upper_us, lower_us) if descending else (lower_us, upper_us)
        self._first = None if ends[0] is None else self._sign * ends[0]
        self._last = None if ends[1] is None else self._sign * ends[1]
        self.state = state
        self._describe = describe
        self.total_count: int | None = None
        # Ids yielded until a window proves the server applies created_at filters: what the
        # page-number fallback must not yield again. None once proven.
        self._early: set[str] | None = set()

    # -- keys and queries ---------------------------------------------------------------

    def key(self, item: T) -> int:
        created = item.created_at
        if created is None or item.id is None:
            raise self._invalid(
                f"record {item.id!r} has no created_at: it cannot be listed exactly once "
                "(pass an explicit sort_by to list it by offset)"
            )
        return self._sign * us_of(created)

    def _window(self, a: int | None, b: int | None) -> list[tuple[str, str]]:
        """Query parameters for keys in ``[a, b]`` (None: unbounded), clipped to the user's
        bounds; the newer end stands for its whole second when it shows whole seconds."""
        if self._first is not None:
            a = self._first if a is None else max(a, self._first)
        if self._last is not None:
            b = self._last if b is None else min(b, self._last)
        older, newer = (b, a) if self._desc else (a, b)
        params: list[tuple[str, str]] = []
        if older is not None:
            params.append(("filter[created_at_from]", us_to_iso(self._sign * older)))
        if newer is not None:
            params.append(("filter[created_at_to]", us_to_iso(_whole(self._sign * newer))))
        return params

    def _invalid(self, where: str, params: list[tuple[str, str]] | None = None) -> Exception:
        error = APIResponseValidationError(
            status=200,
            body_excerpt="",
            where=where,
            method="GET",
            url=self._describe(params or []),
        )
        error._record_attempts(1)
        return error

    def _page_query(
        self, window: list[tuple[str, str]], size: int, n: int
    ) -> list[tuple[str, str]]:
        return [*window, ("per_page", str(size)), ("page", str(n))]

    # -- the walk ------------------------------------------------------------------------

    async def pages(self) -> AsyncGenerator[tuple[list[T], Any], None]:
        try:
            async with contextlib.aclosing(self._walk()) as walk:
                async for part in walk:
                    yield part
        except _FilterIgnored as ignored:
            logger.warning(
                "%s did not apply filter[created_at_from|to]: listing by page number instead, "
                "checked for changes at the end",
                ignored.url,
            )
            base = self._window(None, None)
            pages = read_by_page_number(
                self._fetch,
                base,
                per_page=self._per_page,
                prefetch=self._prefetch,
                describe=self._describe,
                seen=self._early,
            )
            async with contextlib.aclosing(pages) as fallback:
                async for part in fallback:
                    yield part

    async def _walk(self) -> AsyncGenerator[tuple[list[T], Any], None]:
        probes: dict[int, asyncio.Task[Any]] = {}
        windows: dict[int, tuple[asyncio.Task[Any], int, int]] = {}
        base = self._window(self.state.key, None)
        closing = False
        current = 1
        launched: set[int] = set()

        def probe(n: int) -> asyncio.Task[Any]:
            task = probes.get(n)
            if task is None:
                query = self._page_query(base, self._probe_size, n)
                task = probes[n] = asyncio.ensure_future(self._fetch(query))
                task.add_done_callback(fill)
            return task

        def bounds(n: int) -> tuple[int, int] | None:
            """Keys of the window between probe ``n`` and probe ``n + 2``, once both are in."""
            left, right = probes.get(n), probes.get(n + 2)
            for task in (left, right):
                if task is None or not task.done() or task.cancelled() or task.exception():
                    return None
            assert left is not None
            assert right is not None
            a_items, b_items = left.result().items, right.result().items
            if not a_items or not b_items:
                return None
            return self.key(a_items[-1]), self.key(b_items[0])

        def launch_window(n: int) -> None:
            try:
                keys = bounds(n)
            except APIResponseValidationError:
                return  # raised again where the probe is read
            if keys is not None:
                query = self._page_query(self._window(*keys), self._per_page, 1)
                task = asyncio.ensure_future(self._fetch(query))
                task.add_done_callback(fill)
                windows[n] = (task, *keys)
                launched.add(n)

        def in_flight() -> int:
            pending = sum(not t.done() for t in probes.values())
            return pending + sum(not w[0].done() for w in windows.values())

        def fill(_task: object = None) -> None:
            """Start what the walk needs next, in its order: at most ``prefetch`` requests in
            flight, and ``prefetch`` probes ahead of the reader (with half as many, windows
            wait for probes and only half the requests overlap)."""
            if self.total_count is None or closing:
                return
            for n in range(current, current + 2 * max(2, self._prefetch), 2):
                if in_flight() >= self._prefetch:
                    return
                if n - 2 >= 1 and n - 2 not in launched:
                    launch_window(n - 2)
                    if in_flight() >= self._prefetch:
                        return
                if (n - 1) * self._probe_size >= self.total_count + self._probe_size:
                    return
                probe(n)

        try:
            number, previous = 1, 0
            while True:
                current = number
                fill()
                page = await probe(number)
                if number == 1:
                    self.total_count = page.meta.total_count if page.meta is not None else None
                    fill()
                items: list[T] = page.items
                if not items:
                    if number == 1:
                        return
                    break
                keys = [self.key(item) for item in items]
                if previous:
                    ready = windows.pop(previous, None)
                    if ready is not None:
                        task, a, b = ready
                    else:
                        launched.add(previous)
                        task = None
                        a = self.key(probes[previous].result().items[-1])
                        b = keys[0]
                    async for part in self._read_window(task, a, b):
                        yield part
                    del probes[previous]
                if number > 1 and not self.state.covers_before(keys[0], inclusive=True):
                    async for part in self._read_window(None, self.state.key, keys[0]):
                        yield part
                yield self._accept(items, keys), page.meta
                previous, number = number, number + 2
                if page.meta is not None and page.meta.next_page is None:
                    break
                if len(items) < self._probe_size:
                    break
            # The tail: everything after the last probe.
            async for part in self._read_window(None, self.state.key, None):
                yield part
        finally:
            closing = True
            tasks = [*probes.values(), *(w[0] for w in windows.values())]
            pending = [t for t in tasks if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            for task in tasks:
                if not task.cancelled():
                    task.exception()  # retrieved: no "never retrieved" warning

    async def _read_window(
        self, task: asyncio.Task[Any] | None, a: int | None, b: int | None
    ) -> AsyncGenerator[tuple[list[T], Any], None]:
        """Keys ``[a, b]`` read whole: one page, then keyset windows while it overflows."""
        while True:
            if (a is not None and b is not None and a > b) or (
                b is not None and self.state.covers_before(b, inclusive=True)
            ):
                # Empty, or read already (a run of one instant spanning several windows).
                if task is not None:
                    task.cancel()
                return
            if a is not None and not self.state.covers_before(a, inclusive=False):
                # The window starts beyond the frontier: read the gap first.
                if task is not None:
                    task.cancel()
                    task = None
                async for part in self._read_window(None, self.state.key, a):
                    yield part
            if task is None:
                # Start where the frontier stands: what is behind it was read already.
                c = self.state.key
                if c is not None and a is not None:
                    a = max(a, c + 1 if self.state.closed else c)
                    if b is not None and a > b:
                        return
            query = self._window(a, b)
            if task is None:
                page = await self._fetch(self._page_query(query, self._per_page, 1))
            else:
                page, task = await task, None
            items: list[T] = page.items
            keys = [self.key(item) for item in items]
            self._check_inside(keys, a, b, query)
            if page.meta is not None:
                complete = page.meta.next_page is None
            else:
                complete = len(items) < self._per_page
            yield self._accept(items, keys), page.meta
            if complete or not items:
                if b is not None:
                    self.state.close(b)
                return
            if keys[-1] == keys[0]:
                # A page of one instant, and more of it: read that instant by offset (unless
                # it was, through an earlier window).
                if not self.state.covers_before(keys[0], inclusive=True):
                    async for part in self._read_instant(keys[0]):
                        yield part
                a = (keys[0] if self.state.key is None else self.state.key) + 1
            else:
                a = keys[-1]

    def _check_inside(
        self, keys: list[int], a: int | None, b: int | None, query: list[tuple[str, str]]
    ) -> None:
        """A window's records must lie in it (give or take a second: a newer end showing whole
        seconds stands for its second). The first window that has records proves the server
        applies the filter; one that does not, before that, switches to page numbers."""
        if not keys:
            return
        if (a is not None and keys[0] < a - _SECOND) or (b is not None and keys[-1] > b + _SECOND):
            if self._early is not None:
                raise _FilterIgnored(self._describe(query))
            raise self._invalid(
                "records outside the requested created_at window: the filter was not applied",
                query,
            )
        self._early = None

    async def _read_instant(self, key: int) -> AsyncGenerator[tuple[list[T], Any], None]:
        """Every record at one ``created_at``, by offset, one page after the other.

        A past instant only loses records (new ones are created now), and a loss lowers
        ``total_count``. Two pages read one after the other that report one count have no
        gap between them; when the count dropped by ``d``, up to ``d`` records may have moved
        onto pages already read, so reading steps back to the page they are on now. Every
        step back follows a deletion, so the walk ends.
        """
        query = self._window(key, key)
        size = self._per_page
        number, previous = 1, None
        while True:
            page = await self._fetch(self._page_query(query, size, number))
            items: list[T] = page.items
            count = page.meta.total_count if page.meta is not None else None
            yield self._accept(items, [self.key(item) for item in items]), page.meta
            if previous is not None and count is not None and count < previous:
                moved_to = (number - 1) * size - (previous - count)
                number = max(1, moved_to // size + 1)
            elif not items or page.meta is None or page.meta.next_page is None:
                break
            else:
                number += 1
            previous = count
        # The instant's whole second when shown in whole seconds, walking forwards.
        whole = not self._desc and key % _SECOND == 0
        self.state.close(key + _SECOND - 1 if whole else key)

    def _accept(self, items: list[T], keys: list[int]) -> list[T]:
        take = self.state.take
        out = [item for item, key in zip(items, keys, strict=True) if take(key, item.id or "")]
        if self._early is not None:
            self._early.update(item.id or "" for item in out)
        return out


class _FilterIgnored(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _whole(us: int) -> int:
    """A whole-second instant stands for its whole second (a finer one may be stored)."""
    return us + _SECOND - 1 if us % _SECOND == 0 else us
