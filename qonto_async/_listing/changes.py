"""``changes()``: records created or updated since a cursor, exactly once per run.

Built on ``filter[updated_at_from|to]`` as Qonto's own sync guides are, with what they leave
out made safe:

- the run's upper bound is the server's clock (the ``Date`` of a first one-record request,
  read as the end of the second it names, so a change made earlier in that second is in
  this run), never the local one, and the next run starts :data:`DEFAULT_OVERLAP` before it,
  because a record may carry an ``updated_at`` slightly older than the moment it became
  visible;
- that clock is checked before it is trusted: a ``Date`` ahead of this machine's clock by
  more than the overlap, or behind it by more than :data:`MAX_CLOCK_SKEW` (a skewed node, a
  proxy), raises, and a bound before the
  cursor (a clock gone back) runs no window and keeps the cursor where it was, so one bad
  answer can never move the cursor past changes no run has read;
- the window is listed with the exactly-once ``created_at`` machinery of :mod:`._keyset`: a
  record updated during the run leaves the window (its ``updated_at`` passes the bound) and
  shifts the others by one, which by offset would skip an unchanged record, and here cannot;
  the record that moved is seen in the next run;
- the cursor needs no ``updated_at`` in the payload (client invoices carry none): it holds
  the window and, mid-run, the listing's position, so it is valid after every page.

At least once across runs (the overlap repeats recent records: upsert by id), exactly once
within one. Deletions never appear in a list; a ledger finds them by reconciling ids.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from ..errors import APIResponseValidationError, clip
from .page import Records
from .paginator import Paginator
from .position import MIN_US, SECOND, checked_us, decode_token, encode_token, us_of, us_to_iso

__all__ = ["DEFAULT_OVERLAP", "MAX_CLOCK_SKEW", "ChangeFeed"]

M = TypeVar("M")
DEFAULT_OVERLAP = dt.timedelta(minutes=5)
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)
_PREFIX = "qcc1."

ListWindow = Callable[[str | None, str, str | None], Paginator[M]]
"""``(updated_at_from, updated_at_to, start)`` -> the paginator of one run."""


class _Cursor:
    """``since``: where the window starts (µs, None: the beginning); mid-run, ``until``
    (µs) and the listing's ``position`` too."""

    __slots__ = ("position", "since", "until")

    def __init__(self, since: int | None, until: int | None = None, position: str | None = None):
        self.since, self.until, self.position = since, until, position

    def encode(self) -> str:
        return encode_token(_PREFIX, {"s": self.since, "u": self.until, "p": self.position})

    @classmethod
    def parse(cls, since: str | dt.datetime | None) -> _Cursor:
        if since is None:
            return cls(None)
        if isinstance(since, dt.datetime):
            if since.tzinfo is None or since.utcoffset() is None:
                raise ValueError("since must be timezone-aware (or a cursor string)")
            return cls(us_of(since))
        if not isinstance(since, str) or not since.startswith(_PREFIX):
            raise ValueError(
                "since must be a cursor from .cursor, an aware datetime or None, "
                f"not {clip(repr(since), 80)}"
            )
        what = "a changes() cursor"
        data = decode_token(_PREFIX, since, what)
        try:
            start, until, position = data["s"], data["u"], data["p"]
        except KeyError:
            raise ValueError(f"not {what}: {clip(repr(since), 80)}") from None
        if position is not None and not isinstance(position, str):
            raise ValueError(f"not {what}: {clip(repr(since), 80)}")
        return cls(checked_us(start, what, since), checked_us(until, what, since), position)


