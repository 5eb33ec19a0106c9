"""The filter options of ``export``, checked before any request is sent.

A status Qonto does not know, or a date Qonto would refuse, is a usage error (exit 2) that
lists what is accepted: ``--status payed`` must not export zero records and succeed. So is a
range no record can be in (``--created-at-from`` after ``--created-at-to``).

Transactions: ``--status`` defaults to all three (pending, declined, completed; Qonto's own
default hides the first two), ``--account`` takes an account's id or its IBAN, and the dates
are the period (``--settled-at-*``), the change window (``--updated-at-*``) or when the
operation happened (``--emitted-at-*``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from ..models import (
    CLIENT_INVOICE_STATUSES,
    SUPPLIER_INVOICE_STATUSES,
    TRANSACTION_SIDES,
    TRANSACTION_STATUSES,
)

__all__ = ["STATUSES", "check_ranges", "filter_options", "filters"]

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]

STATUSES: dict[str, Sequence[str]] = {
    "client_invoices": CLIENT_INVOICE_STATUSES,
    "supplier_invoices": SUPPLIER_INVOICE_STATUSES,
    "transactions": TRANSACTION_STATUSES,
}
# an IBAN, spaces removed: country, check digits, up to 30 letters and digits (an account id
# is a UUID, with dashes: the two never meet)
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A date (``2025-01-31``) or a timestamp with an offset (``2025-01-31T12:00:00Z``)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if "T" not in text and " " not in text:
            dt.date.fromisoformat(text)
            return text
        if dt.datetime.fromisoformat(text).tzinfo is not None:
            return text
    except ValueError:
        pass
    raise click.BadParameter(
        f"{value!r} is neither a date (YYYY-MM-DD) nor a timestamp with an offset "
        "(e.g. 2025-01-31T12:00:00Z or 2025-01-31T12:00:00+01:00)"
    )


def _status_checker(
    allowed: Sequence[str],
) -> Callable[[click.Context, click.Parameter, tuple[str, ...]], tuple[str, ...]]:
    def check(
        ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
    ) -> tuple[str, ...]:
        statuses = [s.strip() for raw in value for s in raw.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in allowed]
        if unknown:
            raise click.BadParameter(
                f"unknown status {', '.join(map(repr, unknown))}: choose from {', '.join(allowed)}"
            )
        return tuple(statuses)

    return check


def filter_options(resource: str) -> list[Decorator[Any]]:
    def dates(*names: str) -> list[Decorator[Any]]:
        return [
            click.option(
                f"--{name.replace('_', '-')}",
                name,
                metavar="ISO8601",
                callback=_moment,
                help=f"{spelled(name)}: a date or a timestamp with an offset.",
            )
            for name in names
        ]

    def spelled(name: str) -> str:  # as the query string names it
        return name if resource == "transactions" else f"filter[{name}]"

    sort = click.option("--sort-by", help="e.g. created_at:desc")
    if resource == "transactions":
        return _transaction_options(dates)
    if resource == "clients":
        return [
            click.option("--tax-identification-number"),
            click.option("--vat-number"),
            click.option("--email"),
            click.option("--name", help="Partial match, 2 characters or more."),
            *dates("updated_at_from", "updated_at_to"),
            sort,
        ]
    allowed = STATUSES[resource]
    status = click.option(
        "--status",
        multiple=True,
        callback=_status_checker(allowed),
        help=f"Repeat or comma-separate; one of: {', '.join(allowed)}.",
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


def _transaction_options(dates: Callable[..., list[Decorator[Any]]]) -> list[Decorator[Any]]:
    allowed = STATUSES["transactions"]
    return [
        click.option(
            "--status",
            multiple=True,
            callback=_status_checker(allowed),
            help=f"Repeat or comma-separate; one of: {', '.join(allowed)} (default: all).",
        ),
        click.option(
            "--account",
            metavar="ID_OR_IBAN",
            help="One bank account, by id or IBAN (default: every account).",
        ),
        click.option(
            "--include-external-accounts",
            is_flag=True,
            default=None,
            help="Without --account: the connected external accounts' transactions too.",
        ),
        click.option("--side", type=click.Choice(list(TRANSACTION_SIDES))),
        click.option(
            "--operation-type",
            "operation_type",
            multiple=True,
            help="Repeat or comma-separate, e.g. card,transfer,income.",
        ),
        click.option(
            "--with-attachments",
            is_flag=True,
            default=None,
            help="Only those with one receipt or more.",
        ),
        *dates(
            "settled_at_from",
            "settled_at_to",
            "updated_at_from",
            "updated_at_to",
            "emitted_at_from",
            "emitted_at_to",
        ),
        click.option("--sort-by", help="e.g. settled_at:asc (updated_at, settled_at, emitted_at)"),
    ]


def filters(values: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments for ``list()``: options that were given, statuses as a list."""
    chosen = {key: value for key, value in values.items() if value not in (None, ())}
    if "status" in chosen:
        chosen["status"] = list(chosen["status"])
    if "operation_type" in chosen:
        kinds = [k.strip() for raw in chosen["operation_type"] for k in raw.split(",")]
        chosen["operation_type"] = [k for k in kinds if k]
    account = chosen.pop("account", None)
    if account is not None:
        compact = account.replace(" ", "").upper()
        if _IBAN.fullmatch(compact):
            chosen["iban"] = compact
        else:
            chosen["bank_account_id"] = account.strip()
    return chosen


# A date with no time zone, compared with a timestamp: where on Earth it could start or end.
_EARLIEST_ZONE = dt.timezone(dt.timedelta(hours=14))
_LATEST_ZONE = dt.timezone(dt.timedelta(hours=-12))


def _bound(text: str) -> dt.datetime | dt.date:
    if "T" in text or " " in text:
        return dt.datetime.fromisoformat(text)
    return dt.date.fromisoformat(text)


def _instant(value: dt.datetime | dt.date, *, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if end:  # the latest moment the day can mean, wherever the organisation is
        return dt.datetime.combine(value, dt.time.max, _LATEST_ZONE)
    return dt.datetime.combine(value, dt.time.min, _EARLIEST_ZONE)


def check_ranges(values: dict[str, Any]) -> None:
    """A usage error (exit 2) naming both values when a ``_from`` bound is after its
    ``_to`` (both included): such a range selects nothing, and must not look like an empty
    account. A date against a timestamp is refused only when no time zone reconciles them."""
    for field in ("created_at", "updated_at", "settled_at", "emitted_at"):
        low, high = values.get(f"{field}_from"), values.get(f"{field}_to")
        if low is None or high is None:
            continue
        start, stop = _bound(low), _bound(high)
        if type(start) is dt.date and type(stop) is dt.date:
            empty = start > stop
        else:
            empty = _instant(start, end=False) > _instant(stop, end=True)
        if empty:
            option = field.replace("_", "-")
            raise click.UsageError(
                f"--{option}-from {low} is after --{option}-to {high}: no record can match",
                click.get_current_context(silent=True),
            )
