"""The one idempotency-key rule of every write: the resources' methods and ``qonto.request``."""

from __future__ import annotations

import uuid
from collections.abc import Callable

__all__ = ["new_key", "random_key"]


def random_key() -> str:
    """A new key: a UUID4, as Qonto documents them."""
    return str(uuid.uuid4())


def new_key(given: str | None, make: Callable[[], str] = random_key) -> str:
    """The ``X-Qonto-Idempotency-Key`` of one write, the same on every attempt of it.

    ``None`` means the SDK makes one (``make``: a UUID4, or a key derived from the write's
    content where that is the rule). An empty or blank string is a ``ValueError``, raised
    before any request is sent: it names no write, and a key read from an unset setting
    (``os.environ.get("KEY", "")``) must not quietly become a random one.
    """
    if given is None:
        return make()
    if not isinstance(given, str) or not given.strip():
        raise ValueError(f"idempotency_key must be a non-empty string or None, not {given!r}")
    return given
