"""``qonto-async upload supplier-invoices PATH...``: push a folder of supplier invoices.

Every file is checked before anything is sent (a PDF, JPEG or PNG by its name, readable, not
empty, within Qonto's 10 MB): one that fails stops the run before the first request, in one
line naming it. Inside a folder, files of other types are skipped, each named on stderr.

One line per file on stdout (``created <id> <path>``, ``already-uploaded <id> <path>`` or
``failed <path>: <why>``), a summary on stderr, exit status 1 if any file failed. Safe to
re-run: each file's idempotency key is derived from its content, so a file uploaded before
gets the invoice it made then, and is reported as ``already-uploaded``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .. import (
    APIConnectionError,
    AuthenticationError,
    BulkFile,
    QontoClient,
    QontoError,
    SupplierInvoice,
)
from ..resources._bulk_upload import MAX_FILE_BYTES, MAX_REQUEST_BYTES
from .connection import Connection, connection_options, open_client
from .failures import (
    EXIT_ERROR,
    Failure,
    Interrupted,
    UsageFailure,
    describe_failure,
    run_async,
)

__all__ = ["upload"]

SUFFIXES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
BATCH = 80  # files handed to the SDK at a time: four requests of 20...
BATCH_BYTES = 4 * MAX_REQUEST_BYTES  # ...and at most what four requests carry, in memory
NOT_A_TYPE = "not a PDF, JPEG or PNG (.pdf, .jpg, .jpeg, .png)"
SHOWN_PROBLEMS = 5  # files named in the refusal line; the rest are counted


@dataclasses.dataclass
class Plan:
    """What a run uploads (each file with its size, read from the file system, not the file),
    and what it skips in the folders it was given."""

    files: list[tuple[Path, int]]
    skipped: list[Path]


def _problem(path: Path) -> tuple[str | None, int]:
    """Why ``path`` cannot be uploaded (None if it can), and its size; reads no content."""
    if path.suffix.lower() not in SUFFIXES:
        return NOT_A_TYPE, 0
    try:
        size = path.stat().st_size
        with path.open("rb"):  # readable: opened, not read
            pass
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}", 0
    if size == 0:
        return "empty file", 0
    if size > MAX_FILE_BYTES:
        return f"{size / 1024 / 1024:.1f} MB, over Qonto's {MAX_FILE_BYTES // 1024 // 1024} MB", 0
    return None, size


def collect(paths: tuple[str, ...]) -> Plan:
    """Every file named or inside a named folder, in a stable order, each checked; a file
    that cannot be uploaded is a usage error naming it, before anything is read or sent."""
    candidates: list[Path] = []
    skipped: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                (candidates if found.suffix.lower() in SUFFIXES else skipped).append(found)
        elif path.is_file():
            candidates.append(path)
        else:
            raise click.BadParameter(f"{name}: no such file or folder")
    files: list[tuple[Path, int]] = []
    problems: list[str] = []
    for path in dict.fromkeys(candidates):
        why, size = _problem(path)
        if why is None:
            files.append((path, size))
        else:
            problems.append(f"{path}: {why}")
    if problems:
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        rest = f"; and {more} more" if more > 0 else ""
        raise UsageFailure(f"nothing uploaded: {shown}{rest}")
    return Plan(files, list(dict.fromkeys(skipped)))


def _batches(files: list[tuple[Path, int]]) -> Iterator[list[tuple[Path, int]]]:
    """The files in groups of at most :data:`BATCH` files and :data:`BATCH_BYTES` bytes."""
    batch: list[tuple[Path, int]] = []
    size = 0
    for path, length in files:
        if batch and (len(batch) == BATCH or size + length > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((path, length))
        size += length
    if batch:
        yield batch


@click.group()
def upload() -> None:
    """Upload files to Qonto."""


@upload.command("supplier-invoices")
@click.argument("paths", nargs=-1, required=True, metavar="DIR_OR_FILES...")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr.")
@connection_options
def supplier_invoices(conn: Connection, paths: tuple[str, ...], progress: bool | None) -> None:
    """Upload supplier invoices (PDF, JPEG, PNG), 20 per request.

    Every file is checked first (its type by its name, readable, at most 10 MB): if one
    fails, nothing is uploaded and the error names it (exit 2). In a folder, files of other
    types are skipped and named on stderr. Prints one line per file: `created ID PATH`,
    `already-uploaded ID PATH` (its content was uploaded before: the same invoice, not a
    new one) or `failed PATH: WHY` (exit 1).
    """
    plan = collect(paths)
    for path in plan.skipped:
        click.echo(f"skipped {path}: {NOT_A_TYPE}", err=True)
    err = Console(stderr=True)
    show = err.is_terminal if progress is None else progress
    tally = {"created": 0, "already": 0, "failed": 0}

    async def work() -> None:
        bar = Progress(
            TextColumn("uploading"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            disable=not show,
        )
        async with open_client(conn) as client:
            before = await _newest_before(client) if plan.files else None
            seen: dict[str, Path] = {}
            with bar:
                task = bar.add_task("upload", total=len(plan.files))
                for batch in _batches(plan.files):
                    await _upload_batch(client, batch, before, seen, tally)
                    bar.advance(task, len(batch))

    try:
        run_async(work)
    except QontoError as exc:
        raise describe_failure(exc) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted(
            "interrupted: files listed above are uploaded; re-run to finish"
        ) from None
    extra = [f"{tally['already']} already uploaded"] if tally["already"] else []
    extra += [f"{len(plan.skipped)} skipped"] if plan.skipped else []
    summary = ", ".join([f"{tally['created']} uploaded", f"{tally['failed']} failed", *extra])
    click.echo(summary, err=True)
    if tally["failed"]:
        raise Failure("", EXIT_ERROR)


async def _newest_before(client: QontoClient) -> dt.datetime | None:
    """When the newest supplier invoice was created, before this run uploads anything.

    An invoice the upload answers that is no newer existed already: its file was uploaded
    before, and Qonto answered its idempotency key with the invoice it made then. Both times
    are Qonto's, so the local clock plays no part. None when there is no invoice yet (none
    can be a replay), or when the list cannot be read (then every invoice counts as new).
    """
    newest: dt.datetime | None = None
    try:
        async for page in client.supplier_invoices.list(per_page=1, limit=1).pages():
            newest = newest or next((i.created_at for i in page.items), None)
    except (AuthenticationError, APIConnectionError):
        raise  # the upload would fail the same way: say so now, before reading any file
    except QontoError:
        return None
    return newest


async def _upload_batch(
    client: QontoClient,
    batch: list[tuple[Path, int]],
    before: dt.datetime | None,
    seen: dict[str, Path],
    tally: dict[str, int],
) -> None:
    """Read the batch's files one at a time, upload them, print a line per file."""
    ready: list[tuple[Path, BulkFile]] = []
    for path, _ in batch:
        try:
            ready.append((path, _bulk_file(path)))
        except OSError as exc:  # changed since it was checked
            tally["failed"] += 1
            click.echo(f"failed  {path}: cannot read it: {exc.strerror or exc}")
    if not ready:
        return
    results = await client.supplier_invoices.create_many([file for _, file in ready])
    for (path, _), result in zip(ready, results, strict=True):
        if not isinstance(result, SupplierInvoice):
            tally["failed"] += 1
            click.echo(f"failed  {path}: {result}")
            continue
        created = result.created_at
        replayed = result.id in seen or (
            before is not None and created is not None and created <= before
        )
        seen.setdefault(result.id, path)
        tally["already" if replayed else "created"] += 1
        click.echo(f"{'already-uploaded' if replayed else 'created'} {result.id} {path}")


def _bulk_file(path: Path) -> BulkFile:
    content_type = SUFFIXES.get(path.suffix.lower())
    return BulkFile(path.read_bytes(), os.path.basename(path), content_type=content_type)
