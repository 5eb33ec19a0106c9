"""Reading by page number that proves it read every record, or reads again, or says why not.

An explicit ``sort_by`` off the listing's key (a name, an amount, a date), or a server that
broke a claim the keyset walk relies on, leaves no key that stays put, so pages are read by
number. A record deleted or moved behind the current page would shift a later one onto a page
already read (a silent gap); ties reordered between requests, a record repeated across pages
or a server ignoring ``page`` do the same without any change. A pass is complete when:

- every page reported one ``total_count``;
- nothing changed since the pass began: one small request asks for the records updated since
  its start (by the server's clock, the first answer's ``Date``). That answer counts only if
  its records show the filter was applied; where it cannot be told (no ``updated_at`` on the
  records, the filter not documented), a change is ruled out by a second pass serving the very
  same ids;
- the distinct ids served since the list last changed reach ``total_count``.

Otherwise the list is read again, yielding only ids not yet yielded, while each pass brings
new ids (at most :data:`MAX_READS` passes, then :class:`ListChangedError` or
:class:`ListIncompleteError` says why). An id is never yielded twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, Callable
from typing import Any, Generic, TypeVar

from ..errors import ListChangedError, ListIncompleteError
from .offset import OffsetReader, by_number
from .page import Page
from .position import us_of, us_to_iso
from .trust import Query, RequestBudget, outside

__all__ = ["MAX_READS", "VerifiedReader"]

T = TypeVar("T")
MAX_READS = 4
# Qonto's clock and the timestamps it stores may disagree by a little: look back this far.
CLOCK_MARGIN = dt.timedelta(seconds=2)
NO_DATE_MARGIN = dt.timedelta(minutes=5)
_UNKNOWN = "?"


class VerifiedReader(Generic[T]):
    """Pages ``1..N`` of ``base``, verified. ``skip(item)`` drops what was yielded before
    (by the keyset walk this reading takes over from) or lies outside the user's bounds."""

    def __init__(
        self,
        fetch: RequestBudget,
        base: Query,
        *,
        per_page: int,
        prefetch: int,
        describe: Callable[[Query], str],
        updated_from: str = "filter[updated_at_from]",
        skip: Callable[[Any], bool] | None = None,
    ) -> None:
        self._fetch = fetch
        self._base = base
        self._per_page = per_page
        self._prefetch = prefetch
        self._describe = describe
        self._updated_from = updated_from
        self._skip = skip
        self.yielded: set[str] = set()
        self.total_count: int | None = None

    async def pages(self) -> AsyncGenerator[tuple[list[T], Page[Any]], None]:
        yielded, skip = self.yielded, self._skip
        union: set[str] = set()  # ids served by the passes since the list last changed
        union_start: dt.datetime | None = None
        previous: set[str] | None = None
        why, changed = "", False
        for reading in range(MAX_READS):
            if reading:
                self._fetch.grant_pass()
            totals: set[int | None] = set()
            served: set[str] = set()
            repeated = False  # a page came back whole: this pass proves nothing by itself
            started: dt.datetime | None = None
            async with contextlib.aclosing(self._one_pass()) as pages:
                async for page in pages:
                    if started is None:
                        started = page.date or dt.datetime.now(dt.UTC) - NO_DATE_MARGIN
                    total = page.meta.total_count if page.meta is not None else None
                    totals.add(total)
                    self._fetch.saw_total(total)
                    if self.total_count is None:
                        self.total_count = total
                    if page.items and all(
                        getattr(item, "id", None) in served for item in page.items
                    ):
                        repeated = True  # a page served whole already in this pass
                        break
                    fresh = []
                    for item in page.items:
                        record_id = getattr(item, "id", None)
                        if record_id is not None:
                            served.add(record_id)
                            if record_id in yielded:
                                continue
                            yielded.add(record_id)
                        if skip is None or not skip(item):
                            fresh.append(item)
                    self._fetch.yielded = len(yielded)
                    yield fresh, page
            total = next(iter(totals)) if len(totals) == 1 else None
            if union_start is None:
                union_start = started
            if not served and not total and reading == 0:
                return  # an empty list: nothing to miss, nothing to prove
            moved = await self._moved(totals, union_start)
            if moved == _UNKNOWN:
                # The server's change check cannot be read: only the same ids twice, all of
                # them, rule a change out.
                if served == previous and not repeated and (total is None or len(served) >= total):
                    return
                changed = True
                why = "the change check was not applied; a second pass must serve the same ids"
                union, union_start = set(), None
            elif moved:
                changed, why = True, moved
                union, union_start = set(), None
            else:
                grown = not served <= union
                union |= served
                if (total is None and not repeated) or (total is not None and len(union) >= total):
                    return
                changed = False
                why = (
                    f"{len(union)} distinct records served of total_count {total}"
                    if total is not None
                    else "the server served a page again (is it ignoring page?)"
                )
                if not grown and previous is not None:
                    break  # another pass would serve the same again
            previous = served
        error = ListChangedError if changed else ListIncompleteError
        what = "kept changing while it was read" if changed else "could not be read whole"
        raise error(
            f"the list {what} ({reading + 1} passes; last: {why}); records may be missing. "
            "The default order lists exactly once while the list changes",
            url=self._describe(self._page(1)),
            requests=self._fetch.spent,
        )

    def _one_pass(self) -> AsyncGenerator[Any, None]:
        reader: OffsetReader[T] = OffsetReader(
            by_number(self._fetch, self._base, self._per_page),
            per_page=self._per_page,
            prefetch=self._prefetch,
            page_url=lambda n: self._describe(self._page(n)),
        )
        return reader.pages()

    def _page(self, number: int) -> Query:
        return [*self._base, ("per_page", str(self._per_page)), ("page", str(number))]

    async def _moved(self, totals: set[int | None], started: dt.datetime | None) -> str:
        """Why the passes since ``started`` may have missed a record, "" if they cannot have,
        or :data:`_UNKNOWN` if the server's answers cannot tell."""
        if len(totals) > 1:
            return f"total_count changed ({sorted(t for t in totals if t is not None)})"
        if not self._updated_from:
            return _UNKNOWN
        if started is None:
            started = dt.datetime.now(dt.UTC) - NO_DATE_MARGIN
        since_us = us_of(started - CLOCK_MARGIN)
        check = await self._fetch(
            [
                *self._base,
                (self._updated_from, us_to_iso(since_us)),
                ("per_page", str(self._per_page)),
                ("page", "1"),
            ]
        )
        updated = check.meta.total_count if check.meta is not None else len(check.items)
        if updated:
            honoured = all(getattr(item, "updated_at", None) is not None for item in check.items)
            if not honoured or outside(check.items, "updated_at", since_us, None) is not None:
                return _UNKNOWN  # the filter was not applied, or cannot be seen to be
            return f"{updated} record(s) created or updated since the listing began"
        end = await self._fetch([*self._base, ("per_page", "1"), ("page", "1")])
        total = end.meta.total_count if end.meta is not None else None
        if totals != {total}:
            return f"total_count changed to {total}"
        return ""
