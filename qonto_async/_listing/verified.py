"""Offset listing that proves nothing moved under it, or reads again.

An explicit ``sort_by`` on a field other than ``created_at`` (a name, an amount, a date) has
no key that stays put, so pages are read by number. A record deleted or moved behind the
current page would shift a later one onto a page already read: a silent gap. Two facts catch
every such change: each change to a list either alters ``meta.total_count`` or leaves a
record whose ``updated_at`` is at or after the moment the listing began. So every page must
report the same ``total_count``, and at the end one small request asks for the records
updated since the start (by the server's clock, the first answer's ``Date``) and the total
once more. If anything moved, the list is read again, yielding only ids not yet yielded; if
it still will not hold still after :data:`MAX_READS` passes, :class:`ListChangedError`
says so. An id is never yielded twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from ..errors import ListChangedError
from .offset import OffsetReader, by_number
from .page import Page
from .position import us_of, us_to_iso

__all__ = ["MAX_READS", "VerifiedReader", "read_by_page_number"]

T = TypeVar("T")
MAX_READS = 3
# Qonto's clock and the timestamps it stores may disagree by a little: look back this far.
CLOCK_MARGIN = dt.timedelta(seconds=2)
NO_DATE_MARGIN = dt.timedelta(minutes=5)


class VerifiedReader(Generic[T]):
    def __init__(
        self,
        reader: OffsetReader[T],
        fetch: Callable[[list[tuple[str, str]]], Awaitable[Page[T]]],
        *,
        describe: Callable[[list[tuple[str, str]]], str],
        seen: set[str] | None = None,
    ) -> None:
        self._seen = seen if seen is not None else set()
        self._reader = reader
        self._fetch = fetch
        self._describe = describe
        self.total_count: int | None = None

    async def pages(self) -> AsyncGenerator[tuple[list[T], Any], None]:
        seen = self._seen
        why = ""
        for _read in range(MAX_READS):
            totals: set[int | None] = set()
            started: dt.datetime | None = None
            async with contextlib.aclosing(self._reader.pages()) as pages:
                async for page in pages:
                    if started is None:
                        started = page.date
                    totals.add(page.meta.total_count if page.meta is not None else None)
                    if self.total_count is None and page.meta is not None:
                        self.total_count = page.meta.total_count
                    fresh = []
                    for item in page.items:
                        record_id = getattr(item, "id", None)
                        if record_id is None or record_id not in seen:
                            fresh.append(item)
                            if record_id is not None:
                                seen.add(record_id)
                    yield fresh, page.meta
            why = await self._moved(totals, started)
            if not why:
                return
        raise ListChangedError(
            f"the list kept changing while it was read ({MAX_READS} passes; last: {why}); "
            "records may be missing. List it in the default created_at order to read it "
            "exactly once while it changes",
            url=self._describe([]),
        )

    async def _moved(self, totals: set[int | None], started: dt.datetime | None) -> str:
        """Why the pass just read may have missed a record, or "" if it cannot have."""
        if len(totals) > 1:
            return f"total_count changed ({sorted(t for t in totals if t is not None)})"
        if started is None:
            # No Date header: go by the local clock, looking further back.
            started = dt.datetime.now(dt.UTC) - NO_DATE_MARGIN
        since = us_to_iso(us_of(started - CLOCK_MARGIN))
        check = await self._fetch(
            [("filter[updated_at_from]", since), ("per_page", "1"), ("page", "1")]
        )
        updated = check.meta.total_count if check.meta is not None else None
        if updated:
            return f"{updated} record(s) created or updated since the listing began"
        end = await self._fetch([("per_page", "1"), ("page", "1")])
        total = end.meta.total_count if end.meta is not None else None
        if totals != {total}:
            return f"total_count changed to {total}"
        return ""


def read_by_page_number(
    fetch: Callable[[list[tuple[str, str]]], Awaitable[Page[T]]],
    base: list[tuple[str, str]],
    *,
    per_page: int,
    prefetch: int,
    describe: Callable[[list[tuple[str, str]]], str],
    seen: set[str] | None,
) -> AsyncGenerator[tuple[list[T], Any], None]:
    """Pages ``1..N`` of ``base``, verified; ids in ``seen`` are not yielded (again).

    What a ``created_at`` listing falls back to when the server ignores its time windows.
    """

    reader = OffsetReader(
        by_number(fetch, base, per_page), per_page=per_page, prefetch=prefetch, page_url=None
    )
    return VerifiedReader(reader, fetch, describe=describe, seen=seen).pages()
