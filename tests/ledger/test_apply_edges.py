"""``Ledger.apply`` on events a hostile review of issue 23 sent: a record dated far in the
future holds its row no longer than the cap sync rows have (``FUTURE_MARGIN``); a record
whose id is ``""`` is recorded and ignored, with a warning, as one without an id; an event
built in Python that cannot be written as UTF-8 is a ``LedgerError`` naming it."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from servers import fresh_database

from qonto_async.ledger import Ledger, LedgerError
from qonto_async.webhooks import TransactionCreated, WebhookEvent, decode_event

BASE: dict[str, Any] = {
    "id": "evt-1", "subscription_id": "sub-1", "organization_id": "org-1",
    "type": "v1/transactions", "created_at": "2026-03-01T10:55:00Z",
    "data": {
        "event": "created", "id": "tx-1", "transaction_id": "ref-1", "amount": "50.01",
        "currency": "EUR", "local_amount": 50.01, "local_currency": "EUR", "side": "debit",
        "operation_type": "transfer", "status": "pending", "label": "ACME",
        "settled_at": None, "emitted_at": "2026-03-01T10:54:00Z",
        "updated_at": "2026-03-01T10:55:00Z", "attachment_ids": [], "subject_type": "Transfer",
        "bank_account": {"id": "acc-9", "iban": "FR76"},
    },
}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    yield from fresh_database(request.getfixturevalue("postgres_url"))


def event(event_id: str, **data: Any) -> WebhookEvent:
    body = copy.deepcopy(BASE)
    body["id"] = event_id
    body["data"].update(data)
    return decode_event(msgspec.json.encode(body))


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_record_dated_far_ahead_holds_its_row_no_longer_than_the_cap(db: str) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)  # past the 5-minute cap
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(event("e-1", updated_at="2099-01-01T00:00:00Z")) == "applied"
        later = event("e-2", updated_at=stamp(soon), status="completed")
        assert await ledger.apply(later) == "applied"  # not "stale" against 2099
        row = await ledger.row("transactions", "tx-1")
        assert row is not None
        assert row["status"] == "completed"


async def test_a_record_whose_id_is_empty_is_recorded_and_ignored(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Ledger.open(db) as ledger:
        with caplog.at_level(logging.WARNING, logger="qonto_async.ledger"):
            assert await ledger.apply(event("e-empty", id="")) == "ignored"
        assert await ledger.count("transactions") == 0
        assert await ledger.row("transactions", "") is None
        assert await ledger.apply(event("e-empty", id="")) == "duplicate"  # it was recorded
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "e-empty" in warnings[0]
    assert "without an id" in warnings[0]


async def test_an_event_that_is_not_valid_unicode_is_a_ledger_error(db: str) -> None:
    delivered = event("e-ok")
    assert isinstance(delivered, TransactionCreated)
    lone = msgspec.structs.replace(delivered.data, label="\ud800")
    built = TransactionCreated(id="e-surrogate", data=lone)
    async with Ledger.open(db) as ledger:
        with pytest.raises(LedgerError, match="e-surrogate") as raised:
            await ledger.apply(built)
        assert "not valid Unicode" in str(raised.value)
        assert await ledger.apply(delivered) == "applied"  # the ledger goes on
