"""Per-account sorted indexes of the transactions, so that a page of a filtered listing costs
O(log n + page) rather than a scan of the account.

For every account, sort key (``updated_at``, ``settled_at``, ``emitted_at``) and non-empty set
of statuses (a bit mask: pending 1, declined 2, completed 4), a list of ``(key, id, i)``
sorted ascending. A transaction sits in the four lists whose mask holds its status; a change
takes it out with its old keys and puts it back with the new ones (bisection). The order of
every listing is ``(key, id)`` ascending, or exactly its reverse for ``:desc``: ties on the
key are broken by ``id``, and a ``settled_at`` of null (:data:`NULL`) sorts after every
instant, so null comes last ascending and first descending, as in PostgreSQL.

Lists are built on first use. A window on the sort key is two bisections; a status filter
picks the list. Other filters (another key's window, ``side``, ``operation_type[]``,
``with_attachments``) read the smallest candidate range any windowed key offers and filter
it; their result is cached until the data changes.
"""

from __future__ import annotations

import bisect
import collections
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ._transactions_data import NULL, TransactionColumns

__all__ = ["KEYS", "Selection", "TransactionIndex", "status_bits"]

KEYS = ("updated_at", "settled_at", "emitted_at")
Entry = tuple[int, str, int]
_CACHE = 64


def status_bits(status: int) -> list[int]:
    """The masks whose status set holds ``status`` (0 pending, 1 declined, 2 completed)."""
    bit = 1 << status
    return [m for m in range(1, 8) if m & bit]


@dataclass(frozen=True)
class Selection:
    """What one listing selects, in its order: either ``entries[start:stop]`` of an index
    list (reversed when ``descending``), or the transaction indices ``picked``."""

    entries: list[Entry]
    start: int
    stop: int
    descending: bool
    picked: list[int] | None = None

    def __len__(self) -> int:
        return len(self.picked) if self.picked is not None else self.stop - self.start

    def page(self, offset: int, size: int) -> list[int]:
        if self.picked is not None:
            return self.picked[offset : offset + size]
        if offset >= self.stop - self.start or size <= 0:
            return []
        if not self.descending:
            lo = self.start + offset
            return [e[2] for e in self.entries[lo : min(lo + size, self.stop)]]
        hi = self.stop - offset
        return [e[2] for e in reversed(self.entries[max(hi - size, self.start) : hi])]


class TransactionIndex:
    def __init__(self, cols: TransactionColumns, hidden: set[int]) -> None:
        self._cols = cols
        self._hidden = hidden
        self.version = 0
        # per account, the lists built so far: (key number, mask) -> entries
        self._lists: list[dict[tuple[int, int], list[Entry]]] = [{} for _ in cols.external]
        self._cache: collections.OrderedDict[Hashable, list[int]] = collections.OrderedDict()

    def keys(self, i: int) -> tuple[int, int, int]:
        cols = self._cols
        return cols.updated[i], cols.settled[i], cols.emitted[i]

    def entries(self, a: int, k: int, mask: int) -> list[Entry]:
        """Account ``a``'s list for key ``k`` and status ``mask``, built on first use (one
        sort of the account): most listings only ever read one or two of the 21."""
        lists = self._lists[a]
        entries = lists.get((k, mask))
        if entries is None:
            cols, hidden = self._cols, self._hidden
            status, ids, account = cols.status, cols.ids, cols.account
            column = (cols.updated, cols.settled, cols.emitted)[k]
            entries = lists[(k, mask)] = sorted(
                [
                    (column[i], ids[i], i)
                    for i in range(len(ids))
                    if account[i] == a and (1 << status[i]) & mask and i not in hidden
                ]
            )
        return entries

    def remove(self, i: int) -> None:
        """Take transaction ``i`` out, with the keys and status it has now."""
        self.version += 1
        if i in self._hidden:
            return
        lists, tid = self._lists[self._cols.account[i]], self._cols.ids[i]
        for k, key in enumerate(self.keys(i)):
            entry = (key, tid, i)
            for mask in status_bits(self._cols.status[i]):
                entries = lists.get((k, mask))
                if entries is None:
                    continue
                at = bisect.bisect_left(entries, entry)
                if at < len(entries) and entries[at] == entry:
                    del entries[at]

    def insert(self, i: int) -> None:
        """Put transaction ``i`` (back) in, with the keys and status it has now."""
        self.version += 1
        if i in self._hidden:
            return
        lists, tid = self._lists[self._cols.account[i]], self._cols.ids[i]
        for k, key in enumerate(self.keys(i)):
            entry = (key, tid, i)
            for mask in status_bits(self._cols.status[i]):
                entries = lists.get((k, mask))
                if entries is not None:
                    bisect.insort(entries, entry)

    def select(
        self,
        account: int,
        mask: int,
        windows: dict[int, tuple[int | None, int | None]],
        predicate: Callable[[int], bool] | None,
        predicate_key: Hashable,
        sort: tuple[int, bool],
    ) -> Selection:
        """The transactions of ``account`` with a status in ``mask``, each windowed key
        within its inclusive ``(lo, hi)`` milliseconds, passing ``predicate``, in ``sort``
        order (key number, descending)."""
        key_no, descending = sort
        ordered = self.entries(account, key_no, mask)
        start, stop = _range(ordered, *windows.get(key_no, (None, None)))
        others = {k: w for k, w in windows.items() if k != key_no}
        if not others and predicate is None:
            return Selection(ordered, start, stop, descending)
        cache_key = (
            account,
            mask,
            tuple(sorted(windows.items())),
            predicate_key,
            sort,
            self.version,
        )
        picked = self._cache.get(cache_key)
        if picked is None:
            # read the narrowest range any windowed key gives, then check the rest
            ranges = {k: _range(self.entries(account, k, mask), *w) for k, w in others.items()}
            ranges[key_no] = (start, stop)
            source = min(ranges, key=lambda k: ranges[k][1] - ranges[k][0])
            lo, hi = ranges[source]
            checks = [(k, w) for k, w in windows.items() if k != source]
            cols = self._cols
            columns = (cols.updated, cols.settled, cols.emitted)
            picked = []
            for _, _, i in self.entries(account, source, mask)[lo:hi]:
                if all(_inside(columns[k][i], w) for k, w in checks) and (
                    predicate is None or predicate(i)
                ):
                    picked.append(i)
            if source != key_no:
                column, ids = columns[key_no], cols.ids
                picked.sort(key=lambda i: (column[i], ids[i]))
            if descending:
                picked.reverse()
            self._cache[cache_key] = picked
            if len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(cache_key)
        return Selection([], 0, 0, descending, picked)


def _range(entries: list[Entry], lo: int | None, hi: int | None) -> tuple[int, int]:
    """Positions of the entries whose key is within ``[lo, hi]`` (null keys never are, once a
    window is given)."""
    if lo is None and hi is None:
        return 0, len(entries)
    start = 0 if lo is None else bisect.bisect_left(entries, (lo,))
    top = NULL - 1 if hi is None else hi
    return start, max(start, bisect.bisect_left(entries, (top + 1,)))


def _inside(value: int, window: tuple[int | None, int | None]) -> bool:
    lo, hi = window
    return value != NULL and (lo is None or value >= lo) and (hi is None or value <= hi)
