"""Auto-pagination: :class:`Paginator`, what every ``list()`` returns.

A :class:`~.spec.ListingSpec` says which field the listing walks. In that field's order (the
default), :mod:`.keyset` lists exactly once whatever changes meanwhile, and a position can
be handed out and resumed. With an explicit ``sort_by`` on another field, or once a server
broke a claim the walk relies on (one WARNING says which), :mod:`.verified` reads pages by
number and proves it read everything, reads again, or raises. Every listing's requests are
bounded by what its size justifies (:class:`~.trust.RequestBudget`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import Any, Generic, TypeVar

from .keyset import KeysetLister
from .page import Page, derived_page
from .position import ListState
from .spec import ListingSpec
from .trust import Fetch, Query, RequestBudget, Untrusted, timestamp
from .verified import VerifiedReader

__all__ = ["Page", "Paginator", "ProgressCallback"]

T = TypeVar("T")
logger = logging.getLogger("qonto_async")

ProgressCallback = Callable[[int, "int | None"], None]
"""Called as ``on_progress(done, total)``; ``total`` is None when Qonto did not say."""


class Paginator(Generic[T]):
    """Every item of a list endpoint, page after page.

    ``async for item in paginator`` yields items; ``paginator.pages()`` yields :class:`Page`
    objects (``page.date`` is the server's time of the answer, ``page.raw`` each of its
    items' JSON as the server sent it); ``await paginator.all()`` collects everything. Each
    iteration starts over (from ``start``, when given). Breaking out of the loop cancels the
    requests in flight.

    In the listing's own order (the default), every record that exists from the first
    request to the last is yielded exactly once, whatever is created, changed or deleted
    meanwhile; ``position`` is then a resume token (a short ``str``) valid after each item,
    which ``list(..., start=position)`` continues from after a crash. On any server, a
    listing ends within a bounded number of requests: with every record, or with a
    :class:`~qonto_async.ListIncompleteError` that says why.

    ``fetch(query)`` answers one page for the listing's filters plus ``query``; ``sort``
    is ``field:asc|desc`` (the spec's default when None); ``lower_us``/``upper_us`` bound
    the spec's key (epoch µs, inclusive).
    """

    def __init__(
        self,
        spec: ListingSpec,
        fetch: Fetch,
        *,
        per_page: int,
        prefetch: int = 4,
        sort: str | None = None,
        lower_us: int | None = None,
        upper_us: int | None = None,
        on_progress: ProgressCallback | None = None,
        limit: int | None = None,
        start: str | None = None,
        describe: Callable[[Query], str] | None = None,
    ) -> None:
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        field, _, direction = (sort or spec.default_sort).partition(":")
        self._descending = direction == "desc" if direction else spec.descending
        self._keyed = field == spec.key and spec.key is not None
        if start is not None:
            if not self._keyed:
                raise ValueError(
                    f"start= needs the listing's own order ({spec.default_sort}): "
                    "positions are keys on it"
                )
            ListState.from_token(start, descending=self._descending)  # checked now
        self._spec = spec
        self._fetch = fetch
        direction = "desc" if self._descending else "asc"
        self._sort: Query = [("sort_by", f"{field}:{direction}")] if field else []
        self._bounds = (lower_us, upper_us)
        self._per_page = per_page
        self._prefetch = prefetch
        self._on_progress = on_progress
        self._limit = limit
        self._start = start
        self._describe = describe or (lambda _query: "")
        # The frontier before the current page, that page's items and how many of them were
        # handed out: enough to say where the iteration stands after any item.
        self._before: ListState | None = None
        self._current: list[T] = []
        self._handed = 0
        self._key: Callable[[Any], int] | None = None

    @property
    def position(self) -> str | None:
        """Where the iteration stands, as a resume token: after the last item handed out
        (or, with :meth:`pages`, after the last page). In the listing's own order only; once
        a server's answers sent the listing to page numbers, it stays where the iteration
        started (resuming reads again from there: nothing is skipped)."""
        state = self._replayed()
        return state.token() if state is not None else self._start

    def mark(self) -> ListState | None:
        """Where the walk stood before the page this paginator yielded last (None when not
        walked on a key): with that page's items, :meth:`position_from` says later where it
        stands after any of them, what a reader of several paginators
        (:class:`~.fanout.FanOutPaginator`) needs while its own reader is ahead."""
        return self._before.copy() if self._before is not None and self._key else None

    def position_from(self, mark: ListState | None, items: Sequence[T]) -> str | None:
        """The position once ``items``, from the page after ``mark``, are out."""
        key = self._key
        if mark is None or key is None:  # not walked on a key: where the iteration started
            return self._start
        state = mark.copy()
        for item in items:
            state.take(key(item), getattr(item, "id", None) or "")
        return state.token()

    def _replayed(self) -> ListState | None:
        if self._before is None or self._key is None:
            return None
        state = self._before.copy()
        for item in self._current[: self._handed]:
            state.take(self._key(item), getattr(item, "id", None) or "")
        return state

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncGenerator[T, None]:
        async with contextlib.aclosing(self._pages(per_item=True)) as pages:
            async for page in pages:
                for item in page.items:
                    self._handed += 1
                    yield item

    def pages(self) -> AsyncGenerator[Page[T], None]:
        """Pages one by one; ``contextlib.aclosing(paginator.pages())`` cancels the pages
        still in flight as soon as its block exits."""
        return self._pages(per_item=False)

    async def all(self) -> list[T]:
        return [item async for item in self]

    async def _pages(self, *, per_item: bool) -> AsyncGenerator[Page[T], None]:
        left = self._limit
        if left == 0:
            return
        done, number = 0, 0
        sort = self._sort
        fetch, describe = self._fetch, self._describe

        async def sorted_fetch(query: Query) -> Page[Any]:
            return await fetch([*sort, *query])

        # The walk's probes hold two records fewer than a page: its budget counts in them.
        size = self._per_page - 2 if self._keyed and self._per_page >= 3 else self._per_page
        budget = RequestBudget(sorted_fetch, size, lambda q: describe([*sort, *q]))
        live: ListState | None = None  # the keyset walk's frontier
        lister: KeysetLister[Any] | None = None
        verified: VerifiedReader[Any] | None = None
        if self._keyed:
            state = (
                ListState.from_token(self._start, descending=self._descending)
                if self._start is not None
                else ListState(self._descending)
            )
            lister = KeysetLister(
                budget,
                self._spec,
                per_page=self._per_page,
                prefetch=self._prefetch,
                descending=self._descending,
                lower_us=self._bounds[0],
                upper_us=self._bounds[1],
                state=state,
                describe=lambda q: describe([*sort, *q]),
                # Every id handed out: a key that moves meets a record again, and a server
                # may repeat an id under another key; neither is yielded twice.
                yielded=set(),
            )
            self._key, live = lister.key, state
            source = self._walk_or_fallback(lister, budget)
        else:
            verified = self._verified(budget, [], None)
            source = verified.pages()
        async with contextlib.aclosing(source) as parts:
            while True:
                if live is not None:
                    # Between two parts the walk's own frontier is exactly what was handed out.
                    self._before, self._current, self._handed = live.copy(), [], 0
                try:
                    items, page = await anext(parts)
                except StopAsyncIteration:
                    return
                if not items:
                    continue
                if left is not None:
                    items = items[:left]
                    left -= len(items)
                self._current = items
                if not per_item:
                    self._handed = len(items)
                number += 1
                done += len(items)
                if self._on_progress is not None:
                    self._on_progress(done, budget.total or None)
                yield derived_page(page, items, number)
                if left == 0:
                    return

    def _verified(
        self, budget: RequestBudget, base: Query, skip: Callable[[Any], bool] | None
    ) -> VerifiedReader[Any]:
        return VerifiedReader(
            budget,
            base,
            per_page=self._per_page,
            prefetch=self._prefetch,
            describe=lambda q: self._describe([*self._sort, *q]),
            updated_from=self._spec.updated_from,
            skip=skip,
        )

    async def _walk_or_fallback(
        self, lister: KeysetLister[Any], budget: RequestBudget
    ) -> AsyncGenerator[tuple[list[Any], Page[Any]], None]:
        """The keyset walk; if an answer breaks a claim it relies on, the rest by page
        number, verified, skipping what the walk yielded and what lies outside the bounds."""
        try:
            async with contextlib.aclosing(lister.pages()) as walk:
                async for part in walk:
                    yield part
            return
        except Untrusted as untrusted:
            logger.warning(
                "%s: %s; listing by page number instead, checked at the end",
                untrusted.url,
                untrusted.why,
            )
        self._key = None  # a position means nothing to a reading by page number
        state, key_of = lister.state.copy(), lister.key
        field, (lower, upper) = self._spec.key, self._bounds
        assert field is not None

        def skip(item: Any) -> bool:
            at = timestamp(item, field)
            if at is None:
                return False
            if (lower is not None and at < lower) or (upper is not None and at > upper):
                return True
            key = key_of(item)
            current = state.key
            return current is not None and (
                key < current or (key == current and (state.closed or item.id in state.ids))
            )

        verified = self._verified(budget, lister.bounds_query(), skip)
        verified.yielded.update(lister.yielded)
        async with contextlib.aclosing(verified.pages()) as pages:
            async for part in pages:
                yield part
