"""A delivery refused although correctly signed (its event does not decode: an amount that
is no number, a field missing, malformed JSON), kept in ``ledger_events`` with the outcome
``refused`` so that it can be inspected and replayed: Qonto does not deliver a 4xx again.

Such a row's id is ``refused:`` and the body's SHA-256 (the event id it names, if any, is in
``raw``): the event's own id stays free, so the same event delivered later in a form that
decodes is applied, not taken for a duplicate; the same body refused twice is kept once.
``raw`` is ``{"refused": why, "event_id": ..., "body": the body as text}``, or
``"body_base64"`` for a body that is not UTF-8 text PostgreSQL's ``jsonb`` can hold.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import msgspec

from ..webhooks import claimed_event
from ._rows import _converter
from ._store import Store, now_utc

__all__ = ["record_refused"]

_encode = msgspec.json.Encoder().encode


def record_refused(store: Store, body: bytes, reason: str) -> str:
    """Keep ``body`` (refused for ``reason``) in ``ledger_events``; its row's id."""
    event_id, kind = claimed_event(body)
    row_id = f"refused:{hashlib.sha256(body).hexdigest()}"
    raw: dict[str, Any] = {"refused": reason, "event_id": event_id}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:  # jsonb holds no NUL character
        raw["body_base64"] = base64.b64encode(body).decode()
    else:
        raw["body"] = text
    convert = _converter(store.postgres)
    with store.transaction():
        store.execute(
            "INSERT INTO ledger_events (id, type, resource, record_id, occurred_at, "
            "received_at, outcome, raw) VALUES (?, ?, NULL, NULL, NULL, ?, 'refused', ?) "
            "ON CONFLICT (id) DO NOTHING",
            (row_id, kind, convert(now_utc()), _encode(raw).decode()),
        )
    return row_id
