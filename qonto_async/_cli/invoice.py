"""``qonto-async invoice {create,finalize,send,mark-paid}``: the client-invoice lifecycle
for scripts. Each prints the invoice Qonto answered as JSON (``send``, whose answer is
empty: the invoice read back after it); pass ``--idempotency-key`` to make a re-run of the
same command a no-op."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import click
import msgspec

from .. import Amount, InvoiceItem, QontoClient, QontoError
from ..testing import FakeQonto
from .connection import Connection, connection_options, open_target
from .failures import Interrupted, UsageFailure, describe_failure, run_async

__all__ = ["invoice"]

Action = Callable[[QontoClient, FakeQonto | None], Awaitable[Any]]


def _item(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[InvoiceItem]:
    items = []
    for value in values:
        parts = value.split("|")
        if len(parts) != 4:
            raise click.BadParameter(f"{value!r}: expected 'title|quantity|unit price|vat rate'")
        title, quantity, price, rate = (part.strip() for part in parts)
        try:
            items.append(
                InvoiceItem(
                    title=title,
                    quantity=Decimal(quantity),
                    unit_price=Amount(value=Decimal(price), currency="EUR"),
                    vat_rate=Decimal(rate),
                )
            )
        except InvalidOperation:
            raise click.BadParameter(f"{value!r}: quantity, price and rate are numbers") from None
    return items


def _run(conn: Connection, action: Action) -> None:
    async def work() -> Any:
        async with open_target(conn) as (client, fake):
            try:
                return await action(client, fake)
            except (TypeError, ValueError) as exc:
                raise UsageFailure(str(exc)) from None

    try:
        result = run_async(work)
    except QontoError as exc:
        raise describe_failure(exc, "client invoice") from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted("interrupted") from None
    if result is not None:
        click.echo(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())


key_option = click.option(
    "--idempotency-key", help="Names this write: the same key again does not write twice."
)


@click.group()
def invoice() -> None:
    """Create, finalize, send and mark client invoices as paid.

    Each command prints the invoice as JSON on stdout.

    --fake starts a new fake Qonto for each command and drops it when the command ends, so
    an invoice made by `invoice create --fake` is unknown to the next command. To chain
    commands against a fake, serve one that lasts (`python -m qonto_async.testing --port
    8080`, which prints the variables to export) and leave --fake out.
    """


@invoice.command()
@click.option("--client-id", help="The client billed (with --fake: its first client).")
@click.option("--issue-date", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--due-date", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--iban", envvar="QONTO_IBAN", help="Account paid into (env QONTO_IBAN).")
@click.option(
    "--item",
    "items",
    multiple=True,
    required=True,
    callback=_item,
    help="A line, 'title|quantity|unit price|vat rate' (rate as a fraction: 0.2). Repeatable.",
)
@click.option("--number", help="The invoice number, where the organisation numbers by hand.")
@click.option("--finalize", is_flag=True, help="Issue it at once (status unpaid).")
@key_option
@connection_options
def create(
    conn: Connection,
    client_id: str | None,
    issue_date: dt.datetime,
    due_date: dt.datetime,
    iban: str | None,
    items: list[InvoiceItem],
    number: str | None,
    finalize: bool,
    idempotency_key: str | None,
) -> None:
    """Create a draft client invoice (or an issued one, with --finalize)."""

    async def action(client: QontoClient, fake: FakeQonto | None) -> Any:
        billed = client_id or (fake.ids("clients")[0] if fake else None)
        account = iban or (fake.iban if fake else None)
        if not billed or not account:
            raise UsageFailure("--client-id and --iban (or QONTO_IBAN) are required")
        extra: dict[str, Any] = {"number": number} if number else {}
        if finalize:
            extra["status"] = "unpaid"
        return await client.client_invoices.create(
            client_id=billed,
            issue_date=issue_date.date(),
            due_date=due_date.date(),
            currency="EUR",
            payment_methods={"iban": account},
            items=items,
            idempotency_key=idempotency_key,
            **extra,
        )

    _run(conn, action)


@invoice.command()
@click.argument("invoice_id", metavar="ID")
@key_option
@connection_options
def finalize(conn: Connection, invoice_id: str, idempotency_key: str | None) -> None:
    """Issue a draft: it gets its number and becomes unpaid."""
    _run(
        conn,
        lambda client, _: client.client_invoices.finalize(
            invoice_id, idempotency_key=idempotency_key
        ),
    )


@invoice.command()
@click.argument("invoice_id", metavar="ID")
@click.option("--to", "send_to", multiple=True, required=True, help="Recipient. Repeatable.")
@click.option("--title", required=True, help="The email's subject.")
@click.option("--body", help="The email's text.")
@click.option("--copy-to-self/--no-copy-to-self", default=True, show_default=True)
@key_option
@connection_options
def send(
    conn: Connection,
    invoice_id: str,
    send_to: tuple[str, ...],
    title: str,
    body: str | None,
    copy_to_self: bool,
    idempotency_key: str | None,
) -> None:
    """Email an issued invoice; prints the invoice as it stands after."""

    async def action(client: QontoClient, fake: FakeQonto | None) -> Any:
        await client.client_invoices.send(
            invoice_id,
            send_to=list(send_to),
            email_title=title,
            email_body=body,
            copy_to_self=copy_to_self,
            idempotency_key=idempotency_key,
        )
        click.echo(f"sent {invoice_id} to {', '.join(send_to)}", err=True)
        # Qonto answers a send with no body: the invoice printed is read back after it.
        return await client.client_invoices.get(invoice_id)

    _run(conn, action)


@invoice.command("mark-paid")
@click.argument("invoice_id", metavar="ID")
@click.option("--paid-at", type=click.DateTime(["%Y-%m-%d"]), help="The day (default today).")
@key_option
@connection_options
def mark_paid(
    conn: Connection, invoice_id: str, paid_at: dt.datetime | None, idempotency_key: str | None
) -> None:
    """Record that an issued invoice was paid."""
    day = paid_at.date() if paid_at else None
    _run(
        conn,
        lambda client, _: client.client_invoices.mark_as_paid(
            invoice_id, paid_at=day, idempotency_key=idempotency_key
        ),
    )
