"""What a listing checks before it relies on an answer, and the bound on its requests.

A server (Qonto, a proxy, a misconfigured node) may ignore a filter, reorder ties, repeat a
record or serve a page twice. The readers check what each answer claims and, when a claim
does not hold, either read another way (:class:`Untrusted`, caught by the paginator) or end
with a typed error. Whatever happens, :class:`RequestBudget` ends a listing that asks more
than what it knows can justify: about twice the pages its ``total_count`` needs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..errors import ListIncompleteError
from .page import Page
from .position import SECOND, us_of

__all__ = [
    "Fetch",
    "Query",
    "RequestBudget",
    "Untrusted",
    "bound_of",
    "check_counts",
    "outside",
    "timestamp",
]

Query = list[tuple[str, str]]
Fetch = Callable[[Query], Awaitable[Page[Any]]]

# Requests a listing may make beyond twice the pages its total needs: the first probe, the
# tail, the end-of-run checks and a few corrective windows.
SLACK = 12


class Untrusted(Exception):
    """An answer did not hold a claim the keyset walk relies on (internal: the paginator
    reads by page number instead)."""

    def __init__(self, why: str, url: str) -> None:
        super().__init__(why)
        self.why = why
        self.url = url


class RequestBudget:
    """Counts a listing's requests and ends it once they exceed what its size justifies.

    The size is the largest ``total_count`` any answer gave for the whole listing (or, when
    none did, what was yielded plus a page). Each extra pass a reader announces with
    :meth:`grant_pass` adds one more reading of that size; each request the data itself
    calls for (:meth:`grant_step`: a page of an instant holding more records than a page, a
    step back after a deletion) one request, at most twice the pages of that size.
    """

    __slots__ = (
        "_describe",
        "_fetch",
        "_passes",
        "_steps",
        "per_page",
        "spent",
        "total",
        "yielded",
    )

    def __init__(self, fetch: Fetch, per_page: int, describe: Callable[[Query], str]) -> None:
        self._fetch = fetch
        self._describe = describe
        self.per_page = per_page
        self.total = 0
        self.yielded = 0
        self.spent = 0
        self._passes = 0
        self._steps = 0

    def limit(self) -> int:
        size = max(self.total, self.yielded + self.per_page)
        pages = math.ceil(size / self.per_page)
        steps = min(self._steps, 2 * pages)
        return (2 + self._passes) * pages + SLACK * (1 + self._passes) + steps

    def grant_pass(self) -> None:
        self._passes += 1

    def grant_step(self) -> None:
        self._steps += 1

    def saw_total(self, total: int | None) -> None:
        if total is not None and total > self.total:
            self.total = total

    async def __call__(self, query: Query) -> Page[Any]:
        if self.spent >= self.limit():
            raise ListIncompleteError(
                f"the listing made {self.spent} requests, more than {self.limit()} that "
                f"{max(self.total, self.yielded)} records justify: the server's answers do not "
                "let it end (filters or pages ignored?)",
                url=self._describe(query),
                requests=self.spent,
            )
        self.spent += 1
        return await self._fetch(query)


def check_counts(page: Page[Any], query: Query, url: str) -> None:
    """A page holds no more records than asked for, and as many as its ``meta`` says: a short
    page has no next page, and the only page holds ``total_count``. :class:`Untrusted` if not."""
    items, meta = page.items, page.meta
    params = dict(query)
    size = int(params["per_page"])
    if len(items) > size:
        raise Untrusted(f"{len(items)} records on a page of {size}", url)
    if meta is None:
        return
    if len(items) < size and meta.next_page is not None:
        raise Untrusted(f"{len(items)} records on a page of {size} that has a next page", url)
    total = meta.total_count
    if params.get("page") == "1" and meta.next_page is None and total not in (None, len(items)):
        raise Untrusted(f"{len(items)} records on the only page of a total_count of {total}", url)


def timestamp(item: object, field: str) -> int | None:
    value = getattr(item, field, None)
    return us_of(value) if isinstance(value, dt.datetime) else None


def bound_of(query: Query, name: str) -> int | None:
    """The instant a query's ``name`` filter asks for, in epoch µs (None: not in it)."""
    for key, value in query:
        if key == name:
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            return us_of(moment)
    return None


def outside(
    items: Sequence[object],
    field: str,
    lower: int | None,
    upper: int | None,
    *,
    stamps: Sequence[int | None] | None = None,
) -> object | None:
    """The first item whose ``field`` cannot satisfy ``[lower, upper]`` (inclusive), else None.

    A timestamp shown in whole seconds may stand for any instant of its second (Qonto may
    store finer ones), so it satisfies a lower bound within that second; it cannot be later
    than shown, so the upper bound is strict. A record without the field proves nothing.
    ``stamps``: the items' ``field`` in epoch µs, when the caller has them already.
    """
    if lower is None and upper is None:
        return None
    if stamps is None:
        stamps = [timestamp(item, field) for item in items]
    for item, at in zip(items, stamps, strict=True):
        if at is None:
            continue
        latest = at + SECOND - 1 if at % SECOND == 0 else at
        if (lower is not None and latest < lower) or (upper is not None and at > upper):
            return item
    return None
