"""Which table a webhook event's record belongs to, and the event as the ledger records it:
the delivery's own bytes when the event was decoded from one (``event_body``), the record
as Qonto sent it inside them."""

from __future__ import annotations

import msgspec

from .. import Client, ClientInvoice
from ..webhooks import ClientDeleted, UnknownEvent, WebhookEvent, event_body
from ._rows import EventRow

__all__ = ["event_row"]

_encode = msgspec.json.Encoder(decimal_format="string").encode


class _Data(msgspec.Struct):
    data: msgspec.Raw = msgspec.Raw(b"null")


_DATA = msgspec.json.Decoder(_Data)


def event_row(event: WebhookEvent) -> EventRow:
    body = event_body(event)
    raw = body.decode("utf-8", "replace") if body is not None else _encode(event).decode()
    if isinstance(event, UnknownEvent):
        return EventRow(event.id, event.type, None, None, event.created_at, False, raw, None)
    data = event.data
    resource = "clients" if isinstance(data, Client) else None
    if isinstance(data, ClientInvoice):
        resource = "client_invoices"
    record_raw = bytes(_DATA.decode(body).data).decode() if body is not None else None
    deleted = isinstance(event, ClientDeleted)
    return EventRow(
        event.id, event.type, resource, data, event.created_at, deleted, raw, record_raw
    )
