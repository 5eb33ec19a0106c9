"""Webhook events, typed: a msgspec tagged union on ``type``.

Known types decode ``data`` into the SDK's models (``v1/clients/...`` into
:class:`~qonto_async.Client`, ``v1/client-invoices/...`` into
:class:`~qonto_async.ClientInvoice`, ``v1/transactions/...`` into
:class:`~qonto_async.Transaction`); any other type (Qonto adds topics) is an
:class:`UnknownEvent` with ``data`` as plain JSON values, never a failure.

Qonto's pages show the topic alone in ``type`` (``v1/clients``) with the action in
``data.event``; the issue that introduced webhooks names them ``v1/clients/created``. Both
spellings decode to the same classes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import msgspec

from ..models._dates import Timestamp
from ..models._lenient import lenient_decoder
from ..models.client import Client
from ..models.client_invoice import ClientInvoice
from ..models.common import QontoModel, model_decoder
from ..models.transaction import Transaction
from ._errors import WebhookPayloadError

__all__ = [
    "EVENT_TYPES",
    "ClientCreated",
    "ClientDeleted",
    "ClientInvoiceCreated",
    "ClientInvoiceUpdated",
    "ClientUpdated",
    "TransactionCreated",
    "TransactionUpdated",
    "UnknownEvent",
    "WebhookEvent",
    "decode_event",
    "event_body",
]

# the delivery body each event decoded here came from, by id(event), dropped with the event
_BODIES: dict[int, bytes] = {}


def event_body(event: WebhookEvent) -> bytes | None:
    """The body of the delivery ``event`` was decoded from (by :func:`verify`, the receiver or
    :func:`decode_event`, in this process), exactly as Qonto sent it; None for an event built
    another way. Keep it to store the event whole: the typed event holds only the fields the
    SDK models."""
    return _BODIES.get(id(event))


class _Event(QontoModel, frozen=True, kw_only=True, tag_field="type", gc=True, weakref=True):
    id: str
    created_at: Timestamp | None = None
    organization_id: str | None = None
    subscription_id: str | None = None
    membership_id: str | None = None

    topic: ClassVar[str]

    @property
    def type(self) -> str:
        return str(self.__struct_config__.tag)

    @property
    def action(self) -> str:
        """``created``, ``updated`` or ``deleted``."""
        return self.type.rsplit("/", 1)[-1]


class ClientCreated(_Event, frozen=True, kw_only=True, tag="v1/clients/created"):
    data: Client
    topic = "v1/clients"


class ClientUpdated(_Event, frozen=True, kw_only=True, tag="v1/clients/updated"):
    data: Client
    topic = "v1/clients"


class ClientDeleted(_Event, frozen=True, kw_only=True, tag="v1/clients/deleted"):
    """``data`` is the client as it was; it no longer exists (a GET answers 404)."""

    data: Client
    topic = "v1/clients"


class ClientInvoiceCreated(_Event, frozen=True, kw_only=True, tag="v1/client-invoices/created"):
    data: ClientInvoice
    topic = "v1/client-invoices"


class ClientInvoiceUpdated(_Event, frozen=True, kw_only=True, tag="v1/client-invoices/updated"):
    data: ClientInvoice
    topic = "v1/client-invoices"


class TransactionCreated(_Event, frozen=True, kw_only=True, tag="v1/transactions/created"):
    """A new transaction (a card authorisation, an incoming transfer...). The webhook's
    ``data`` is not quite the REST transaction (no ``*_cents``, ``subject_type``
    capitalised): :class:`~qonto_async.Transaction` fills what it leaves out. Qonto's docs
    advise re-reading it with ``transactions.get(event.data.id)`` when in doubt."""

    data: Transaction
    topic = "v1/transactions"


class TransactionUpdated(_Event, frozen=True, kw_only=True, tag="v1/transactions/updated"):
    """A transaction changed: it settled or was declined, gained an attachment, a label, a
    note... (Qonto's page names this event; its examples show only ``created``)."""

    data: Transaction
    topic = "v1/transactions"


class UnknownEvent(QontoModel, frozen=True, kw_only=True, gc=True, weakref=True):
    """An event of a type this SDK does not model yet; ``data`` as plain JSON values."""

    id: str
    type: str
    created_at: Timestamp | None = None
    organization_id: str | None = None
    subscription_id: str | None = None
    membership_id: str | None = None
    data: Any = None

    @property
    def action(self) -> str | None:
        event = self.data.get("event") if isinstance(self.data, dict) else None
        return event if isinstance(event, str) else None


KnownEvent = (
    ClientCreated
    | ClientUpdated
    | ClientDeleted
    | ClientInvoiceCreated
    | ClientInvoiceUpdated
    | TransactionCreated
    | TransactionUpdated
)
WebhookEvent = KnownEvent | UnknownEvent
KNOWN: dict[str, type[KnownEvent]] = {
    str(cls.__struct_config__.tag): cls
    for cls in (
        ClientCreated,
        ClientUpdated,
        ClientDeleted,
        ClientInvoiceCreated,
        ClientInvoiceUpdated,
        TransactionCreated,
        TransactionUpdated,
    )
}
EVENT_TYPES = tuple(KNOWN)
"""The event types decoded into typed classes."""


class _Envelope(msgspec.Struct, frozen=True):
    id: str
    type: str
    data: msgspec.Raw = msgspec.Raw(b"null")
    created_at: str | None = None
    organization_id: str | None = None
    subscription_id: str | None = None
    membership_id: str | None = None


class _Action(msgspec.Struct, frozen=True):
    event: str | None = None


_KNOWN: msgspec.json.Decoder[Any] = model_decoder(KnownEvent)  # type: ignore[arg-type]
# Transactions, like their REST answers, are read in lax mode and with the decimal comma
# (embedded attachments' file_size and vat_details' cents come as strings; see models._lenient).
_TRANSACTION_EVENT: Callable[[bytes], Any] = lenient_decoder(
    TransactionCreated | TransactionUpdated  # type: ignore[arg-type]
)
_LENIENT = frozenset(str(c.__struct_config__.tag) for c in (TransactionCreated, TransactionUpdated))
_ENVELOPE = msgspec.json.Decoder(_Envelope)
_ACTION = msgspec.json.Decoder(_Action)
_UNKNOWN = model_decoder(UnknownEvent)
_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])


