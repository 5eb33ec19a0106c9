"""``qonto-async get <kind> <id>``: one record as JSON."""

from __future__ import annotations

import asyncio

import click
import msgspec

from .. import QontoError
from .connection import Connection, connection_options, open_client
from .failures import Interrupted, UsageFailure, describe_failure, run_async

__all__ = ["GET_KINDS", "get"]

GET_KINDS = {
    "client": ("clients", "client"),
    "client-invoice": ("client_invoices", "client invoice"),
    "supplier-invoice": ("supplier_invoices", "supplier invoice"),
    "upload": ("client_invoice_uploads", "upload"),
    "attachment": ("attachments", "attachment"),
    "transaction": ("transactions", "transaction"),
    "bank-account": ("bank_accounts", "bank account"),
    "label": ("labels", "label"),
}


@click.command()
@click.argument("kind", type=click.Choice(list(GET_KINDS)))
@click.argument("record_id", metavar="ID")
@connection_options
def get(conn: Connection, kind: str, record_id: str) -> None:
    """Print one client, client invoice, supplier invoice, upload, attachment, transaction,
    bank account or label as JSON."""
    attribute, what = GET_KINDS[kind]

    async def work() -> msgspec.Struct:
        async with open_client(conn) as client:
            try:
                return await getattr(client, attribute).get(record_id)  # type: ignore[no-any-return]
            except ValueError as exc:
                raise UsageFailure(str(exc)) from None

    try:
        model = run_async(work)
    except QontoError as exc:
        raise describe_failure(exc, what) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted("interrupted") from None
    click.echo(msgspec.json.format(msgspec.json.encode(model), indent=2).decode())
