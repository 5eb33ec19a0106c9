"""Which table a webhook event's record belongs to, and the event as the ledger records it:
the delivery's own bytes when the event was decoded from one (``event_body``), the record
as Qonto sent it inside them."""

from __future__ import annotations

import msgspec

from ..webhooks import UnknownEvent, WebhookEvent, event_body
from ._rows import EventRow

__all__ = ["TOPICS", "event_row"]

_encode = msgspec.json.Encoder(decimal_format="string").encode

# a typed event's topic -> the table its record goes to
TOPICS = {
    "v1/clients": "clients",
    "v1/client-invoices": "client_invoices",
    "v1/transactions": "transactions",
}


class _Data(msgspec.Struct):
    data: msgspec.Raw = msgspec.Raw(b"null")


_DATA = msgspec.json.Decoder(_Data)


def event_row(event: WebhookEvent) -> EventRow:
    body = event_body(event)
    raw = body.decode("utf-8", "replace") if body is not None else _encode(event).decode()
    if isinstance(event, UnknownEvent):
        return EventRow(event.id, event.type, None, None, event.created_at, False, raw, None)
    data = event.data
    topic = getattr(type(event), "topic", None)
    resource = TOPICS.get(topic) if isinstance(topic, str) else None
    if getattr(data, "id", None) is None:
        resource = None  # no record to keep
    record_raw = bytes(_DATA.decode(body).data).decode() if body is not None else None
    deleted = event.action == "deleted"
    return EventRow(
        event.id, event.type, resource, data, event.created_at, deleted, raw, record_raw
    )
