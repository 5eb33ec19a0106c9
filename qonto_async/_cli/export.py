"""``qonto-async export <resource>``: stream every matching record to JSONL or CSV."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import sys
import time
import zoneinfo
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .. import QontoClient, QontoError
from ..models import TRANSACTION_STATUSES
from .connection import Connection, connection_options, open_client
from .failures import Failure, Interrupted, OutputClosed, UsageFailure, describe_failure, run_async
from .filters import check_ranges, filter_options, filters
from .output import (
    FileSink,
    Format,
    RecordWriter,
    open_output,
    remove_stale_temporaries,
    transaction_columns,
)

__all__ = ["RESOURCES", "export"]

RESOURCES = {
    "clients": "clients",
    "client-invoices": "client_invoices",
    "supplier-invoices": "supplier_invoices",
    "transactions": "transactions",
}
_HELP = {
    "transactions": "Export transactions: every account and every status unless narrowed.\n\n"
    "For an accounting period, filter on --settled-at-from/--settled-at-to (a period by "
    "--updated-at misses what was edited since). CSV days are in --timezone.",
}


def _zone(ctx: click.Context, param: click.Parameter, value: str) -> dt.tzinfo:
    if value.upper() in ("UTC", "Z"):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{value!r} is no time zone (e.g. UTC, Europe/Paris)") from None


# Rate-limit waits the CLI mentions once they add up to this many seconds.
NOTABLE_WAIT = 1.0


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rec/s", style="progress.data.speed")


class _BudgetColumn(ProgressColumn):
    """Says when the client waits for its rate-limit budget (a long pause is not a hang)."""

    def __init__(self, run: _ExportRun) -> None:
        super().__init__()
        self._run = run

    def render(self, task: Task) -> Text:
        stats = self._run.client.stats if self._run.client is not None else None
        if stats is None or stats.budget_wait_seconds < NOTABLE_WAIT:
            return Text("")
        return Text(f"rate limit: waited {stats.budget_wait_seconds:,.0f} s", style="yellow")


@dataclasses.dataclass
class _ExportRun:
    """What the summary line reports; filled in as the export goes."""

    label: str
    writer: RecordWriter
    pages: int = 0
    client: QontoClient | None = None
    started: float | None = None  # once connected: the fake's setup does not count

    def summary(self, status: str, where: str) -> str:
        elapsed = time.perf_counter() - self.started if self.started is not None else 0.0
        records = self.writer.records
        stats = self.client.stats if self.client is not None else None
        parts = [
            f"{records} records",
            f"{self.pages} pages",
            f"{stats.requests if stats else 0} requests",
            f"{stats.retries if stats else 0} retries",
            *(
                [f"waited {stats.budget_wait_seconds:.1f} s for the rate limit"]
                if stats and stats.budget_wait_seconds >= NOTABLE_WAIT
                else []
            ),
            f"{elapsed:.2f} s",
            f"{records / elapsed if elapsed > 0 else 0.0:,.0f} records/s",
        ]
        return f"{self.label}: {status}: {', '.join(parts)}{where}"


@click.group()
def export() -> None:
    """Stream every matching record to a JSON Lines or CSV file (or standard output).

    A file is written beside its target and renamed into place only when the export
    succeeds: a failed run leaves the previous file untouched, and an interrupted one keeps
    what it wrote as FILE.partial. The temporary file of a run killed outright
    (.FILE.PID.XXXXXXXX.tmp) is removed by the next export to FILE.
    """


def _make_command(command_name: str, resource: str) -> None:
    def command(
        conn: Connection,
        out: str | None,
        fmt: Format | None,
        per_page: int,
        prefetch: int,
        progress: bool | None,
        **filter_values: Any,
    ) -> None:
        chosen: Format = fmt or ("csv" if out and out.lower().endswith(".csv") else "jsonl")
        zone: dt.tzinfo | None = filter_values.pop("timezone", None)
        checked = filters(filter_values)
        check_ranges(checked)
        if resource == "transactions":  # every status, said out loud (Qonto's hides two)
            checked.setdefault("status", list(TRANSACTION_STATUSES))
        try:
            sink = open_output(out)
        except IsADirectoryError:
            example = os.path.join(out or ".", f"{command_name}.{chosen}")
            raise UsageFailure(
                f"--out {out} is a directory: name a file, e.g. --out {example}"
            ) from None
        except OSError as exc:
            raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
        if isinstance(sink, FileSink):
            for stale in remove_stale_temporaries(sink.target):
                click.echo(f"removed {stale}: left by an export that was killed", err=True)
        columns = transaction_columns(zone) if zone is not None else None
        writer = RecordWriter(sink, chosen, resource, columns)
        show = sys.stderr.isatty() if progress is None else progress
        _export(conn, command_name, resource, writer, checked, per_page, prefetch, show)

    command.__name__ = command_name.replace("-", "_")
    command.__doc__ = _HELP.get(resource, f"Export {command_name.replace('-', ' ')}.")
    decorated: Any = connection_options(command)
    zone = click.option(
        "--timezone",
        default="UTC",
        show_default=True,
        callback=_zone,
        help="The zone of the CSV's settled_date and emitted_date, e.g. Europe/Paris.",
    )
    for option in reversed(
        [
            *filter_options(resource),
            *([zone] if resource == "transactions" else []),
            click.option("--out", "-o", metavar="FILE", help="Output file (default: stdout)."),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["jsonl", "csv"]),
                help="Default: csv for a .csv --out, else jsonl.",
            ),
            click.option("--per-page", type=click.IntRange(1, 100), default=100, show_default=True),
            click.option(
                "--prefetch",
                type=click.IntRange(min=1),
                default=4,
                show_default=True,
                help="Pages in flight at once.",
            ),
            click.option(
                "--progress/--no-progress",
                default=None,
                help="Progress bar on stderr (default: when stderr is a terminal).",
            ),
        ]
    ):
        decorated = option(decorated)
    export.command(command_name)(decorated)


def _export(
    conn: Connection,
    label: str,
    resource: str,
    writer: RecordWriter,
    filter_values: dict[str, Any],
    per_page: int,
    prefetch: int,
    show_progress: bool,
) -> None:
    run = _ExportRun(f"[fake] {label}" if conn.fake else label, writer)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        _BudgetColumn(run),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
    )
    task_id = bar.add_task(label, total=None)

    def on_progress(done: int, total: int | None) -> None:
        bar.update(task_id, completed=done, total=total)

    async def work() -> None:
        async with open_client(conn, warm=resource) as client:
            run.client = client
            run.started = time.perf_counter()
            resource_api = getattr(client, resource)
            try:
                paginator = resource_api.list(
                    **filter_values, per_page=per_page, prefetch=prefetch, on_progress=on_progress
                )
            except (TypeError, ValueError) as exc:
                raise UsageFailure(str(exc)) from None
            async for page in paginator.pages():
                writer.write_page(page.items)
                run.pages += 1

    status = "failed"
    failure: Failure | None = None
    try:
        with bar:
            run_async(work)
        status = "done"
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = "interrupted"
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as shell tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = "output closed"
        failure = OutputClosed()
    except QontoError as exc:
        failure = describe_failure(exc)
    except Failure as exc:
        failure = exc
    finally:
        where = _settle(writer, status)
    click.echo(run.summary(status, where), err=True)
    if status == "interrupted":
        sink = writer.sink
        kept = f" in {sink.name}" if isinstance(sink, FileSink) else ""
        failure = Interrupted(f"interrupted: the {writer.records} records written so far are{kept}")
    if failure is not None:
        raise failure


def _settle(writer: RecordWriter, status: str) -> str:
    """Put the output where it belongs for how the run ended; the summary's ``-> ...``."""
    sink = writer.sink
    if not isinstance(sink, FileSink):
        writer.close()
        return ""
    if status == "done":
        return f" -> {sink.commit()}"
    if status == "interrupted":
        return f" -> {sink.keep_partial()} ({sink.target} left as it was)"
    sink.abandon()
    return f" ({sink.target} left as it was)"


for _name, _resource in RESOURCES.items():
    _make_command(_name, _resource)
