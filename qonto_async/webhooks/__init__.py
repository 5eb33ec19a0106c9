"""Qonto webhooks: verify deliveries, decode typed events, and receive them in a web app.

``verify(body, signature_header, secret)`` checks ``X-Qonto-Signature`` (HMAC-SHA256 of
``"<t>.<body>"``, constant-time, several ``v1=`` and several secrets accepted, a 5-minute
tolerance) before reading a byte of the body, and returns the event. :class:`WebhookReceiver`
adds what a receiving endpoint needs (deduplication, an answer within Qonto's second, the
handler run after it, back-pressure); :func:`aiohttp_handler` and :func:`asgi_app` put it
behind aiohttp or any ASGI framework. See the README's "Receiving webhooks".
"""

from __future__ import annotations

from collections.abc import Sequence

from ._errors import (
    SeenEventsUnavailableError,
    SignatureHeaderError,
    SignatureMismatchError,
    TimestampToleranceError,
    WebhookError,
    WebhookPayloadError,
    WebhookVerificationError,
)
from ._events import (
    EVENT_TYPES,
    ClientCreated,
    ClientDeleted,
    ClientInvoiceCreated,
    ClientInvoiceUpdated,
    ClientUpdated,
    TransactionCreated,
    TransactionUpdated,
    UnknownEvent,
    WebhookEvent,
    decode_event,
    event_body,
)
from ._receiver import (
    Acknowledge,
    ReceiverStats,
    Reply,
    WebhookReceiver,
    claimed_event,
    describe_delivery,
)
from ._servers import SIGNATURE_HEADER, aiohttp_handler, asgi_app
from ._signature import DEFAULT_TOLERANCE, check_signature, redact_secrets, sign

__all__ = [
    "DEFAULT_TOLERANCE",
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "Acknowledge",
    "ClientCreated",
    "ClientDeleted",
    "ClientInvoiceCreated",
    "ClientInvoiceUpdated",
    "ClientUpdated",
    "ReceiverStats",
    "Reply",
    "SeenEventsUnavailableError",
    "SignatureHeaderError",
    "SignatureMismatchError",
    "TimestampToleranceError",
    "TransactionCreated",
    "TransactionUpdated",
    "UnknownEvent",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookReceiver",
    "WebhookVerificationError",
    "aiohttp_handler",
    "asgi_app",
    "claimed_event",
    "decode_event",
    "describe_delivery",
    "event_body",
    "sign",
    "verify",
]


def verify(
    body: bytes,
    signature_header: str | None,
    secret: str | Sequence[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """The event in a delivery, once its signature holds.

    ``body`` is the raw request body (never re-serialized JSON), ``signature_header`` the
    ``X-Qonto-Signature`` value, ``secret`` the subscription's secret (or several, while one
    is rotated), ``now`` Unix seconds (default: the current time). Raises a
    :class:`WebhookVerificationError` subclass: :class:`SignatureHeaderError`,
    :class:`TimestampToleranceError`, :class:`SignatureMismatchError`, or
    :class:`WebhookPayloadError` for a signed body that is not an event.
    """
    secrets = redact_secrets(secret)
    del secret  # the caller's plain string: not a local of a frame in a refusal's traceback
    check_signature(body, signature_header, secrets, tolerance=tolerance, now=now)
    return decode_event(body)
