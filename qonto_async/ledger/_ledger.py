"""The ledger as async code uses it: :class:`Ledger`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from .. import PermissionDeniedError
from . import _attachments as files
from ._errors import LedgerBusyError, LedgerError, display_name
from ._events import event_row, no_record, warn_no_record
from ._refused import record_refused
from ._rows import Outcome, apply_event
from ._store import Store
from ._sync import (
    WITH_ATTACHMENTS,
    ProgressHook,
    SyncCounts,
    SyncJob,
    check_resources,
)

if TYPE_CHECKING:
    from .. import QontoClient
    from ..webhooks import WebhookEvent

__all__ = ["Ledger"]

T = TypeVar("T")
_LOCK_POLL = 0.25  # seconds between two tries of a lock another sync holds


class Ledger:
    """A local copy of Qonto's clients, client invoices and supplier invoices, bank accounts,
    transactions (every status), labels and memberships, kept in step by :meth:`sync`
    (polling) and :meth:`apply` (webhook events): a SQLite file or a PostgreSQL database
    (``postgresql://`` URL, the ``postgres`` extra).

    ``async with Ledger.open("ledger.sqlite") as ledger:`` opens it. Opening refuses, with a
    :class:`~qonto_async.ledger.LedgerError` naming it and before any write, a database
    that is neither empty nor a ledger, one a newer release wrote, and a damaged file; a ledger
    an older release wrote is upgraded in place (``upgraded_from`` says from which version).

    Every database call runs in a thread of the ledger's own, one at a time, so the event
    loop goes on while a page is written; a call cancelled by its caller either completes
    there or never starts, and each one is a transaction, so the ledger is never left half
    written. ``busy_timeout`` is how long a SQLite write waits for another process's.
    """

    def __init__(self, db: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self._db = os.fspath(db)
        self._busy_timeout = busy_timeout
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._store: Store | None = None
        self._syncing = False
        self._sync_task: asyncio.Task[Any] | None = None
        self.last_run: SyncCounts | None = None
        """The counts of the latest :meth:`sync`, kept up to date while it runs (and after
        it failed)."""

    @classmethod
    def open(cls, db: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> Self:
        """The ledger at ``db`` (a SQLite path or a ``postgresql://`` URL), opened by
        ``async with``."""
        return cls(db, busy_timeout=busy_timeout)

    def __repr__(self) -> str:
        state = "open" if self._store is not None else "closed"
        return f"Ledger({self.name!r}, {state})"

    @property
    def name(self) -> str:
        """The database as messages show it (a PostgreSQL URL without its password)."""
        return self._store.name if self._store is not None else display_name(self._db)

    @property
    def upgraded_from(self) -> int | None:
        """The schema version the opening upgraded the ledger from, or None."""
        return self._store.upgraded_from if self._store is not None else None

    async def __aenter__(self) -> Self:
        if self._executor is not None:
            raise RuntimeError(f"{self!r} is open already")
        executor = self._executor = concurrent.futures.ThreadPoolExecutor(1, "qonto-ledger")
        opening = executor.submit(
            functools.partial(Store, self._db, busy_timeout=self._busy_timeout)
        )
        try:
            self._store = await asyncio.wrap_future(opening)
        except BaseException:
            # Cancelled while the thread opens (or upgrades) it: the store it makes is closed
            # there, once made; the connection is never left to the garbage collector.
            executor.submit(_close_made, opening)
            executor.shutdown(wait=False)
            self._executor = None
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the database (after the calls already queued) and release the sync lock. A
        sync running in another task is cancelled first, and recorded ``interrupted``."""
        running = self._sync_task
        if running is not None and running is not asyncio.current_task() and not running.done():
            running.cancel()
            await asyncio.wait({running})
        executor, store = self._executor, self._store
        if executor is None:
            return
        self._executor = self._store = None
        try:
            if store is not None:
                await asyncio.shield(asyncio.wrap_future(executor.submit(store.close)))
        finally:
            executor.shutdown(wait=False)

    def _closed(self) -> LedgerError:
        return LedgerError(f"the ledger {self.name} is closed: use `async with Ledger.open()`")

    def _open_store(self) -> Store:
        if self._store is None:
            raise self._closed()
        return self._store

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        future = self._thread().submit(functools.partial(fn, *args, **kwargs))
        return await self._explained(asyncio.wrap_future(future))

    async def _explained(self, result: Awaitable[T]) -> T:
        """``result``, a database error turned into one sentence naming the ledger; raised
        outside the ``except`` so that the driver's own (which may quote the URL) is not kept
        as its ``__context__``."""
        store = self._store
        error: LedgerError | None = None
        try:
            return await result
        except Exception as exc:
            if store is None or not isinstance(exc, store.errors):
                raise
            error = store.explain(exc)
        raise error

    def _submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue ``fn`` in the ledger's thread without waiting (database errors come as
        raised, not explained)."""
        return asyncio.wrap_future(self._thread().submit(fn, *args))

    def _thread(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._executor is None:
            raise self._closed()
        return self._executor

    async def _finally(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A step that must happen even if the caller is cancelled meanwhile."""
        future = self._thread().submit(functools.partial(fn, *args, **kwargs))
        return await self._explained(asyncio.shield(asyncio.wrap_future(future)))

    # -- polling -----------------------------------------------------------------------------

    async def sync(
        self,
        qonto: QontoClient,
        *,
        resources: Sequence[str] | None = None,
        full: bool = False,
        attachments_dir: str | os.PathLike[str] | None = None,
        on_progress: ProgressHook | None = None,
        wait: float = 0.0,
        per_page: int = 100,
        prefetch: int = 4,
    ) -> SyncCounts:
        """Bring the ledger in step with Qonto: new and changed records since the last run.

        ``resources`` (default all): among ``clients``, ``client_invoices``,
        ``supplier_invoices``, ``bank_accounts``, ``transactions``, ``labels``,
        ``memberships``. With the default, a resource Qonto refuses (403: a token without
        the bank's scopes) is skipped, with a warning, and recorded in the counts'
        ``skipped``; the others go on. A resource named here is required: a 403 fails the
        run. Transactions are read by ``updated_at`` over every account, every
        status; bank accounts, labels and memberships are listed whole each run (a row two
        complete listings lack is marked deleted). ``full`` re-lists everything and marks
        rows Qonto no longer has deleted (``deleted_at``; rows are never dropped).
        ``attachments_dir`` also downloads each invoice's PDF and each transaction's
        receipts there (``attachments`` says whose each file is). ``on_progress(resource,
        records)`` hears of each page stored. One sync at a time per ledger, across
        processes: another one holding it raises
        :class:`~qonto_async.ledger.LedgerBusyError` after ``wait`` seconds.

        Cancelling it, or killing the process, loses nothing: every page is stored with the
        cursor after it, and the next run resumes there. Returns the run's counts (also in
        :attr:`last_run`, and in the ``runs`` table).
        """
        store = self._open_store()
        chosen = check_resources(resources)
        folder = Path(attachments_dir) if attachments_dir is not None else None
        if self._syncing:
            raise LedgerBusyError(f"this Ledger object is running a sync on {self.name} already")
        self._syncing = True
        self._sync_task = asyncio.current_task()
        try:
            await self._lock(store, wait)
            try:
                return await self._locked_sync(
                    store, qonto, chosen, resources is None, full, folder, on_progress,
                    per_page, prefetch,
                )  # fmt: skip
            finally:
                await self._finally(store.unlock)
        finally:
            self._syncing = False
            self._sync_task = None

    async def _lock(self, store: Store, wait: float) -> None:
        deadline = asyncio.get_running_loop().time() + max(0.0, wait)
        while True:
            taking = self._thread().submit(store.lock, 0.0)
            try:
                await self._explained(asyncio.wrap_future(taking))
                return
            except asyncio.CancelledError:
                # the thread may take the lock all the same: it is given back before this
                # returns (a second cancellation leaves it queued, given back all the same)
                await asyncio.shield(asyncio.wrap_future(self._thread().submit(store.unlock)))
                raise
            except LedgerBusyError:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    raise
                await asyncio.sleep(min(_LOCK_POLL, remaining))

    async def _locked_sync(
        self,
        store: Store,
        qonto: QontoClient,
        resources: tuple[str, ...],
        optional: bool,
        full: bool,
        folder: Path | None,
        on_progress: ProgressHook | None,
        per_page: int,
        prefetch: int,
    ) -> SyncCounts:
        if folder is not None:
            kept = [r for r in resources if r in WITH_ATTACHMENTS]
            try:  # checked before any request
                await asyncio.to_thread(files.prepare, folder, kept)
            except OSError as exc:
                raise files.cannot_write(folder, exc) from None
        counts = self.last_run = SyncCounts(resources=resources)
        starting = self._thread().submit(store.start_run, resources)
        try:
            counts.run = await self._explained(asyncio.wrap_future(starting))
        except asyncio.CancelledError:  # the run may begin all the same: it is ended at once
            counts.status = "interrupted"
            ending = self._thread().submit(_interrupt_started, store, starting, counts)
            await asyncio.shield(asyncio.wrap_future(ending))
            raise
        job = SyncJob(
            self._run,
            self._submit,
            store,
            qonto,
            counts,
            full=full,
            per_page=per_page,
            prefetch=prefetch,
            on_progress=on_progress,
        )
        try:
            for resource in resources:
                try:
                    await job.resource(resource)
                except PermissionDeniedError as refused:
                    if not optional:  # named by the caller: required
                        raise
                    await job.skip(resource, refused)
            if folder is not None:
                kept = [r for r in resources if r not in counts.skipped]
                await job.attachments(kept, folder)
            counts.status = "done"
        except (asyncio.CancelledError, KeyboardInterrupt):
            counts.status = "interrupted"
            raise
        except BaseException:
            counts.status = "failed"
            raise
        finally:
            await job.settle()
            job.tally()
            await self._finally(store.finish_run, counts.run, counts.status, **counts.totals())
        return counts

    # -- webhook events ----------------------------------------------------------------------

    async def apply(self, event: WebhookEvent) -> Outcome:
        """Apply a webhook event (``v1/clients``, ``v1/client-invoices``,
        ``v1/transactions``): its record is upserted (a deleted client is marked
        ``deleted_at``), unless the row holds a more recent state (Qonto redelivers late
        events after newer ones: ``"stale"``, nothing changes); an event id applied before is
        ``"duplicate"``; a type the ledger does not keep, or a record without an id (none, or
        ``""``: with a warning), is ``"ignored"`` (but recorded). An event built in Python
        that is not valid Unicode (a lone surrogate) raises a ``LedgerError`` naming it.

        The event and its effect are committed together before this returns: with
        ``WebhookReceiver(..., acknowledge="after_handling")`` Qonto's 2xx then means stored,
        and an apply that fails (the database locked past ``busy_timeout``, a full disk)
        raises, so the delivery is answered 5xx and Qonto delivers it again.
        """
        store = self._open_store()
        outcome: Outcome = await self._run(apply_event, store, event_row(event))
        if outcome == "ignored" and no_record(event):
            warn_no_record(event)
        return outcome

    async def refuse(self, body: bytes, reason: str) -> str:
        """Keep a delivery that was correctly signed but refused (its event does not decode:
        a :class:`~qonto_async.webhooks.WebhookPayloadError`, ``reason``) in
        ``ledger_events``, outcome ``"refused"``, its body whole in ``raw``, to inspect and
        replay: Qonto does not deliver a 4xx again. Returns the row's id (``refused:`` and
        the body's SHA-256; the same body is kept once)."""
        return await self._run(record_refused, self._open_store(), body, reason)

    # -- reading -----------------------------------------------------------------------------

    async def row(self, resource: str, record_id: str) -> dict[str, Any] | None:
        """One stored row, its columns by name (``raw`` decoded), or None."""
        return await self._run(self._open_store().row, resource, record_id)

    async def ids(self, resource: str, *, deleted: bool = False) -> set[str]:
        """The ids of the live rows of ``resource`` (the deleted ones with ``deleted=True``)."""
        return await self._run(self._open_store().ids, resource, deleted=deleted)

    async def count(self, resource: str, *, deleted: bool = False) -> int:
        return await self._run(self._open_store().count, resource, deleted=deleted)


def _close_made(opening: concurrent.futures.Future[Store]) -> None:
    """In the ledger's thread, after an opening that was given up: close what it opened."""
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


def _interrupt_started(
    store: Store, starting: concurrent.futures.Future[int], counts: SyncCounts
) -> None:
    """In the ledger's thread, after a start given up: record that run ``interrupted``."""
    if not starting.cancelled() and starting.exception() is None:
        store.finish_run(starting.result(), "interrupted", **counts.totals())
