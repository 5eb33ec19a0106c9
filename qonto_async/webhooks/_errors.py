"""Why a webhook delivery was refused. Every one is a :class:`~qonto_async.QontoError`::

    WebhookError
    ├── WebhookVerificationError
    │   ├── SignatureHeaderError      X-Qonto-Signature missing or malformed
    │   ├── TimestampToleranceError   its t= is older (or further ahead) than the tolerance
    │   ├── SignatureMismatchError    no v1= matches the body under any of the secrets
    │   └── WebhookPayloadError       signed, but not a webhook event (answered 400)
    └── SeenEventsUnavailableError    the shared seen-events store failed (answered 503)

Messages never carry a secret or a signature.
"""

from __future__ import annotations

from ..errors import QontoError

__all__ = [
    "SeenEventsUnavailableError",
    "SignatureHeaderError",
    "SignatureMismatchError",
    "TimestampToleranceError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookVerificationError",
]


class WebhookError(QontoError):
    """Anything that kept a webhook delivery from being taken."""


class WebhookVerificationError(WebhookError):
    """A delivery that must not be trusted (or, for :class:`WebhookPayloadError`, used)."""


class SignatureHeaderError(WebhookVerificationError):
    """The ``X-Qonto-Signature`` header is missing, or not ``t=<unix seconds>,v1=<hex>``."""


class TimestampToleranceError(WebhookVerificationError):
    """The delivery was signed at ``timestamp``, more than ``tolerance`` seconds from ``now``
    (a replay, or a clock far off)."""

    def __init__(self, message: str, *, timestamp: int, now: float, tolerance: float) -> None:
        super().__init__(message)
        self.timestamp = timestamp
        self.now = now
        self.tolerance = tolerance


class SignatureMismatchError(WebhookVerificationError):
    """No ``v1=`` signature matches: the body was altered, or the secret is not this
    subscription's."""


class WebhookPayloadError(WebhookVerificationError):
    """The body is signed correctly but is not a webhook event (``where`` says why)."""


class SeenEventsUnavailableError(WebhookError):
    """The ``seen`` store (such as ``RedisSeenEvents``) failed to claim or release an event id:
    Redis down, a timeout. The delivery is answered 503 with ``Retry-After``, so Qonto
    delivers it again; ``__cause__`` is the store's own exception."""
