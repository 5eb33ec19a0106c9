"""Offset pagination with concurrent prefetch, for orders that cannot be keyed on
``created_at`` (an explicit ``sort_by`` on names, amounts, dates).

Qonto's list answers carry ``meta.total_pages``, so once page 1 is in, every later page
number is known and up to ``prefetch`` of them can be in flight while the caller consumes
earlier ones. When the first page has no ``total_pages``, or a later page's ``meta``
disagrees with it, the reader stops guessing, drops what it prefetched and follows
``next_page`` one page at a time from the page it trusts.

A server that never stops cannot keep it looping: a ``next_page`` that does not move forward,
an empty page that still has a ``next_page``, or a ``total_pages`` far beyond
``total_count / per_page`` ends the listing with :class:`APIResponseValidationError`, naming
the page and its URL.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from ..errors import APIResponseValidationError
from .page import Page, PageURL

__all__ = ["OffsetReader", "by_number", "cancel_all"]

T = TypeVar("T")


def by_number(
    fetch: Callable[[list[tuple[str, str]]], Awaitable[Page[T]]],
    base: list[tuple[str, str]],
    per_page: int,
) -> Callable[[int], Awaitable[Page[T]]]:
    """Page ``n`` of ``base`` through a query-taking ``fetch``, numbered ``n``."""

    async def fetch_page(number: int) -> Page[T]:
        page = await fetch([*base, ("per_page", str(per_page)), ("page", str(number))])
        page.number = number
        return page

    return fetch_page


class OffsetReader(Generic[T]):
    """One pass over the pages of a list, in page order."""

    def __init__(
        self,
        fetch_page: Callable[[int], Awaitable[Page[T]]],
        *,
        per_page: int,
        prefetch: int,
        page_url: PageURL | None,
    ) -> None:
        self._fetch_page = fetch_page
        self._per_page = per_page
        self._prefetch = prefetch
        self._page_url = page_url

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        first = await self._fetch_page(1)
        total_pages = first.meta.total_pages if first.meta is not None else None
        total_count = first.meta.total_count if first.meta is not None else None
        if total_pages is not None and total_count is not None:
            plausible = max(1, math.ceil(total_count / self._per_page))
            if total_pages > plausible + 1:
                raise self._invalid(
                    1,
                    f"meta.total_pages {total_pages} is far beyond total_count {total_count} "
                    f"/ per_page {self._per_page}",
                )

        yield first
        trusted = first
        if total_pages is not None and total_pages > 1:
            in_flight: dict[int, asyncio.Task[Page[T]]] = {}
            scheduled = 1
            try:
                for number in range(2, total_pages + 1):
                    while scheduled < total_pages and len(in_flight) < self._prefetch:
                        scheduled += 1
                        in_flight[scheduled] = asyncio.ensure_future(self._fetch_page(scheduled))
                    page = await in_flight.pop(number)
                    yield page
                    trusted = page
                    if not _agrees(page, number, total_pages):
                        break
            finally:
                await cancel_all(in_flight.values())
        async for page in self._follow(trusted):
            yield page

    async def _follow(self, page: Page[T]) -> AsyncGenerator[Page[T], None]:
        """Follow ``next_page`` links one at a time, starting after ``page``."""
        while (number := self._next_number(page)) is not None:
            page = await self._fetch_page(number)
            yield page

    def _next_number(self, page: Page[T]) -> int | None:
        meta = page.meta
        if meta is None:
            # No meta at all: a full page may have a successor, an empty or short one not.
            return page.number + 1 if len(page.items) >= self._per_page else None
        if meta.next_page is None:
            return None
        if meta.next_page <= page.number:
            raise self._invalid(
                page.number,
                f"meta.next_page {meta.next_page} does not move past page {page.number}",
            )
        if not page.items:
            raise self._invalid(
                page.number,
                f"page {page.number} is empty but meta.next_page is {meta.next_page}",
            )
        return meta.next_page

    def _invalid(self, number: int, where: str) -> APIResponseValidationError:
        error = APIResponseValidationError(
            status=200,
            body_excerpt="",
            where=where,
            method="GET",
            url=self._page_url(number) if self._page_url is not None else None,
        )
        error._record_attempts(1)
        return error


def _agrees(page: Page[Any], number: int, total_pages: int) -> bool:
    meta = page.meta
    if meta is None or meta.total_pages != total_pages:
        return False
    if meta.current_page is not None and meta.current_page != number:
        return False
    expected_next = number + 1 if number < total_pages else None
    return meta.next_page == expected_next and (bool(page.items) or number == total_pages)


async def cancel_all(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and wait for them. Their exceptions are retrieved as each one ends,
    even when this wait is itself cancelled (a caller's timeout during a listing's cleanup),
    so none is logged as "never retrieved"."""
    pending = list(tasks)
    for task in pending:
        task.add_done_callback(_retrieve)
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