def decode_event(body: bytes) -> WebhookEvent:
    """The event in a (verified) delivery body; :class:`WebhookPayloadError` if it is none,
    nesting too deep for the decoder included (msgspec raises ``RecursionError`` there)."""
    try:
        event = _decode_event(body)
    except RecursionError:
        raise WebhookPayloadError("the body is nested too deeply to be a webhook event") from None
    key = id(event)
    _BODIES[key] = bytes(body)
    weakref.finalize(event, _BODIES.pop, key, None)
    return event


def _decode_event(body: bytes) -> WebhookEvent:
    try:
        event: WebhookEvent = _KNOWN.decode(body)
        return event
    except msgspec.DecodeError:
        pass
    try:
        envelope = _ENVELOPE.decode(body)
        raw = bytes(envelope.data)
        action = _ACTION.decode(raw).event if raw.lstrip()[:1] == b"{" else None
        kind = envelope.type
        if action and kind not in KNOWN:
            kind = f"{kind}/{action}"
        if kind in KNOWN:
            spelled = body if kind == envelope.type else _respelled(body, kind)
            event = _TRANSACTION_EVENT(spelled) if kind in _LENIENT else _KNOWN.decode(spelled)
        else:
            event = _UNKNOWN.decode(body)
    except msgspec.DecodeError as exc:
        raise WebhookPayloadError(f"the body is not a webhook event: {exc}") from None
    return event


def _respelled(body: bytes, kind: str) -> bytes:
    """``body`` with ``type`` set to ``kind``, every other member as sent (byte for byte: money
    is never re-read through a float)."""
    fields = _FIELDS.decode(body)
    fields["type"] = msgspec.Raw(msgspec.json.encode(kind))
    return msgspec.json.encode(fields)
