"""One listing over several accounts: what ``transactions.list()`` returns without an account.

Qonto lists transactions one bank account at a time (``bank_account_id`` or ``iban`` is
required). :class:`FanOutPaginator` asks which accounts there are when its iteration starts,
then reads each one with its own :class:`~.paginator.Paginator` (so each keeps its guarantee:
every record that exists throughout, exactly once), all of them at once, and hands their
pages out as they come. An id is yielded once across accounts too (a record moved between
accounts, or a server repeating one, is not yielded twice).

Its ``position`` is one token holding every account's own position, valid after each item;
``start=`` resumes every account where it stood (an account new since then is read whole).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from .offset import cancel_all
from .page import Page, derived_page
from .paginator import Paginator, ProgressCallback
from .position import ListState, decode_token, encode_token

__all__ = ["FanOutPaginator"]

T = TypeVar("T")
_PREFIX = "qlf1."
_WHAT = "an accounts listing position"

OpenAccount = Callable[[str, str | None], Paginator[T]]
"""``(account_id, start)`` -> that account's paginator."""


def _parse(start: str) -> dict[str, str | None]:
    data = decode_token(_PREFIX, start, _WHAT)
    accounts = data.get("a")
    if not isinstance(accounts, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in accounts.items()
    ):
        raise ValueError(f"not {_WHAT}: {start[:80]!r}")
    return dict(accounts)


class _Part:
    """A page of one account as its paginator gave it (``items``, after ``mark``), and which
    of them were handed out (``kept``: their indexes; the others were yielded under another
    account): enough to say, when asked, where that account stands after any handed item."""

    __slots__ = ("account", "inner", "items", "kept", "mark")

    def __init__(
        self, account: str, inner: Paginator[Any], mark: ListState | None, items: list[Any]
    ) -> None:
        self.account, self.inner, self.mark, self.items = account, inner, mark, items
        self.kept: list[int] = []

    def position(self, handed: int | None = None) -> str | None:
        """The account's position once ``handed`` of the kept items (all: None) are out."""
        if handed is None:
            return self.inner.position_from(self.mark, self.items)
        end = self.kept[handed - 1] + 1 if handed else 0
        return self.inner.position_from(self.mark, self.items[:end])


class FanOutPaginator(Paginator[T]):
    """Every item of every account's listing; see the module docstring.

    ``accounts()`` names the accounts when the iteration starts; ``open_account(id, start)``
    gives one account's paginator; ``check_start(position)`` checks one account's position
    of ``start`` (a ``ValueError`` when it is not one this listing could have given).
    ``limit``, ``on_progress`` and ``start`` are over the whole listing (``on_progress`` gets
    no total: the accounts' totals arrive one by one).
    """

    def __init__(
        self,
        accounts: Callable[[], Awaitable[Sequence[str]]],
        open_account: OpenAccount[T],
        *,
        limit: int | None = None,
        on_progress: ProgressCallback | None = None,
        start: str | None = None,
        check_start: Callable[[str], object] | None = None,
    ) -> None:
        # Deliberately not Paginator.__init__: this one reads through the accounts' own.
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        self._starts = _parse(start) if start is not None else {}
        if check_start is not None:  # each account's own position, refused now, not later
            for position in self._starts.values():
                if position is not None:
                    check_start(position)
        self._start = start
        self._accounts = accounts
        self._open_account = open_account
        self._limit = limit
        self._on_progress = on_progress
        self._handed = 0
        self._closed: dict[str, _Part] = {}  # each account's last page handed out whole
        self._part: _Part | None = None

    @property
    def position(self) -> str | None:
        """Every account's position after the last item handed out (after the last page,
        with :meth:`pages`), as one token for ``start=``."""
        if not self._closed and self._part is None:
            return self._start
        positions = dict(self._starts)
        positions.update((account, part.position()) for account, part in self._closed.items())
        part = self._part
        if part is not None:
            positions[part.account] = part.position(self._handed)
        return encode_token(_PREFIX, {"a": positions})

    async def _pages(self, *, per_item: bool) -> AsyncGenerator[Page[T], None]:
        left = self._limit
        if left == 0:
            return
        accounts = list(dict.fromkeys(await self._accounts()))
        queue: asyncio.Queue[tuple[_Part, Page[T]] | BaseException | str] = asyncio.Queue(
            maxsize=max(1, len(accounts))
        )

        async def read(account: str) -> None:
            try:
                inner = self._open_account(account, self._starts.get(account))
                async with contextlib.aclosing(inner.pages()) as pages:
                    async for page in pages:
                        await queue.put((_Part(account, inner, inner.mark(), page.items), page))
                await queue.put(account)  # this account is done
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # handed to the reader, which raises it
                await queue.put(exc)

        tasks = [asyncio.ensure_future(read(account)) for account in accounts]
        seen: set[str] = set()
        running, done, number = len(tasks), 0, 0
        try:
            while running:
                got = await queue.get()
                if isinstance(got, BaseException):
                    raise got
                if isinstance(got, str):
                    running -= 1
                    continue
                part, page = got
                self._close_part()
                for index, item in enumerate(part.items):
                    if left is not None and len(part.kept) >= left:
                        break
                    record_id: str | None = getattr(item, "id", None)
                    if record_id is None or record_id not in seen:
                        if record_id is not None:
                            seen.add(record_id)
                        part.kept.append(index)
                items = [part.items[index] for index in part.kept]
                if left is not None:
                    left -= len(items)
                self._part, self._handed = part, 0 if per_item else len(items)
                if not items:
                    continue
                number += 1
                done += len(items)
                if self._on_progress is not None:
                    self._on_progress(done, None)
                yield derived_page(page, items, number)
                if left == 0:
                    return
            self._close_part()
        finally:
            await cancel_all(tasks)

    def _close_part(self) -> None:
        """The current part was handed out whole: its account stands after it."""
        part = self._part
        if part is not None:
            self._closed[part.account] = part
            self._part = None
