"""``verify()`` on a signed body nested deeper than the decoder goes: a typed error."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from qonto_async.webhooks import WebhookPayloadError, verify

SECRET = "s" * 40


def test_a_signed_deeply_nested_body_is_a_payload_error_not_a_recursion_error() -> None:
    body = b'{"id":"e","type":"v1/clients","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    t = 1_704_110_400
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookPayloadError, match="nested too deeply"):
        verify(body, f"t={t},v1={mac}", SECRET, now=t)