class ChangeFeed(Generic[M]):
    """The records created or updated after ``since``, as an async iterable.

    ``feed.cursor`` is what ``since`` takes next time: after the iteration it starts the next
    run; during it, after each page of :meth:`pages` (or each record), it continues this run
    where it stands. Persist it with what you stored from the page.
    """

    def __init__(
        self,
        since: str | dt.datetime | None,
        *,
        server_now: Callable[[], Awaitable[tuple[dt.datetime, str]]],
        list_window: ListWindow[M],
        overlap: dt.timedelta = DEFAULT_OVERLAP,
    ) -> None:
        if overlap < dt.timedelta(0):
            raise ValueError("overlap must be >= 0")
        self._start = _Cursor.parse(since)
        self._server_now = server_now
        self._list_window = list_window
        self._overlap_us = overlap // dt.timedelta(microseconds=1)
        self._cursor = self._start
        self._paginator: Paginator[M] | None = None

    @property
    def resumed(self) -> bool:
        """Whether ``since`` was a cursor taken in the middle of a run: the feed finishes that
        run's window (changes made after it started come with the next feed)."""
        return self._start.until is not None

    @property
    def cursor(self) -> str:
        paginator = self._paginator
        if paginator is not None and self._cursor.until is not None:
            return _Cursor(self._cursor.since, self._cursor.until, paginator.position).encode()
        return self._cursor.encode()

    def __aiter__(self) -> AsyncIterator[M]:
        return self._items()

    async def _items(self) -> AsyncGenerator[M, None]:
        async with contextlib.aclosing(self._run()) as pages:
            async for page in pages:
                for item in page:
                    yield item

    def pages(self) -> AsyncGenerator[Records[M], None]:
        """The records page by page: ``cursor`` after a page covers it, so storing a page
        and the cursor together (one transaction) makes a consumer resumable at any point.
        Each page is a :class:`~qonto_async.Records`, a ``list`` whose ``raw`` maps each
        record's id to its JSON exactly as the server sent it (store that, not the model
        re-encoded, to keep the fields the models do not know)."""
        return self._run()

    async def _run(self) -> AsyncGenerator[Records[M], None]:
        start = self._start
        until = start.until
        if until is None:
            until = await self._bound()
        since = start.since
        if since is not None and until < since:
            # The server's clock is behind the cursor: a window ending before it starts
            # reads nothing, and moving the cursor back would only read again. Keep it.
            self._cursor = _Cursor(since)
            return
        self._cursor = _Cursor(since, until, start.position)
        lower = None if since is None else us_to_iso(max(since - self._overlap_us, MIN_US))
        paginator = self._list_window(lower, us_to_iso(until), start.position)
        self._paginator = paginator
        async with contextlib.aclosing(paginator.pages()) as pages:
            async for page in pages:
                yield Records.of(page)
        self._paginator = None
        # The next run starts again at the second the bound lies in: a change made later in
        # that second, after this run read past it, is then read (at least once).
        self._cursor = _Cursor(until - until % SECOND)

    async def _bound(self) -> int:
        """The run's upper bound: the end of the second the server's ``Date`` names, once it
        is shown to be near this machine's clock."""
        now, url = await self._server_now()
        local = dt.datetime.now(dt.UTC)
        # A bound ahead of the true time by more than the overlap would let the next run start
        # after changes made meanwhile: a server clock ahead is trusted no further than that
        # (and a second, the Date's resolution); one behind only reads again.
        ahead = max(dt.timedelta(microseconds=self._overlap_us), dt.timedelta(seconds=1))
        if now - local > ahead or local - now > MAX_CLOCK_SKEW:
            raise APIResponseValidationError(
                status=200,
                body_excerpt="",
                where=(
                    f"the server's Date {now.isoformat()} is {abs(now - local)} "
                    f"{'ahead of' if now > local else 'behind'} this machine's clock "
                    f"({local.isoformat(timespec='seconds')}), more than changes() trusts "
                    f"({ahead} ahead with this overlap, {MAX_CLOCK_SKEW} behind): it will not "
                    "move its cursor by a clock it cannot trust; check both clocks"
                ),
                method="GET",
                url=url,
            )
        return us_of(now.replace(microsecond=0)) + SECOND - 1
