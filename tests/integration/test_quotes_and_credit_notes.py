"""Quotes and credit notes against FakeQonto: listing with the same guarantees as invoices,
get, and quote creation."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from qonto_async import (
    Amount,
    CreditNote,
    InvoiceItem,
    NotFoundError,
    QontoClient,
    Quote,
    UnprocessableEntityError,
)
from qonto_async.testing import FakeQonto, VirtualClock


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with FakeQonto(seed=9, quotes=230, credit_notes=120, rate_limit=None) as server:
        yield server


@pytest.fixture
async def qonto(fake: FakeQonto) -> AsyncIterator[QontoClient]:
    async with QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
    ) as client:
        VirtualClock().install(client)
        yield client


async def test_every_quote_and_credit_note_once(qonto: QontoClient, fake: FakeQonto) -> None:
    quotes = [quote.id async for quote in qonto.quotes.list(per_page=25)]
    assert sorted(quotes) == sorted(fake.ids("quotes"))
    notes = await qonto.credit_notes.list(per_page=30).all()
    assert {note.id for note in notes} == set(fake.ids("credit_notes"))
    assert all(isinstance(n, CreditNote) and (n.total_amount_cents or 0) < 0 for n in notes)
    assert all(Decimal(item.quantity or 0) < 0 for item in notes[0].items or [])


async def test_a_quote_created_mid_listing_is_not_a_duplicate_nor_a_gap(
    qonto: QontoClient, fake: FakeQonto
) -> None:
    seen: list[str] = []
    async for quote in qonto.quotes.list(per_page=20, sort_by="created_at:asc"):
        seen.append(quote.id)
        if len(seen) == 50:
            fake.create("quotes")  # newest: after everything, read at the end
            fake.delete("quotes", seen[0])  # already read: shifts every page by one
    assert len(seen) == len(set(seen))
    assert set(fake.ids("quotes")) <= set(seen)


async def test_status_filter_and_get(qonto: QontoClient, fake: FakeQonto) -> None:
    approved = await qonto.quotes.list(status="approved").all()
    assert approved
    assert {q.status for q in approved} == {"approved"}
    quote = await qonto.quotes.get(approved[0].id)
    assert quote == approved[0]
    note = await qonto.credit_notes.get(fake.ids("credit_notes")[0])
    assert note.invoice_id in fake.ids("client_invoices")
    with pytest.raises(NotFoundError):
        await qonto.quotes.get("missing")


async def test_create_a_quote(qonto: QontoClient, fake: FakeQonto) -> None:
    quote = await qonto.quotes.create(
        client_id=fake.ids("clients")[1],
        issue_date=dt.date(2026, 2, 1),
        expiry_date=dt.date(2026, 3, 3),
        number="Q-2026-001",
        items=[
            InvoiceItem(
                title="Design",
                quantity=Decimal(2),
                unit_price=Amount(value=Decimal("250"), currency="EUR"),
                vat_rate=Decimal("0.2"),
            )
        ],
    )
    assert isinstance(quote, Quote)
    assert (quote.status, quote.number, quote.total_amount_cents) == (
        "pending_approval",
        "Q-2026-001",
        60000,
    )
    assert (await qonto.quotes.get(quote.id)).expiry_date == dt.date(2026, 3, 3)
    with pytest.raises(UnprocessableEntityError) as caught:
        await qonto.quotes.create(
            client_id=fake.ids("clients")[1],
            issue_date=dt.date(2026, 2, 1),
            expiry_date=dt.date(2026, 1, 1),
            items=[],
        )
    assert set(caught.value.field_errors) == {"expiry_date", "number", "items"}
