"""``qonto-async upload supplier-invoices PATH...``: push a folder of supplier invoices.

One line per file on stdout (``created <id> <path>`` or ``failed <path>: <why>``), a summary
on stderr, exit status 1 if any file failed. Safe to re-run: each file's idempotency key is
derived from its content, so a file uploaded before gets the invoice it made then.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .. import BulkFile, QontoError, SupplierInvoice
from .connection import Connection, connection_options, open_client
from .failures import EXIT_ERROR, Failure, Interrupted, describe_failure, run_async

__all__ = ["upload"]

SUFFIXES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
BATCH = 80  # files handed to the SDK at a time: four requests of 20


def collect(paths: tuple[str, ...]) -> list[Path]:
    """Every PDF, JPEG and PNG named or inside a named folder, in a stable order."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise click.BadParameter(f"{name}: no such file or folder")
    return list(dict.fromkeys(found))


@click.group()
def upload() -> None:
    """Upload files to Qonto."""


@upload.command("supplier-invoices")
@click.argument("paths", nargs=-1, required=True, metavar="DIR_OR_FILES...")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr.")
@connection_options
def supplier_invoices(conn: Connection, paths: tuple[str, ...], progress: bool | None) -> None:
    """Upload supplier invoices (PDF, JPEG, PNG), 20 per request."""
    files = collect(paths)
    err = Console(stderr=True)
    show = err.is_terminal if progress is None else progress
    failed = 0

    async def work() -> None:
        nonlocal failed
        bar = Progress(
            TextColumn("uploading"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            disable=not show,
        )
        async with open_client(conn) as client:
            with bar:
                task = bar.add_task("upload", total=len(files))
                for start in range(0, len(files), BATCH):
                    batch = files[start : start + BATCH]
                    results = await client.supplier_invoices.create_many(
                        [_bulk_file(path) for path in batch]
                    )
                    for path, result in zip(batch, results, strict=True):
                        if isinstance(result, SupplierInvoice):
                            click.echo(f"created {result.id} {path}")
                        else:
                            failed += 1
                            click.echo(f"failed  {path}: {result}")
                    bar.advance(task, len(batch))

    try:
        run_async(work)
    except QontoError as exc:
        raise describe_failure(exc) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted(
            "interrupted: files listed above are uploaded; re-run to finish"
        ) from None
    click.echo(f"{len(files) - failed} uploaded, {failed} failed", err=True)
    if failed:
        raise Failure("", EXIT_ERROR)


def _bulk_file(path: Path) -> BulkFile:
    content_type = SUFFIXES.get(path.suffix.lower())
    return BulkFile(path.read_bytes(), os.path.basename(path), content_type=content_type)
