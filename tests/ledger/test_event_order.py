"""Webhook events applied out of order (issue 22, defect 4): Qonto redelivers a failed event
later, after newer ones went through. A row never moves back in time, and an older event
never brings a deleted record back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import fresh_database

from qonto_async import Client, ClientInvoice
from qonto_async.ledger import Ledger
from qonto_async.webhooks import (
    ClientCreated,
    ClientDeleted,
    ClientInvoiceUpdated,
    ClientUpdated,
    UnknownEvent,
)

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def client(minutes: int, email: str) -> Client:
    return Client(
        id="c-1", name="Ordered SAS", email=email, updated_at=T0 + dt.timedelta(minutes=minutes)
    )


def updated(event: str, minutes: int, email: str) -> ClientUpdated:
    return ClientUpdated(
        id=event, created_at=T0 + dt.timedelta(minutes=minutes), data=client(minutes, email)
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    yield from fresh_database(request.getfixturevalue("postgres_url"))


async def test_an_older_update_after_a_newer_one_is_stale(db: str) -> None:
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(updated("e-2", 20, "new@example.com")) == "applied"
        assert await ledger.apply(updated("e-1", 10, "old@example.com")) == "stale"
        row = await ledger.row("clients", "c-1")
        assert row is not None
        assert row["email"] == "new@example.com"
        assert str(row["updated_at"]).startswith(("2026-03-01T09:20:00", "2026-03-01 09:20:00"))


async def test_an_older_update_after_the_deletion_does_not_bring_it_back(db: str) -> None:
    deleted = ClientDeleted(
        id="e-3", created_at=T0 + dt.timedelta(minutes=30), data=client(20, "x@example.com")
    )
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(updated("e-2", 20, "new@example.com")) == "applied"
        assert await ledger.apply(deleted) == "applied"
        assert await ledger.apply(updated("e-1", 10, "old@example.com")) == "stale"
        late_create = ClientCreated(id="e-0", created_at=T0, data=client(0, "first@example.com"))
        assert await ledger.apply(late_create) == "stale"
        assert await ledger.ids("clients") == set()
        assert await ledger.ids("clients", deleted=True) == {"c-1"}


async def test_a_deletion_arriving_first_keeps_later_stale_events_out(db: str) -> None:
    deleted = ClientDeleted(
        id="e-3", created_at=T0 + dt.timedelta(minutes=30), data=client(20, "x@example.com")
    )
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(deleted) == "applied"  # a row the ledger never had
        assert await ledger.apply(updated("e-2", 20, "new@example.com")) == "stale"
        assert await ledger.ids("clients", deleted=True) == {"c-1"}


async def test_invoice_events_are_ordered_by_when_they_happened(db: str) -> None:
    """Client invoices carry no updated_at: the event's created_at orders them."""

    def invoice_event(event: str, minutes: int, status: str) -> ClientInvoiceUpdated:
        data = ClientInvoice(id="i-1", status=status)
        return ClientInvoiceUpdated(
            id=event, created_at=T0 + dt.timedelta(minutes=minutes), data=data
        )

    async with Ledger.open(db) as ledger:
        assert await ledger.apply(invoice_event("e-2", 5, "paid")) == "applied"
        assert await ledger.apply(invoice_event("e-1", 1, "unpaid")) == "stale"
        row = await ledger.row("client_invoices", "i-1")
        assert row is not None
        assert row["status"] == "paid"


async def test_a_redelivered_event_is_applied_once(db: str) -> None:
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(updated("e-1", 10, "a@example.com")) == "applied"
        assert await ledger.apply(updated("e-1", 10, "a@example.com")) == "duplicate"
        other = UnknownEvent(id="e-9", type="v1/transactions", data={"id": "t-1"})
        assert await ledger.apply(other) == "ignored"
        assert await ledger.apply(other) == "duplicate"
