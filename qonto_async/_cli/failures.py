"""How a command ends: exit codes, one-line failures, and running a command's coroutine."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from .. import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    QontoError,
)
from ..ledger import LedgerBusyError, LedgerError, NotALedgerError

__all__ = [
    "EXIT_AUTH",
    "EXIT_BROKEN_PIPE",
    "EXIT_BUSY",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_NOT_FOUND",
    "EXIT_USAGE",
    "Failure",
    "Interrupted",
    "OutputClosed",
    "UsageFailure",
    "describe_failure",
    "describe_ledger_error",
    "run_async",
    "where_not_found",
]

T = TypeVar("T")

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_NETWORK = 5
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: another sync holds the ledger; try again later
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, like a shell tool killed by a closed pipe
URL_SHOWN = 200  # characters of a URL a message repeats, as the SDK's own messages


class Failure(click.ClickException):
    """An expected failure: one line on stderr and an exit code, no traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: Any = None) -> None:
        if self.message:
            click.echo(f"error: {self.format_message()}", err=True)


def UsageFailure(message: str) -> Failure:
    return Failure(message, EXIT_USAGE)


def Interrupted(message: str) -> Failure:
    return Failure(message, EXIT_INTERRUPTED)


def OutputClosed() -> Failure:
    return Failure("", EXIT_BROKEN_PIPE)  # the summary line already says so


def describe_failure(exc: QontoError, what: str | None = None) -> Failure:
    if isinstance(exc, AuthenticationError):
        return Failure(
            f"authentication failed ({exc.status} {exc.code or 'unauthorized'}): check "
            "QONTO_LOGIN / QONTO_SECRET_KEY or QONTO_ACCESS_TOKEN",
            EXIT_AUTH,
        )
    if isinstance(exc, PermissionDeniedError):
        return Failure(f"permission denied: {exc}", EXIT_AUTH)
    if isinstance(exc, NotFoundError):
        subject = f"{what} {exc.resource_id!r}" if what and exc.resource_id else "resource"
        trace = f" (trace_id {exc.trace_id})" if exc.trace_id else ""
        return Failure(f"{subject} not found{trace}: {where_not_found(exc)}", EXIT_NOT_FOUND)
    if isinstance(exc, APIConnectionError):
        return Failure(f"network failure: {exc}", EXIT_NETWORK)
    return Failure(str(exc))


def where_not_found(exc: NotFoundError) -> str:
    """Which URL answered 404, and a hint when it is not an API path: a ``--base-url``
    with a path (``http://host/api``) makes every id look unknown."""
    url = exc.url if len(exc.url) <= URL_SHOWN else f"{exc.url[:URL_SHOWN]}..."
    text = f"{exc.method} {url} answered 404"
    if not urllib.parse.urlsplit(exc.url).path.startswith("/v2/"):
        text += "; is --base-url (or QONTO_BASE_URL) right? It is the origin, before /v2"
    return text


def describe_ledger_error(exc: LedgerError) -> Failure:
    """A ledger that cannot be used: a database that is not one is a bad ``--db`` (usage),
    a ledger another sync holds is temporary, anything else (damaged, too new) an error."""
    if isinstance(exc, NotALedgerError):
        return Failure(str(exc), EXIT_USAGE)
    if isinstance(exc, LedgerBusyError):
        return Failure(f"{exc}: try again later, or pass --wait SECONDS", EXIT_BUSY)
    return Failure(str(exc))


def run_async(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run`` with SIGTERM treated like Ctrl-C (both cancel the running command)."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            assert task is not None
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        return await coro_factory()

    return asyncio.run(main())
