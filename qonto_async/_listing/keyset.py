"""Exactly-once listing over a timestamp key: offset pages for speed, keyset windows for truth.

Qonto pages by offset. When a record on a page already read is deleted, every later record
moves up one place and the one at the page boundary is never served; an insertion serves it
twice. The key (``created_at`` for invoices, see :mod:`.spec`) does not move when other
records come and go, so a *time window* (``filter[<key>_from|to]``, inclusive) answered whole
by one page is an exact snapshot of it. A key that moves forward (``updated_at``, walked
oldest first) only ever takes a record from behind the frontier to beyond it: to the walk,
a deletion and a creation; the id already yielded is not yielded again.

The listing walks the key's order (newest first by default) and keeps a *frontier*:
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
stay ahead of the reader and every request but the last carries a full page. A record is
yielded only when its key is beyond the frontier, or equal to it and its id not yet yielded
at that instant, and never if its id was handed out before. A probe or window that does not
reach the frontier (massive change between two requests) is preceded by a corrective window
read on the spot, so there is never a gap. While the server shows only whole seconds (it may
store finer instants), a window's newer bound is sent as the end of its second.

Nothing an answer claims is taken on trust: each page must hold the records its ``meta``
says, in the order asked for, inside the window asked for; an instant read by offset must
yield as many distinct ids as its ``total_count``. An answer that breaks one raises
:class:`~.trust.Untrusted`, and the paginator reads by page number, verified; an instant
whose ties the server keeps reordering ends in :class:`ListIncompleteError`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, Callable
from typing import Any, Generic, TypeVar

from ..errors import ListIncompleteError, UnprocessableEntityError
from .offset import cancel_all
from .page import Page
from .position import SECOND, ListState, us_to_iso
from .spec import ListingSpec
from .trust import Query, RequestBudget, Untrusted, bound_of, check_counts, outside, timestamp

__all__ = ["KeysetLister"]

T = TypeVar("T")
INSTANT_REREADS = 2  # readings again of an instant short of its total_count (reordered ties)


class KeysetLister(Generic[T]):
    """One run of the algorithm above; :meth:`pages` yields lists of new records.

    Keys are the key field in microseconds, negated when newest first, so the walk always
    goes towards larger keys. ``state`` is the frontier, shared with the caller for resume
    positions; ``yielded`` every id handed out.
    """

    def __init__(
        self,
        fetch: RequestBudget,
        spec: ListingSpec,
        *,
        per_page: int,
        prefetch: int,
        descending: bool,
        lower_us: int | None,
        upper_us: int | None,
        state: ListState,
        describe: Callable[[Query], str],
        yielded: set[str],
    ) -> None:
        assert spec.key is not None
        self._fetch = fetch
        self._field = spec.key
        self._from, self._to = spec.key_from, spec.key_to
        self._per_page = per_page
        self._probe_size = per_page - 2 if per_page >= 3 else per_page
        self._prefetch = prefetch
        self._desc = descending
        self._sign = -1 if descending else 1
        # The user's own bounds, as keys: [first, last] in walking order.
        ends = (upper_us, lower_us) if descending else (lower_us, upper_us)
        self._first = None if ends[0] is None else self._sign * ends[0]
        self._last = None if ends[1] is None else self._sign * ends[1]
        self.state = state
        self._describe = describe
        self.yielded = yielded
        self.total_count: int | None = None
        # Whether the server shows instants finer than a second: then a whole-second value is
        # that very instant, and a window's newer end is sent as it is.
        self._fine = False

    def bounds_query(self) -> Query:
        """The user's bounds as filters: what a reading by page number asks for instead."""
        return self._window(None, None)

    # -- keys, queries and what an answer must hold -------------------------------------

    def key(self, item: Any) -> int:
        at = timestamp(item, self._field)
        if at is None or getattr(item, "id", None) is None:
            raise Untrusted(
                f"record {getattr(item, 'id', None)!r} has no {self._field}", self._describe([])
            )
        return self._sign * at

    def _window(self, a: int | None, b: int | None) -> Query:
        """Query parameters for keys in ``[a, b]`` (None: unbounded), clipped to the user's
        bounds; the newer end stands for its whole second when it shows whole seconds."""
        if self._first is not None:
            a = self._first if a is None else max(a, self._first)
        if self._last is not None:
            b = self._last if b is None else min(b, self._last)
        older, newer = (b, a) if self._desc else (a, b)
        params: Query = []
        if older is not None:
            params.append((self._from, us_to_iso(self._sign * older)))
        if newer is not None:
            params.append((self._to, us_to_iso(self._whole(self._sign * newer))))
        return params

    def _whole(self, us: int) -> int:
        """A whole-second instant stands for its whole second while the server shows only
        whole seconds (it may store finer ones); once it has shown a finer one, it is itself."""
        return us + SECOND - 1 if not self._fine and us % SECOND == 0 else us

    def _page_query(self, window: Query, size: int, n: int) -> Query:
        return [*window, ("per_page", str(size)), ("page", str(n))]

    def _checked(self, page: Any, query: Query) -> list[int]:
        """The keys of ``page``, after checking what it claims: no more records than asked
        for, and as many as its ``meta`` says; in the order asked for; inside the window
        asked for."""
        items = page.items
        url = self._describe(query)
        check_counts(page, query, url)
        keys = [self.key(item) for item in items]
        if not self._fine and any(k % SECOND for k in keys):
            self._fine = True
        if any(b < a for a, b in itertools.pairwise(keys)):
            raise Untrusted(f"records not in {self._field} order", url)
        stamps = keys if not self._desc else [-k for k in keys]
        lower, upper = bound_of(query, self._from), bound_of(query, self._to)
        stray = outside(items, self._field, lower, upper, stamps=stamps)
        if stray is not None:
            raise Untrusted(
                f"record {getattr(stray, 'id', None)!r} outside the {self._field} window asked "
                f"for: {self._from.replace('_from', '_from|to')} was not applied",
                url,
            )
        return keys

    async def _get(self, query: Query) -> tuple[Any, list[int]]:
        page = await self._fetch(query)
        return page, self._checked(page, query)

    # -- the walk ------------------------------------------------------------------------

    async def pages(self) -> AsyncGenerator[tuple[list[T], Page[Any]], None]:
        probes: dict[int, asyncio.Task[tuple[Any, list[int]]]] = {}
        windows: dict[int, tuple[asyncio.Task[tuple[Any, list[int]]], int, int]] = {}
        base = self._window(self.state.key, None)
        closing = False
        current = 1
        launched: set[int] = set()

        def probe(n: int) -> asyncio.Task[tuple[Any, list[int]]]:
            task = probes.get(n)
            if task is None:
                query = self._page_query(base, self._probe_size, n)
                task = probes[n] = asyncio.ensure_future(self._get(query))
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
            a_keys, b_keys = left.result()[1], right.result()[1]
            if not a_keys or not b_keys:
                return None
            return a_keys[-1], b_keys[0]

        def launch_window(n: int) -> None:
            keys = bounds(n)
            if keys is not None:
                query = self._page_query(self._window(*keys), self._per_page, 1)
                task = asyncio.ensure_future(self._get(query))
                task.add_done_callback(fill)
                windows[n] = (task, *keys)
                launched.add(n)

        def ahead() -> int:
            """Requests started and not yet read by the caller: in flight or answered."""
            return sum(n >= current for n in probes) + len(windows)

        def fill(_task: object = None) -> None:
            """Start what the walk needs next, in its order: at most ``prefetch`` requests
            ahead of the caller (in flight, or answered and not yet read: a caller who stops
            early has cost about what it read), within ``prefetch`` probes of the reader (with
            half as many, windows wait for probes and only half the requests overlap)."""
            if self.total_count is None or closing:
                return
            for n in range(current, current + 2 * max(2, self._prefetch), 2):
                if ahead() >= self._prefetch:
                    return
                if n - 2 >= 1 and n - 2 not in launched:
                    launch_window(n - 2)
                    if ahead() >= self._prefetch:
                        return
                if (n - 1) * self._probe_size >= self.total_count + self._probe_size:
                    return
                probe(n)

        try:
            number, previous = 1, 0
            while True:
                current = number
                fill()
                try:
                    page, keys = await probe(number)
                except UnprocessableEntityError:  # UNCONFIRMED: a page past the end as 422
                    total = self.total_count  # past the first page's total: the tail reads on
                    if number == 1 or total is None or (number - 1) * self._probe_size < total:
                        raise
                    break
                items: list[T] = page.items
                if number == 1:
                    total = page.meta.total_count if page.meta is not None else None
                    self._fetch.saw_total(total)
                if not items:
                    if number == 1:
                        return
                    break
                if previous:
                    ready = windows.pop(previous, None)
                    if ready is not None:
                        task, a, b = ready
                    else:
                        launched.add(previous)
                        task = None
                        a, b = probes[previous].result()[1][-1], keys[0]
                    async for part in self._read_window(task, a, b):
                        yield part
                    del probes[previous]
                if number > 1 and not self.state.covers_before(keys[0], inclusive=True):
                    async for part in self._read_window(None, self.state.key, keys[0]):
                        yield part
                yield self._accept(items, keys), page
                if number == 1:
                    # Read ahead only once the first page is taken: a caller who stops within
                    # it has cost one request.
                    self.total_count = page.meta.total_count if page.meta is not None else None
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
            # every task's exception retrieved, even if this cleanup is itself cancelled
            await cancel_all([*probes.values(), *(w[0] for w in windows.values())])

    async def _read_window(
        self, task: asyncio.Task[tuple[Any, list[int]]] | None, a: int | None, b: int | None
    ) -> AsyncGenerator[tuple[list[T], Page[Any]], None]:
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
            if task is None:
                page, keys = await self._get(
                    self._page_query(self._window(a, b), self._per_page, 1)
                )
            else:
                (page, keys), task = await task, None
            items: list[T] = page.items
            if page.meta is not None:
                complete = page.meta.next_page is None
            else:
                complete = len(items) < self._per_page
            yield self._accept(items, keys), page
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

    async def _read_instant(self, key: int) -> AsyncGenerator[tuple[list[T], Page[Any]], None]:
        """Every record at one key, by offset, one page after the other.

        A past instant only loses records (new ones are created now), and a loss lowers
        ``total_count``. Two pages read one after the other that report one count have no
        gap between them; when the count dropped by ``d``, up to ``d`` records may have moved
        onto pages already read, so reading steps back to the page they are on now. Every
        step back follows a deletion, so the walk ends. At the end the distinct ids taken at
        the instant must reach its count; if the server reordered the instant's ties between
        requests they do not, and the instant is read again.
        """
        wide = self._whole(abs(key)) != abs(key)  # the query stands for the whole second
        query = self._window(key, key)
        size = self._per_page
        for reading in range(1 + INSTANT_REREADS):
            number, previous = 1, None
            count: int | None = None
            while True:
                page_query = self._page_query(query, size, number)
                if not reading:
                    self._fetch.grant_step()  # an instant larger than a page asks for it
                page, keys = await self._get(page_query)
                items: list[T] = page.items
                if any(k != key for k in keys):
                    raise Untrusted(
                        "records of another instant in a one-instant window",
                        self._describe(page_query),
                    )
                count = page.meta.total_count if page.meta is not None else None
                yield self._accept(items, keys), page
                if previous is not None and count is not None and count < previous:
                    moved_to = (number - 1) * size - (previous - count)
                    number = max(1, moved_to // size + 1)
                elif not items or page.meta is None or page.meta.next_page is None:
                    break
                elif count is not None and number * size >= count + size:
                    raise Untrusted(
                        f"meta.next_page {page.meta.next_page} past total_count {count}",
                        self._describe(page_query),
                    )
                else:
                    number += 1
                previous = count
            taken = len(self.state.ids) if self.state.key == key else 0
            if count is None or taken >= count:
                break
        else:
            # Reading by page number would meet the same reordered ties: say so now.
            raise ListIncompleteError(
                f"{taken} distinct records at one {self._field} of its total_count {count}, "
                f"after {1 + INSTANT_REREADS} readings: the server reorders records sharing "
                f"one {self._field} between requests, so they cannot all be read",
                url=self._describe(query),
                requests=self._fetch.spent,
            )
        # The instant's whole second when shown in whole seconds, walking forwards.
        self.state.close(key + SECOND - 1 if wide and not self._desc else key)

    def _accept(self, items: list[T], keys: list[int]) -> list[T]:
        """The records of a page beyond the frontier whose id was never handed out."""
        take, yielded = self.state.take, self.yielded
        out = []
        for item, key in zip(items, keys, strict=True):
            record_id = item.id  # type: ignore[attr-defined]
            if take(key, record_id) and record_id not in yielded:
                yielded.add(record_id)
                out.append(item)
        self._fetch.yielded += len(out)
        return out
