"""The ``qonto-async`` command: export lists and get single records, against Qonto or a fake."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import click
import msgspec
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

from .. import (
    SANDBOX_URL,
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    QontoClient,
    QontoError,
)
from .._version import __version__
from ..testing import FakeQonto, Faults
from .output import Format, RecordWriter, open_output

__all__ = ["cli", "run"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_NETWORK = 5
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, like a shell tool killed by a closed pipe

RESOURCES = {
    "clients": "clients",
    "client-invoices": "client_invoices",
    "supplier-invoices": "supplier_invoices",
}
GET_KINDS = {
    "client": ("clients", "client"),
    "client-invoice": ("client_invoices", "client invoice"),
    "supplier-invoice": ("supplier_invoices", "supplier invoice"),
    "upload": ("client_invoice_uploads", "upload"),
    "attachment": ("attachments", "attachment"),
}


class Failure(click.ClickException):
    """An expected failure: one line on stderr and an exit code, no traceback."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class UsageFailure(Failure):
    exit_code = EXIT_USAGE


class AuthFailure(Failure):
    exit_code = EXIT_AUTH


class NotFoundFailure(Failure):
    exit_code = EXIT_NOT_FOUND


class NetworkFailure(Failure):
    exit_code = EXIT_NETWORK


class Interrupted(Failure):
    exit_code = EXIT_INTERRUPTED


class OutputClosed(Failure):
    exit_code = EXIT_BROKEN_PIPE

    def show(self, file: Any = None) -> None:
        pass  # the summary line already says so


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rec/s", style="progress.data.speed")


@dataclasses.dataclass(frozen=True)
class Connection:
    login: str | None
    secret_key: str | None
    access_token: str | None
    staging_token: str | None
    base_url: str | None
    sandbox: bool
    fake: bool
    fake_size: int
    fake_seed: int
    fake_latency: float
    fake_faults: Faults | None
    timeout: float
    max_retries: int
    max_concurrency: int
    requests_per_second: float | None


