"""``qonto-async sync``: keep a local ledger (SQLite) in step with Qonto.

Each resource is read with ``changes()`` from the cursor the ledger holds; every page is
stored together with the cursor after it, so a run killed at any point resumes where it
stopped. ``--full`` re-lists everything and marks what vanished as deleted.

One sync at a time per ledger: a run takes the ledger's lock before it starts (the next one
says so, or waits with ``--wait``), and marks the runs a killed process left ``running`` as
``abandoned``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .. import NotFoundError, QontoClient, QontoError
from .connection import Connection, connection_options, open_client
from .export import RESOURCES
from .failures import Failure, Interrupted, describe_failure, describe_ledger_error, run_async
from .ledger import SCHEMA_VERSION, Ledger, LedgerError, PageCounts
from .ledger import attachments as files

__all__ = ["sync"]

WITH_ATTACHMENTS = ("client_invoices", "supplier_invoices")


def _resources(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in RESOURCES]
    if unknown or not names:
        raise click.BadParameter(f"choose among {', '.join(RESOURCES)} (comma-separated)")
    return [RESOURCES[name] for name in dict.fromkeys(names)]


@dataclasses.dataclass
class _SyncRun:
    label: str
    counts: PageCounts = dataclasses.field(default_factory=PageCounts)
    deleted: int = 0
    attachments: int = 0
    client: QontoClient | None = None
    started: float = dataclasses.field(default_factory=time.perf_counter)

    def totals(self) -> dict[str, int]:
        stats = self.client.stats if self.client is not None else None
        return {
            "new": self.counts.new,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "deleted": self.deleted,
            "attachments": self.attachments,
            "requests": stats.requests if stats else 0,
            "retries": stats.retries if stats else 0,
        }

    def summary(self, status: str) -> str:
        parts = [f"{value} {key}" for key, value in self.totals().items()]
        elapsed = time.perf_counter() - self.started
        return f"{self.label}: {status}: {', '.join(parts)}, {elapsed:.2f} s"


@click.command()
@connection_options
@click.option(
    "--db",
    default="ledger.sqlite",
    show_default=True,
    help="The ledger: a SQLite file, or a postgresql:// URL.",
)
@click.option(
    "--resources",
    default=",".join(RESOURCES),
    show_default=True,
    callback=_resources,
    help="Which resources to sync, comma-separated.",
)
@click.option(
    "--attachments",
    "attachments_dir",
    metavar="DIR",
    help="Also download each invoice's PDF into DIR (skipping files already there).",
)
@click.option("--full", is_flag=True, help="Re-list everything; mark vanished rows deleted.")
@click.option("--per-page", type=click.IntRange(3, 100), default=100, show_default=True)
@click.option("--prefetch", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--progress/--no-progress", default=None, help="Progress on stderr.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="If another sync holds the ledger, wait up to SECONDS for it (default: exit 75 now).",
)
def sync(
    conn: Connection,
    db: str,
    resources: list[str],
    attachments_dir: str | None,
    full: bool,
    per_page: int,
    prefetch: int,
    progress: bool | None,
    wait: float,
) -> None:
    """Keep a local ledger in step with Qonto: new and changed records since the last run.

    Killing it at any point (Ctrl-C, kill -9) and running it again loses and duplicates
    nothing. Deletions are found by --full (rows marked deleted_at, never dropped). One sync
    at a time per ledger: another one exits 75 at once, or waits with --wait.
    """
    try:
        ledger = Ledger(db)
    except LedgerError as exc:
        raise describe_ledger_error(exc) from None
    ledger_errors: tuple[type[Exception], ...] = (LedgerError, *ledger.errors)
    try:
        ledger.lock_for_sync(wait)
        if attachments_dir is not None:
            _prepare_folder(Path(attachments_dir), resources)
        run_id = ledger.start_run(resources)
    except BaseException as exc:
        ledger.close()
        if isinstance(exc, ledger_errors):
            raise describe_ledger_error(ledger.explain(exc)) from None
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C while waiting for the lock
            raise Interrupted("interrupted before the run began: nothing was synced") from None
        raise
    if ledger.upgraded_from is not None:
        click.echo(
            f"{ledger.name}: ledger upgraded in place from schema version "
            f"{ledger.upgraded_from} to {SCHEMA_VERSION}",
            err=True,
        )
    run = _SyncRun("[fake] sync" if conn.fake else "sync")
    show = os.isatty(2) if progress is None else progress
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show,
    )

    async def work() -> None:
        async with open_client(conn) as client:
            run.client = client
            run.started = time.perf_counter()
            for resource in resources:
                task = bar.add_task(resource.replace("_", "-"), total=None)
                await _sync_resource(
                    client,
                    ledger,
                    resource,
                    run,
                    run_id,
                    full,
                    per_page,
                    prefetch,
                    lambda n, t=task: bar.advance(t, n),
                )
            if attachments_dir is not None:
                await _download_attachments(client, ledger, resources, Path(attachments_dir), run)

    status, failure = "failed", None
    try:
        with bar:
            run_async(work)
        status = "done"
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = "interrupted"
        failure = Interrupted(f"interrupted: {db} holds every page stored so far; run again")
    except QontoError as exc:
        failure = describe_failure(exc)
    except Failure as exc:
        failure = exc
    except ledger_errors as exc:
        failure = describe_ledger_error(ledger.explain(exc))
    finally:
        try:
            ledger.finish_run(run_id, status, **run.totals())
        except ledger.errors as exc:  # the failure that stopped the run says more, if any
            failure = failure or describe_ledger_error(ledger.explain(exc))
        finally:
            ledger.close()
    click.echo(run.summary(status) + f" -> {ledger.name}", err=True)
    if failure is not None:
        raise failure


def _prepare_folder(folder: Path, resources: list[str]) -> None:
    """``--attachments DIR`` must take files: checked before any request."""
    try:
        files.prepare(folder, [r for r in resources if r in WITH_ATTACHMENTS])
    except OSError as exc:
        raise _cannot_write(folder, exc) from None


def _cannot_write(folder: Path, exc: OSError) -> Failure:
    return Failure(f"cannot write attachments into {folder}: {exc.strerror or exc}")


async def _sync_resource(
    client: QontoClient,
    ledger: Ledger,
    resource: str,
    run: _SyncRun,
    run_id: int,
    full: bool,
    per_page: int,
    prefetch: int,
    advance: Any,
) -> None:
    cursor, full_run = ledger.cursor(resource)
    if full or (cursor is None and full_run is None):
        # A full re-list (asked for, or the first run): rows it does not see are deleted.
        ledger.begin_full(resource, run_id)
        cursor, full_run = None, run_id
    caught_up = False
    while True:
        feed = getattr(client, resource).changes(cursor, per_page=per_page, prefetch=prefetch)
        async for records in feed.pages():
            run.counts.add(ledger.write_page(resource, records, feed.cursor, full_run))
            advance(len(records))
        ledger.write_page(resource, [], feed.cursor, full_run)
        cursor = feed.cursor
        if feed.resumed:
            continue  # that finished a run an earlier invocation began; now what changed since
        if full_run is not None and not caught_up:
            # A record updated while everything was listed left that listing's window: read
            # what changed meanwhile before calling anything unseen deleted.
            caught_up = True
            continue
        break
    if full_run is not None:
        await _confirm_unseen(client, ledger, resource, run, full_run)
        run.deleted += ledger.finish_full(resource, full_run)


async def _confirm_unseen(
    client: QontoClient, ledger: Ledger, resource: str, run: _SyncRun, mark: int
) -> None:
    """A row a full re-list did not see is deleted only if Qonto says 404: a record updated
    during the listing and again during its catch-up escaped both windows but exists."""
    unseen = ledger.unseen(resource, mark)
    if not unseen:
        return
    results = await getattr(client, resource).get_many(unseen, return_exceptions=True)
    found = []
    for result in results:
        if isinstance(result, NotFoundError):
            continue
        if isinstance(result, QontoError):
            raise result
        found.append(result)
    run.counts.add(ledger.write_page(resource, found, None, mark))


async def _download_attachments(
    client: QontoClient, ledger: Ledger, resources: list[str], folder: Path, run: _SyncRun
) -> None:
    wanted = [
        (resource, attachment_id)
        for resource in resources
        if resource in WITH_ATTACHMENTS
        for attachment_id in ledger.attachment_ids(resource)
    ]
    places = {resource: files.resource_folder(folder, resource) for resource, _ in wanted}
    for place in places.values():
        files.clean_partials(place)  # what a killed run left; with the lock, ours is the only run
    todo = []
    for resource, attachment_id in wanted:
        # the id becomes one safe file name in that folder, whatever the API sent
        path = places[resource] / files.attachment_file_name(attachment_id)
        known = ledger.attachment(attachment_id)
        if known is not None and path.is_file() and path.stat().st_size == known[1]:
            continue
        todo.append((attachment_id, path))
    pending = iter(todo)

    async def worker() -> None:
        for attachment_id, path in pending:
            # download() signs a fresh link each time: an expired one is never reused
            content = await client.attachments.download(attachment_id)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                files.write_file(path, content)
            except OSError as exc:  # read-only, full, gone: the records are stored already
                raise _cannot_write(folder, exc) from None
            ledger.record_attachment(attachment_id, str(path), len(content))
            run.attachments += 1

    workers = [asyncio.ensure_future(worker()) for _ in range(min(8, len(todo)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
