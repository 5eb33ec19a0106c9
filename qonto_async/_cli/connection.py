"""Where a command connects: credential and target options, and the client they build."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import click

from .. import SANDBOX_URL, QontoClient
from ..testing import FakeQonto, Faults
from .failures import UsageFailure

__all__ = [
    "Connection",
    "connection_options",
    "open_client",
    "open_target",
]

F = TypeVar("F", bound=Callable[..., Any])


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
        "--fake",
        is_flag=True,
        help="Run against an embedded fake Qonto: no account, no network; a new one for "
        "each command (what a command writes there is gone after it).",
    ),
    click.option(
        "--fake-size",
        type=click.IntRange(min=0),
        default=1000,
        show_default=True,
        help="Client invoices, supplier invoices and transactions in the fake (clients: a "
        "tenth, at least 1; three bank accounts, the last one external).",
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
    async with open_target(conn, warm) as (client, _):
        yield client


@contextlib.asynccontextmanager
async def open_target(
    conn: Connection, warm: str | None = None
) -> AsyncIterator[tuple[QontoClient, FakeQonto | None]]:
    """:func:`open_client`, with the embedded fake when there is one (its IBAN, its ids)."""
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
            transactions=conn.fake_size,
            bank_accounts=3,
            latency=conn.fake_latency,
            faults=conn.fake_faults,
        )
        if warm is not None:
            fake.warm(warm)
        with _quiet_server_logs():
            async with (
                fake,
                QontoClient(
                    login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, **settings
                ) as client,
            ):
                yield client, fake
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
        yield client, None


# What the embedded fake's web server logs: a request it was still handling when Ctrl-C
# closed the client's connections ends in a traceback there, which is no news to the user.
_SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web", "aiohttp.access")


@contextlib.contextmanager
def _quiet_server_logs() -> Iterator[None]:
    def drop(record: logging.LogRecord) -> bool:
        return False

    loggers = [logging.getLogger(name) for name in _SERVER_LOGGERS]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)