def _parse_faults(ctx: click.Context, param: click.Parameter, value: str | None) -> Faults | None:
    if not value:
        return None
    try:
        return Faults.parse(value)
    except (TypeError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from None


def _rate(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    return None if value is not None and value <= 0 else value


_CONNECTION_OPTIONS = [
    click.option("--login", envvar="QONTO_LOGIN", help="API login (env QONTO_LOGIN)."),
    click.option(
        "--secret-key", envvar="QONTO_SECRET_KEY", help="API secret key (env QONTO_SECRET_KEY)."
    ),
    click.option(
        "--access-token",
        envvar="QONTO_ACCESS_TOKEN",
        help="OAuth access token instead of an API key (env QONTO_ACCESS_TOKEN).",
    ),
    click.option(
        "--staging-token",
        envvar="QONTO_STAGING_TOKEN",
        help="Sandbox staging token (env QONTO_STAGING_TOKEN).",
    ),
    click.option(
        "--base-url", envvar="QONTO_BASE_URL", help="API origin before /v2 (env QONTO_BASE_URL)."
    ),
    click.option("--sandbox", is_flag=True, help="Use Qonto's sandbox (needs a staging token)."),
    click.option(
        "--fake", is_flag=True, help="Run against an embedded fake Qonto: no account, no network."
    ),
    click.option(
        "--fake-size",
        type=click.IntRange(min=0),
        default=1000,
        show_default=True,
        help="Client and supplier invoices in the fake (clients: a tenth, at least 1).",
    ),
    click.option("--fake-seed", type=int, default=0, show_default=True),
    click.option(
        "--fake-latency",
        type=click.FloatRange(min=0),
        default=0.0,
        metavar="MS",
        help="Latency the fake adds to every request, in milliseconds.",
    ),
    click.option(
        "--fake-faults",
        callback=_parse_faults,
        metavar="SPEC",
        help="Faults the fake injects, e.g. 'error=5%,throttle=2%,drop=1%,latency=20ms'.",
    ),
    click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0),
    click.option("--max-retries", type=click.IntRange(min=0), default=3, show_default=True),
    click.option("--max-concurrency", type=click.IntRange(min=1), default=16, show_default=True),
    click.option(
        "--requests-per-second",
        type=float,
        default=90.0,
        show_default=True,
        callback=_rate,
        help="Client-side rate limit; 0 disables it.",
    ),
]
_CONNECTION_KEYS = [f.name for f in dataclasses.fields(Connection)]


def connection_options(func: F) -> F:
    """Add the credential / target options and hand them to ``func`` as ``conn``."""

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        options = {key: kwargs.pop(key) for key in _CONNECTION_KEYS}
        options["fake_latency"] = options["fake_latency"] / 1000
        return func(conn=Connection(**options), **kwargs)

    for option in reversed(_CONNECTION_OPTIONS):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


@contextlib.asynccontextmanager
async def open_client(conn: Connection, warm: str | None = None) -> AsyncIterator[QontoClient]:
    """A client for ``conn``; with ``--fake``, talking to an embedded FakeQonto.

    The fake encodes the ``warm`` resource before the client is handed out: it runs in this
    process, and its work must not count in the export's timing (Qonto's does not either).
    """
    settings: dict[str, Any] = {
        "timeout": conn.timeout,
        "max_retries": conn.max_retries,
        "max_concurrency": conn.max_concurrency,
        "requests_per_second": conn.requests_per_second,
    }
    if conn.fake:
        fake = FakeQonto(
            seed=conn.fake_seed,
            clients=max(1, conn.fake_size // 10),
            client_invoices=conn.fake_size,
            supplier_invoices=conn.fake_size,
            latency=conn.fake_latency,
            faults=conn.fake_faults,
        )
        if warm is not None:
            fake.warm(warm)
        async with (
            fake,
            QontoClient(
                login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, **settings
            ) as client,
        ):
            yield client
        return
    if conn.sandbox and conn.base_url:
        raise UsageFailure("--sandbox and --base-url (or QONTO_BASE_URL) are exclusive")
    if conn.sandbox and not conn.staging_token:
        raise UsageFailure(
            "--sandbox needs a staging token: --staging-token or QONTO_STAGING_TOKEN"
        )
    if not (conn.login and conn.secret_key) and not conn.access_token:
        raise UsageFailure(
            "no Qonto credentials: set QONTO_LOGIN and QONTO_SECRET_KEY (or QONTO_ACCESS_TOKEN), "
            "pass --login and --secret-key, or try --fake"
        )
    try:
        client = QontoClient(
            login=conn.login,
            secret_key=conn.secret_key,
            access_token=conn.access_token,
            staging_token=conn.staging_token,
            base_url=SANDBOX_URL if conn.sandbox else conn.base_url,
            **settings,
        )
    except ValueError as exc:
        raise UsageFailure(str(exc)) from None
    async with client:
        yield client


def _describe_failure(exc: QontoError, what: str | None = None) -> Failure:
    if isinstance(exc, AuthenticationError):
        return AuthFailure(
            f"authentication failed ({exc.status} {exc.code or 'unauthorized'}): check "
            "QONTO_LOGIN / QONTO_SECRET_KEY or QONTO_ACCESS_TOKEN"
        )
    if isinstance(exc, PermissionDeniedError):
        return AuthFailure(f"permission denied: {exc}")
    if isinstance(exc, NotFoundError):
        subject = f"{what} {exc.resource_id!r}" if what and exc.resource_id else "resource"
        trace = f" (trace_id {exc.trace_id})" if exc.trace_id else ""
        return NotFoundFailure(f"{subject} not found{trace}")
    if isinstance(exc, APIConnectionError):
        return NetworkFailure(f"network failure: {exc}")
    return Failure(str(exc))


def _run(coro_factory: Callable[[], Any]) -> Any:
    """``asyncio.run`` with SIGTERM treated like Ctrl-C (both cancel the running command)."""

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            assert task is not None
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        return await coro_factory()

    return asyncio.run(main())


# -- commands -----------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="qonto-async")
@click.option(
    "-v", "--verbose", count=True, help="Log retries (-v) or every request (-vv) on stderr."
)
def cli(verbose: int) -> None:
    """Export and inspect Qonto data with the qonto-async SDK.

    Credentials come from QONTO_LOGIN / QONTO_SECRET_KEY (or QONTO_ACCESS_TOKEN) or the
    matching options; --fake runs everything against an embedded fake Qonto.

    Exit status: 0 done, 1 API error, 2 usage, 3 authentication, 4 not found, 5 network,
    130 interrupted, 141 output closed.
    """
    sdk_logger = logging.getLogger("qonto_async")
    sdk_logger.propagate = False
    if not sdk_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        sdk_logger.addHandler(handler)
    # Retries are counted in the summary; without -v they need no line of their own.
    sdk_logger.setLevel({0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG))


@dataclasses.dataclass
class _ExportRun:
    """What the summary line reports; filled in as the export goes."""

    label: str
    writer: RecordWriter
    pages: int = 0
    client: QontoClient | None = None
    started: float | None = None  # once connected: the fake's setup does not count

    def summary(self, status: str) -> str:
        elapsed = time.perf_counter() - self.started if self.started is not None else 0.0
        records = self.writer.records
        stats = self.client.stats if self.client is not None else None
        parts = [
            f"{records} records",
            f"{self.pages} pages",
            f"{stats.requests if stats else 0} requests",
            f"{stats.retries if stats else 0} retries",
            f"{elapsed:.2f} s",
            f"{records / elapsed if elapsed > 0 else 0.0:,.0f} records/s",
        ]
        target = "" if self.writer.sink.name == "-" else f" -> {self.writer.sink.name}"
        return f"{self.label}: {status}: {', '.join(parts)}{target}"


def _filter_options(resource: str) -> list[Callable[[F], F]]:
    def dates(*names: str) -> list[Callable[[F], F]]:
        return [
            click.option(
                f"--{name.replace('_', '-')}",
                name,
                metavar="ISO8601",
                help=f"filter[{name}]: a date or a timestamp with an offset.",
            )
            for name in names
        ]

    sort = click.option("--sort-by", help="e.g. created_at:desc")
    if resource == "clients":
        return [
            click.option("--tax-identification-number"),
            click.option("--vat-number"),
            click.option("--email"),
            click.option("--name", help="Partial match, 2 characters or more."),
            *dates("updated_at_from", "updated_at_to"),
            sort,
        ]
    status = click.option(
        "--status",
        multiple=True,
        help="Repeat or comma-separate: --status paid,unpaid.",
    )
    common = [
        status,
        *dates("created_at_from", "created_at_to", "updated_at_from", "updated_at_to"),
        sort,
    ]
    if resource == "client_invoices":
        return common
    return [
        *common,
        click.option("--due-date", type=click.Choice(["past_and_today", "future", "missing_date"])),
        click.option("--attachment-id"),
        click.option("--missing-data/--no-missing-data", default=None),
        click.option("--matched-transactions/--no-matched-transactions", default=None),
        click.option("--exclude-credit-notes/--include-credit-notes", default=None),
        click.option("--query", help="Text searched in --query-fields."),
        click.option("--query-fields", help="Comma-separated, e.g. supplier_name,invoice_number."),
    ]


def _filters(values: dict[str, Any]) -> dict[str, Any]:
    filters = {key: value for key, value in values.items() if value not in (None, ())}
    if "status" in filters:
        raw = ",".join(filters["status"])
        filters["status"] = [s.strip() for s in raw.split(",") if s.strip()]
    return filters


@cli.group()
def export() -> None:
    """Stream every matching record to a JSON Lines or CSV file (or standard output)."""


def _make_export_command(command_name: str, resource: str) -> None:
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
        try:
            sink = open_output(out)
        except OSError as exc:
            raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
        writer = RecordWriter(sink, chosen, resource)
        show = sys.stderr.isatty() if progress is None else progress
        filters = _filters(filter_values)
        _export(conn, command_name, resource, writer, filters, per_page, prefetch, show)

    command.__name__ = command_name.replace("-", "_")
    command.__doc__ = f"Export {command_name.replace('-', ' ')}."
    decorated: Any = connection_options(command)
    for option in reversed(
        [
            *_filter_options(resource),
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
    filters: dict[str, Any],
    per_page: int,
    prefetch: int,
    show_progress: bool,
) -> None:
    run = _ExportRun(f"[fake] {label}" if conn.fake else label, writer)
    status = "done"
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
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
                    **filters, per_page=per_page, prefetch=prefetch, on_progress=on_progress
                )
            except (TypeError, ValueError) as exc:
                raise UsageFailure(str(exc)) from None
            async for page in paginator.pages():
                writer.write_page(page.items)
                run.pages += 1

    failure: Failure | None = None
    try:
        with bar:
            _run(work)
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = "interrupted"
        failure = Interrupted("interrupted: the output holds every record written so far")
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as shell tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = "output closed"
        failure = OutputClosed("")
    except QontoError as exc:
        status = "failed"
        failure = _describe_failure(exc)
    except Failure as exc:
        status = "failed"
        failure = exc
    finally:
        writer.close()
    click.echo(run.summary(status), err=True)
    if failure is not None:
        raise failure


for _name, _resource in RESOURCES.items():
    _make_export_command(_name, _resource)


@cli.command()
@click.argument("kind", type=click.Choice(list(GET_KINDS)))
@click.argument("record_id", metavar="ID")
@connection_options
def get(conn: Connection, kind: str, record_id: str) -> None:
    """Print one client, client invoice, supplier invoice, upload or attachment as JSON."""
    attribute, what = GET_KINDS[kind]

    async def work() -> msgspec.Struct:
        async with open_client(conn) as client:
            try:
                return await getattr(client, attribute).get(record_id)  # type: ignore[no-any-return]
            except ValueError as exc:
                raise UsageFailure(str(exc)) from None

    try:
        model = _run(work)
    except QontoError as exc:
        raise _describe_failure(exc, what) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted("interrupted") from None
    data = msgspec.json.format(msgspec.json.encode(model), indent=2)
    click.echo(data.decode())


def run(argv: list[str] | None = None) -> None:
    """Run the command line and exit with its status."""
    cli.main(args=argv, prog_name="qonto-async")
