"""One sync run: each resource read with ``changes()`` from the cursor the ledger holds, every
page stored with the cursor after it (a run killed anywhere resumes where it stopped); a full
re-list (asked for, or the first run) marks what it sees and calls deleted only the rows
Qonto then answers 404 for; ``attachments_dir`` downloads the invoices' PDFs and the
transactions' receipts.

Bank accounts, labels and memberships have no ``updated_at`` filter: each run lists them
whole (they are small), and a row is marked deleted only when two complete listings in a row,
in the same run, did not have it. A listing that fails or is stopped halfway marks nothing
(the pages it stored stay: they are Qonto's records), and the next run lists again.

The database work goes through ``call`` (the ledger's own thread): the event loop decodes the
next pages while a page is written.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import NotFoundError, PermissionDeniedError, QontoError
from ._downloads import WITH_ATTACHMENTS, download
from ._rows import REPAIR_MARGIN, PageCounts, PageWrite, write_pages
from ._store import Store

if TYPE_CHECKING:
    from .. import QontoClient

__all__ = [
    "RESOURCES",
    "WITH_ATTACHMENTS",
    "SyncCounts",
    "SyncJob",
    "check_resources",
]

T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]
Submit = Callable[..., "asyncio.Future[Any]"]
ProgressHook = Callable[[str, int], object]

RESOURCES = (
    "clients",
    "client_invoices",
    "supplier_invoices",
    "bank_accounts",
    "transactions",
    "labels",
    "memberships",
)
LISTED_WHOLE = ("bank_accounts", "labels", "memberships")  # no updated_at: listed each run
# what a resource's changes() is asked besides the cursor: the ledger keeps every account
# bank_accounts lists, the connected external ones included, and so their transactions
_FEED_OPTIONS: dict[str, dict[str, Any]] = {"transactions": {"include_external_accounts": True}}
# pages queued for the ledger's thread while the next ones are read and decoded
_QUEUED = 8


class _Halted(Exception):
    """A page write skipped because an earlier one failed or the run was stopped."""


logger = logging.getLogger("qonto_async.ledger")


@dataclasses.dataclass
class SyncCounts:
    """What one :meth:`~qonto_async.ledger.Ledger.sync` did, as the ``runs`` table records it.

    ``requests`` and ``retries`` are the client's, counted over the run (a client shared with
    other tasks meanwhile counts theirs too).
    """

    run: int = 0
    status: str = "running"  # running, done, failed, interrupted
    resources: tuple[str, ...] = ()
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    attachments: int = 0
    requests: int = 0
    retries: int = 0
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    """Resources left out because Qonto refused them (403) in a run over the default
    resources, each with why; their cursors did not move."""

    def add(self, page: PageCounts) -> None:
        self.new += page.new
        self.updated += page.updated
        self.unchanged += page.unchanged

    def totals(self) -> dict[str, int]:
        """The counts the ``runs`` table keeps, by column."""
        names = ("new", "updated", "unchanged", "deleted", "attachments", "requests", "retries")
        return {name: getattr(self, name) for name in names}


def check_resources(resources: Sequence[str] | None) -> tuple[str, ...]:
    if resources is None:
        return RESOURCES
    if isinstance(resources, str):
        resources = [resources]
    chosen = tuple(dict.fromkeys(resources))
    unknown = [name for name in chosen if name not in RESOURCES]
    if unknown or not chosen:
        raise ValueError(
            f"resources are among {', '.join(RESOURCES)}, not {', '.join(unknown) or 'none'}"
        )
    return chosen


class SyncJob:
    """One run over ``resources`` into the store behind ``call``.

    Page writes are queued, not awaited one by one: up to ``_QUEUED`` pages wait for the
    ledger's thread while the loop reads on, and the thread stores every page waiting when it
    gets to them in one transaction (several pages, each with its cursor, when the database is
    the slower side: one commit instead of several). Order keeps the guarantee: pages are
    stored in the order read, each with the cursor after it, and once a write fails, or the
    run is stopped, nothing queued after it is stored (:meth:`_drain`), so the ledger always
    holds a prefix of the run: never a later cursor over a missing page. Anything else that
    reads or marks rows waits for the queue first (:meth:`flush`).
    """

    def __init__(
        self,
        call: Call,
        submit: Submit,
        store: Store,
        client: QontoClient,
        counts: SyncCounts,
        *,
        full: bool,
        per_page: int,
        prefetch: int,
        on_progress: ProgressHook | None,
    ) -> None:
        self._call = call
        self._submit = submit
        self._queue: collections.deque[PageWrite] = collections.deque()  # for the thread
        self._jobs: collections.deque[asyncio.Future[list[tuple[PageWrite, PageCounts]]]] = (
            collections.deque()
        )
        self._unsettled = 0  # pages queued whose outcome the loop has not taken in
        self._halted = False
        self._store = store
        self._client = client
        self.counts = counts
        self._full = full
        self._per_page = per_page
        self._prefetch = prefetch
        self._on_progress = on_progress
        self._started = dt.datetime.now(dt.UTC)
        stats = client.stats
        self._base = (stats.requests, stats.retries)

    def tally(self) -> None:
        stats = self._client.stats
        self.counts.requests = stats.requests - self._base[0]
        self.counts.retries = stats.retries - self._base[1]

    async def resource(self, resource: str) -> None:
        if resource in LISTED_WHOLE:
            await self._relist(resource)
            return
        store, call = self._store, self._call
        cursor, full_run = await call(store.cursor, resource)
        if self._full or (cursor is None and full_run is None):
            # A full re-list (asked for, or the first run): rows it does not see are deleted.
            await call(store.begin_full, resource, self.counts.run)
            cursor, full_run = None, self.counts.run
        listing = getattr(self._client, resource)
        caught_up = False
        while True:
            try:
                feed = listing.changes(
                    cursor,
                    per_page=self._per_page,
                    prefetch=self._prefetch,
                    **_FEED_OPTIONS.get(resource, {}),
                )
            except ValueError:  # a cursor row damaged or edited by hand: start again, fully
                logger.warning(
                    "the ledger's cursor for %s is unreadable: re-listing %s in full",
                    resource,
                    resource,
                )
                await call(store.begin_full, resource, self.counts.run)
                cursor, full_run = None, self.counts.run
                continue
            async for records in feed.pages():
                raw: Mapping[str, Any] | None = getattr(records, "raw", None)
                answered: dt.datetime | None = getattr(records, "date", None)
                await self._write(resource, records, raw, feed.cursor, full_run, answered)
            await self._write(resource, [], None, feed.cursor, full_run)
            cursor = feed.cursor
            if feed.resumed:
                continue  # that finished a run an earlier invocation began; now what changed
            if full_run is not None and not caught_up:
                # A record updated while everything was listed left that listing's window:
                # read what changed meanwhile before calling anything unseen deleted.
                caught_up = True
                continue
            break
        await self.flush()
        if full_run is not None:
            gone = await self._confirm_unseen(resource, full_run)
            self.counts.deleted += await call(store.finish_full, resource, gone)

    async def skip(self, resource: str, refused: PermissionDeniedError) -> None:
        """After Qonto refused ``resource`` (403) in a run over the default resources: the
        pages read before the refusal are stored (each with its cursor: a prefix, as ever),
        the resource is recorded in ``counts.skipped`` and a warning says how to silence it."""
        await self.flush()
        trace = f", trace id {refused.trace_id}" if refused.trace_id else ""
        why = f"Qonto answered {refused.status} {refused.code or 'forbidden'}{trace}"
        self.counts.skipped[resource] = why
        logger.warning(
            "sync skipped %s: %s (the credentials cannot read it); the other resources go "
            "on. Name the resources to sync (resources=[...], --resources ...) to silence this",
            resource,
            why,
        )

    async def _relist(self, resource: str) -> None:
        """List ``resource`` whole, every row seen marked with the run; a row missing from
        this listing and from a second one (a record deleted during the first can shift a
        page, and hide another) is marked deleted. Nothing is marked unless both listings
        completed. A row marked deleted by an earlier run comes back when a listing has it.
        """
        run = self.counts.run
        unseen: list[str] = []
        for _ in range(2):
            paginator = getattr(self._client, resource).list()
            async for page in paginator.pages():
                await self._write(
                    resource, page.items, page.raw, None, run, page.date, dt.timedelta(0)
                )
            await self.flush()
            unseen = await self._call(self._store.unseen, resource, run)
            if not unseen:
                return
        self.counts.deleted += await self._call(self._store.finish_full, resource, unseen)

    async def _write(
        self,
        resource: str,
        records: Sequence[Any],
        raw: Mapping[str, Any] | None,
        cursor: str | None,
        mark: int | None,
        answered: dt.datetime | None = None,
        margin: dt.timedelta = REPAIR_MARGIN,
    ) -> None:
        """Queue a page's write; wait only while ``_QUEUED`` pages are queued."""
        started = self._started if mark is not None else None
        page = PageWrite(resource, records, raw, cursor, mark, answered, started, margin)
        self._queue.append(page)
        self._unsettled += 1
        self._jobs.append(self._submit(self._drain))
        while self._unsettled > _QUEUED:
            await self._settle_oldest()

    def _drain(self) -> list[tuple[PageWrite, PageCounts]]:
        """In the ledger's thread: store every page queued, in one transaction, unless a write
        before failed or the run stopped (then nothing more is stored)."""
        if self._halted:
            raise _Halted
        batch = []
        while self._queue:
            batch.append(self._queue.popleft())
        if not batch:
            return []
        try:
            return list(zip(batch, write_pages(self._store, batch), strict=True))
        except BaseException:
            self._halted = True
            raise

    async def _settle_oldest(self) -> None:
        job = self._jobs[0]
        try:
            stored = await asyncio.shield(job)
        except asyncio.CancelledError:
            self._halted = True  # stopped: the write running finishes, nothing more is stored
            raise
        except Exception as exc:
            self._jobs.popleft()
            self._halted = True
            if not isinstance(exc, self._store.errors):
                raise
            error = self._store.explain(exc)
        else:
            self._jobs.popleft()
            self._took_in(stored)
            return
        raise error  # outside the except: the driver's error is not kept as context

    def _took_in(self, stored: list[tuple[PageWrite, PageCounts]]) -> None:
        for page, counts in stored:
            self._unsettled -= 1
            self.counts.add(counts)
            if self._on_progress is not None and page.records:
                self._on_progress(page.resource, len(page.records))

    async def flush(self) -> None:
        """Wait for every queued write; the first failure is raised."""
        while self._jobs:
            await self._settle_oldest()

    async def settle(self) -> None:
        """After a failure or a cancellation: the write running finishes, nothing queued is
        stored any more; the counts take in what was."""
        self._halted = True
        jobs = list(self._jobs)
        if jobs:
            await asyncio.shield(asyncio.gather(*jobs, return_exceptions=True))
        for job in jobs:
            if not job.cancelled() and job.exception() is None:
                self._took_in(job.result())
        self._jobs.clear()
        self._queue.clear()

    async def _confirm_unseen(self, resource: str, mark: int) -> list[str]:
        """The ids of rows a full re-list did not see that Qonto answers 404 for: those only
        are deleted (a record updated during the listing and again during its catch-up
        escaped both windows, and exists)."""
        unseen = await self._call(self._store.unseen, resource, mark)
        if not unseen:
            return []
        results = await getattr(self._client, resource).get_many(unseen, return_exceptions=True)
        found, gone = [], []
        for record_id, result in zip(unseen, results, strict=True):
            if isinstance(result, NotFoundError):
                gone.append(record_id)
                continue
            if isinstance(result, QontoError):
                raise result
            found.append(result)
        await self._write(resource, found, None, None, mark)
        await self.flush()
        return gone

    async def attachments(self, resources: Sequence[str], folder: Path) -> None:
        """Download the stored records' files into ``folder/<resource>/`` (see
        :func:`._downloads.download`)."""
        await download(self._call, self._store, self._client, resources, folder, self._file)

    def _file(self) -> None:
        self.counts.attachments += 1
