"""``X-Qonto-Signature: t=<unix seconds>,v1=<hex>``: HMAC-SHA256, keyed with the
subscription's secret, over ``"<t>.<raw body>"``.

Parsed as Qonto advises (split on ``,`` then on ``=``); several ``v1=`` values are accepted
(a secret being rotated), and so are several secrets. The body is never parsed here: nothing
of it is read before its signature holds.

Secrets, and the HMACs they give, are :class:`~.._http.auth.Redacted` strings from the moment
they are taken in, so the frame locals of a refused delivery's traceback (``pytest -l``,
Sentry, rich's ``show_locals``) show ``'<redacted>'``: a forger who reads them would otherwise
learn the signature their body needed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

from .._http.auth import Redacted
from ._errors import SignatureHeaderError, SignatureMismatchError, TimestampToleranceError

__all__ = [
    "DEFAULT_TOLERANCE",
    "check_secrets",
    "check_signature",
    "parse_header",
    "redact_secrets",
    "sign",
]

DEFAULT_TOLERANCE = 300
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_SECONDS = re.compile(r"\d{1,12}")


def redact_secrets(secret: str | Sequence[str]) -> tuple[str, ...]:
    """``secret`` (or several, while one is rotated) as :class:`Redacted` strings. Refuses
    nothing itself, so a caller can drop its own reference before :func:`check_secrets`
    raises: anything not a string becomes ``""``, which it refuses."""
    given = (secret,) if isinstance(secret, str) else tuple(secret)
    return tuple(Redacted(s if isinstance(s, str) else "") for s in given)


def check_secrets(secrets: Sequence[str]) -> None:
    if not secrets or not all(secrets):
        raise ValueError("a webhook secret is a non-empty string")


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The header Qonto would send for ``body`` signed at ``timestamp``."""
    secret = Redacted(secret)
    return f"t={timestamp},v1={_digest(body, secret, timestamp)}"


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return Redacted(digest.hexdigest())


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """``(t, [v1, ...])`` of a signature header."""
    if not header or not header.strip():
        raise SignatureHeaderError("no X-Qonto-Signature header")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureHeaderError("X-Qonto-Signature is not a list of key=value pairs")
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1":
            signatures.append(value.strip())
        # other schemes (a future v2) are ignored, as Qonto may add them
    if len(timestamps) != 1 or not _SECONDS.fullmatch(timestamps[0]):
        raise SignatureHeaderError("X-Qonto-Signature needs exactly one t=<unix seconds>")
    if not signatures:
        raise SignatureHeaderError("X-Qonto-Signature has no v1= signature")
    if not all(_HEX.fullmatch(s) for s in signatures):
        raise SignatureHeaderError("a v1= signature is not 64 hexadecimal digits")
    return int(timestamps[0]), [s.lower() for s in signatures]


def check_signature(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Raise unless ``header`` signs ``body`` under one of ``secrets`` within ``tolerance``
    seconds of ``now``; the signing time otherwise. Every comparison is constant-time."""
    secrets = redact_secrets(secrets)  # this frame's locals then show no secret
    check_secrets(secrets)
    timestamp, signatures = parse_header(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        gap = abs(current - timestamp)
        when = f"{gap:.0f}s ago" if timestamp < current else f"{gap:.0f}s in the future"
        raise TimestampToleranceError(
            f"the delivery was signed {when}; the tolerance is {tolerance:g}s",
            timestamp=timestamp,
            now=current,
            tolerance=tolerance,
        )
    matched = False
    for secret in secrets:
        expected = _digest(body, secret, timestamp)
        for candidate in signatures:
            # No early exit: every pair is compared, whatever matches.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureMismatchError(
            "no v1= signature matches the body: it was altered, or the secret is not the "
            "subscription's"
        )
    return timestamp
