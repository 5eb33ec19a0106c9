"""Auto-pagination: :class:`Paginator`, what every ``list()`` returns.

Two engines sit behind it. Ordered by ``created_at`` (the default), :mod:`._keyset` lists
exactly once whatever changes meanwhile, and a position can be handed out and resumed. With
an explicit ``sort_by`` on another field, :mod:`._offset` reads pages by number and
:mod:`._verified` checks, at the end, that nothing moved under it; if something may have,
it reads again, and raises :class:`ListChangedError` if the list will not hold still.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from .keyset import KeysetLister
from .offset import OffsetReader, by_number
from .page import Page, PageURL
from .position import ListState
from .verified import VerifiedReader

__all__ = ["KeysetOrder", "Page", "Paginator", "ProgressCallback"]

T = TypeVar("T")

ProgressCallback = Callable[[int, "int | None"], None]
"""Called as ``on_progress(done, total)``; ``total`` is None when Qonto did not say."""

Query = list[tuple[str, str]]


class KeysetOrder:
    """A ``created_at`` order and the user's ``created_at`` bounds, in epoch microseconds."""

    __slots__ = ("descending", "lower_us", "upper_us")

    def __init__(
        self, *, descending: bool, lower_us: int | None = None, upper_us: int | None = None
    ) -> None:
        self.descending = descending
        self.lower_us = lower_us
        self.upper_us = upper_us


class Paginator(Generic[T]):
    """Every item of a list endpoint, page after page.

    ``async for item in paginator`` yields items; ``paginator.pages()`` yields :class:`Page`
    objects; ``await paginator.all()`` collects everything. Each iteration starts over (from
    ``start``, when given). Breaking out of the loop cancels the requests in flight.

    Ordered by ``created_at`` (the default order of every list), every record that exists
    from the first request to the last is yielded exactly once, whatever is created or
    deleted meanwhile; ``position`` is then a resume token (a short ``str``) valid after each
    item, which ``list(..., start=position)`` continues from after a crash.
    """

    def __init__(
        self,
        fetch_page: Callable[[int], Awaitable[Page[T]]] | None = None,
        *,
        per_page: int,
        prefetch: int = 4,
        on_progress: ProgressCallback | None = None,
        page_url: PageURL | None = None,
        fetch: Callable[[Query], Awaitable[Page[T]]] | None = None,
        keyset: KeysetOrder | None = None,
        limit: int | None = None,
        start: str | None = None,
        describe: Callable[[Query], str] | None = None,
        verify: bool = False,
    ) -> None:
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if fetch_page is None:
            if fetch is None:
                raise TypeError("Paginator needs fetch_page or fetch")
            fetch_page = by_number(fetch, [], per_page)

        if start is not None:
            if keyset is None:
                raise ValueError("start= needs the created_at order: positions are keys on it")
            ListState.from_token(start, descending=keyset.descending)  # checked now
        self._fetch_page = fetch_page
        self._fetch = fetch
        self._per_page = per_page
        self._prefetch = prefetch
        self._on_progress = on_progress
        self._page_url = page_url
        self._keyset = keyset
        self._limit = limit
        self._start = start
        self._describe = describe or (lambda _query: "")
        self._verify = verify
        # The frontier before the current page, that page's items and how many of them were
        # handed out: enough to say where the iteration stands after any item.
        self._before: ListState | None = None
        self._current: list[T] = []
        self._handed = 0
        self._key: Callable[[Any], int] | None = None

    @property
    def position(self) -> str | None:
        """Where the iteration stands, as a resume token: after the last item handed out
        (or, with :meth:`pages`, after the last page). Orders on ``created_at`` only."""
        state = self._replayed()
        return state.token() if state is not None else self._start

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
        live: ListState | None = None  # the keyset walk's frontier
        source: AsyncGenerator[tuple[list[T], Any], None]
        total: Callable[[], int | None]
        if self._keyset is not None and self._fetch is not None:
            keyset = self._keyset
            state = (
                ListState.from_token(self._start, descending=keyset.descending)
                if self._start is not None
                else ListState(keyset.descending)
            )
            lister: KeysetLister[Any] = KeysetLister(
                self._fetch,
                per_page=self._per_page,
                prefetch=self._prefetch,
                descending=keyset.descending,
                lower_us=keyset.lower_us,
                upper_us=keyset.upper_us,
                state=state,
                describe=self._describe,
            )
            source = lister.pages()
            total = lambda: lister.total_count  # noqa: E731
            self._key, live = lister.key, state
        else:
            reader = OffsetReader(
                self._fetch_page,
                per_page=self._per_page,
                prefetch=self._prefetch,
                page_url=self._page_url,
            )
            if self._verify and self._fetch is not None:
                verified: VerifiedReader[Any] = VerifiedReader(
                    reader, self._fetch, describe=self._describe
                )
                source = verified.pages()
                total = lambda: verified.total_count  # noqa: E731
            else:
                source = _plain(reader)
                total = lambda: first_total  # noqa: E731
        first_total: int | None = None
        async with contextlib.aclosing(source) as parts:
            while True:
                if live is not None:
                    # Between two parts the walk's own frontier is exactly what was handed out.
                    self._before, self._current, self._handed = live.copy(), [], 0
                try:
                    items, meta = await anext(parts)
                except StopAsyncIteration:
                    return
                if number == 0 and meta is not None:
                    first_total = meta.total_count
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
                    self._on_progress(done, total())
                yield Page(items, meta, number)
                if left == 0:
                    return


async def _plain(reader: OffsetReader[T]) -> AsyncGenerator[tuple[list[T], Any], None]:
    async with contextlib.aclosing(reader.pages()) as pages:
        async for page in pages:
            yield page.items, page.meta
