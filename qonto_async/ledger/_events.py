"""Which table a webhook event's record belongs to, and the event as the ledger records it:
the delivery's own bytes when the event was decoded from one (``event_body``), the record
as Qonto sent it inside them.

An event whose record has no usable id (none, or ``""``) is recorded and ``ignored``, with a
warning: there is no row to keep it in. An event built in Python that cannot be written as
UTF-8 (a lone surrogate in a string) is a :class:`LedgerError` naming it."""

from __future__ import annotations

import logging

import msgspec

from ..webhooks import UnknownEvent, WebhookEvent, event_body
from ._errors import LedgerError
from ._rows import EventRow

__all__ = ["TOPICS", "event_row", "no_record", "warn_no_record"]

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


logger = logging.getLogger("qonto_async.ledger")


def no_record(event: WebhookEvent) -> bool:
    """Whether ``event`` is of a type the ledger keeps but its record has no usable id."""
    topic = getattr(type(event), "topic", None)
    return topic in TOPICS and not getattr(event.data, "id", None)


def warn_no_record(event: WebhookEvent) -> None:
    logger.warning(
        "webhook event %r (%s) has a record without an id: recorded, ignored",
        event.id,
        event.type,
    )


def event_row(event: WebhookEvent) -> EventRow:
    body = event_body(event)
    try:
        raw = body.decode("utf-8", "replace") if body is not None else _encode(event).decode()
    except UnicodeEncodeError as exc:  # a str with a lone surrogate, in an event built here
        raise LedgerError(
            f"webhook event {event.id!r} ({event.type}) cannot be stored: a string in it is "
            f"not valid Unicode ({exc.reason} at position {exc.start})"
        ) from None
    if isinstance(event, UnknownEvent):
        return EventRow(event.id, event.type, None, None, event.created_at, False, raw, None)
    data = event.data
    topic = getattr(type(event), "topic", None)
    resource = TOPICS.get(topic) if isinstance(topic, str) else None
    if no_record(event):
        resource = None  # no record to keep
    record_raw = bytes(_DATA.decode(body).data).decode() if body is not None else None
    deleted = event.action == "deleted"
    return EventRow(
        event.id, event.type, resource, data, event.created_at, deleted, raw, record_raw
    )
