"""``qonto-async sync``: keep a local ledger in step with Qonto, through
:meth:`qonto_async.ledger.Ledger.sync` (this module only reads options and prints)."""

from __future__ import annotations

import asyncio
import os
import time

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .. import QontoError
from ..ledger import RESOURCES as LEDGER_RESOURCES
from ..ledger import SCHEMA_VERSION, Ledger, LedgerError, SyncCounts
from .connection import Connection, connection_options, open_client
from .failures import Failure, Interrupted, describe_failure, describe_ledger_error, run_async
from .ledger_option import db_option

__all__ = ["RESOURCES", "sync"]

# the names the command takes (client-invoices) -> the ledger's (client_invoices)
RESOURCES = {name.replace("_", "-"): name for name in LEDGER_RESOURCES}


def _resources(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in RESOURCES]
    if unknown or not names:
        raise click.BadParameter(f"choose among {', '.join(RESOURCES)} (comma-separated)")
    return [RESOURCES[name] for name in dict.fromkeys(names)]


def _summary(label: str, counts: SyncCounts | None, status: str, elapsed: float) -> str:
    shown = counts.totals() if counts is not None else {}
    parts = [f"{value} {key}" for key, value in shown.items()]
    if counts is not None and counts.skipped:
        names = ", ".join(name.replace("_", "-") for name in counts.skipped)
        parts.append(f"skipped {names} (refused)")
    return f"{label}: {status}: {', '.join(parts) or 'nothing done'}, {elapsed:.2f} s"


def _skipped_lines(label: str, counts: SyncCounts) -> list[str]:
    """One warning per resource Qonto refused in a run over the default resources."""
    return [
        f"{label}: warning: skipped {name.replace('_', '-')}: {why}: these credentials "
        "cannot read it (name the resources to sync with --resources to silence this)"
        for name, why in counts.skipped.items()
    ]


@click.command()
@connection_options
@db_option
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
    help="Also download each invoice's PDF and each transaction's receipts into DIR "
    "(skipping files already there).",
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
    label = "[fake] sync" if conn.fake else "sync"
    # the default resources are each optional (one Qonto refuses is skipped, with a
    # warning); resources named with --resources are required (a 403 fails the run)
    source = click.get_current_context().get_parameter_source("resources")
    named = source is not click.core.ParameterSource.DEFAULT
    show = os.isatty(2) if progress is None else progress
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show,
    )
    tasks: dict[str, object] = {}
    started = time.perf_counter()
    ledger = Ledger.open(db)

    def advance(resource: str, records: int) -> None:
        if resource not in tasks:
            tasks[resource] = bar.add_task(resource.replace("_", "-"), total=None)
        bar.advance(tasks[resource], records)  # type: ignore[arg-type]

    async def work() -> None:
        nonlocal started
        async with ledger:
            if ledger.upgraded_from is not None:
                click.echo(
                    f"{ledger.name}: ledger upgraded in place from schema version "
                    f"{ledger.upgraded_from} to {SCHEMA_VERSION}",
                    err=True,
                )
            async with open_client(conn) as client:
                started = time.perf_counter()
                await ledger.sync(
                    client,
                    resources=resources if named else None,
                    full=full,
                    attachments_dir=attachments_dir,
                    on_progress=advance,
                    wait=wait,
                    per_page=per_page,
                    prefetch=prefetch,
                )

    status, failure = "failed", None
    try:
        with bar:
            run_async(work)
        status = "done"
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = "interrupted"
        if ledger.last_run is None:
            failure = Interrupted("interrupted before the run began: nothing was synced")
        else:
            failure = Interrupted(f"interrupted: {db} holds every page stored so far; run again")
    except QontoError as exc:
        failure = describe_failure(exc)
    except Failure as exc:
        failure = exc
    except LedgerError as exc:
        failure = describe_ledger_error(exc)
    if ledger.last_run is not None:
        for line in _skipped_lines(label, ledger.last_run):
            click.echo(line, err=True)
        summary = _summary(label, ledger.last_run, status, time.perf_counter() - started)
        click.echo(f"{summary} -> {ledger.name}", err=True)
    if failure is not None:
        raise failure
