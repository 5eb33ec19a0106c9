"""The exactly-once promise of every write, under random faults: lost answers after the write
committed, dropped connections before it, 5xx and 429. Four seeds run with every test run;
the soak (``pytest -m soak``) runs 100 more."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from qonto_async import Amount, InvoiceItem, QontoClient, SupplierInvoice
from qonto_async.testing import FakeQonto, Faults, VirtualClock

FAULTS = Faults(
    drop_after_rate=0.2,
    drop_rate=0.1,
    error_rate=0.1,
    throttle_rate=0.05,
    retry_after=0,
    error_retry_after=0,
)
SEEDS = [*range(4), *(pytest.param(seed, marks=pytest.mark.soak) for seed in range(4, 104))]


LINE = InvoiceItem(
    title="Audit",
    quantity=Decimal(3),
    unit_price=Amount(value=Decimal("99.99"), currency="EUR"),
    vat_rate=Decimal("0.2"),
)
PDFS = [(f"bill-{n}.pdf", b"%PDF-1.4 bill " + bytes([48 + n])) for n in range(3)]


async def every_write(qonto: QontoClient, fake: FakeQonto) -> dict[str, Any]:
    """Each write the SDK makes, once, in an order a real app could use them."""
    invoices = qonto.client_invoices
    client = await qonto.clients.create(
        kind="company", name="Once SAS", currency="EUR", locale="fr", address="1 rue"
    )
    leaving = await qonto.clients.create(kind="individual", first_name="Ada", last_name="L")
    await qonto.clients.update(client.id, email="ap@once.example")
    invoice_fields: dict[str, Any] = {
        "client_id": client.id,
        "issue_date": dt.date(2026, 1, 1),
        "due_date": dt.date(2026, 1, 31),
        "currency": "EUR",
        "payment_methods": {"iban": fake.iban},
        "items": [LINE],
    }
    scrapped = await invoices.create(**invoice_fields)
    await invoices.update(scrapped.id, footer="never sent")
    await invoices.delete(scrapped.id)
    invoice = await invoices.create(**invoice_fields)
    finalized = await invoices.finalize(invoice.id)
    await invoices.send(invoice.id, send_to=["ap@once.example"], email_title="Invoice")
    await invoices.mark_as_paid(invoice.id)
    await invoices.unmark_as_paid(invoice.id)
    canceled = await invoices.mark_as_canceled(invoice.id)
    quote = await qonto.quotes.create(
        client_id=client.id,
        issue_date=dt.date(2026, 1, 1),
        expiry_date=dt.date(2026, 2, 1),
        number="Q-1",
        items=[LINE],
    )
    uploaded = await qonto.supplier_invoices.create_many(PDFS)
    bills = [u for u in uploaded if isinstance(u, SupplierInvoice)]
    await qonto.supplier_invoices.mark_as_paid(bills[0].id)
    bill = await qonto.supplier_invoices.unmark_as_paid(bills[0].id)
    await qonto.clients.delete(leaving.id)
    return {
        "clients": [client.id, leaving.id],
        "client_invoices": [scrapped.id, invoice.id],
        "quotes": [quote.id],
        "supplier_invoices": [b.id for b in bills],
        "number": finalized.number,
        "canceled": canceled.status,
        "bill": bill.status,
        "deleted": [("client_invoices", scrapped.id), ("clients", leaving.id)],
    }


@pytest.mark.parametrize("seed", SEEDS)
async def test_every_write_happens_once(seed: int) -> None:
    async with (
        FakeQonto(seed=seed, clients=2, client_invoices=2, rate_limit=None) as fake,
        QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, max_retries=12
        ) as qonto,
    ):
        VirtualClock().install(qonto)
        fake.faults = FAULTS.replace(seed=seed)
        done = await every_write(qonto, fake)
        fake.faults = None

        changes = fake.stats.changes
        for resource in ("clients", "client_invoices", "quotes", "supplier_invoices"):
            made = [rid for action, name, rid in changes if (action, name) == ("created", resource)]
            assert made == done[resource], resource
        deleted = [(name, rid) for action, name, rid in changes if action == "deleted"]
        assert deleted == done["deleted"]
        assert len(fake.emails_sent) == 1
        assert (done["canceled"], done["bill"]) == ("canceled", "to_review")
        stored = await qonto.client_invoices.get(done["client_invoices"][1])
        assert (stored.status, stored.number) == ("canceled", done["number"])
        assert stored.total_amount_cents == 35996  # 3 x 99.99 = 299.97, VAT 59.99
        if seed < 4:  # these seeds are known to hit faults; the soak's are drawn blind
            assert fake.stats.faults_injected > 0
