"""The exactly-once promise of writes, under random faults: lost answers after the write
committed, dropped connections before it, 5xx and 429. A few seeds run with every test run;
the soak (``pytest -m soak``) runs 100 more."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qonto_async import Amount, InvoiceItem, QontoClient
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


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_whole_invoicing_flow_happens_once(seed: int) -> None:
    async with (
        FakeQonto(seed=seed, clients=2, client_invoices=2, rate_limit=None) as fake,
        QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, max_retries=12
        ) as qonto,
    ):
        VirtualClock().install(qonto)
        fake.faults = FAULTS.replace(seed=seed)
        client = await qonto.clients.create(
            kind="company", name="Once SAS", currency="EUR", locale="fr", address="1 rue"
        )
        invoice = await qonto.client_invoices.create(
            client_id=client.id,
            issue_date=dt.date(2026, 1, 1),
            due_date=dt.date(2026, 1, 31),
            currency="EUR",
            payment_methods={"iban": fake.iban},
            items=[
                InvoiceItem(
                    title="Audit",
                    quantity=Decimal(3),
                    unit_price=Amount(value=Decimal("99.99"), currency="EUR"),
                    vat_rate=Decimal("0.2"),
                )
            ],
        )
        finalized = await qonto.client_invoices.finalize(invoice.id)
        await qonto.client_invoices.send(
            invoice.id, send_to=["ap@once.example"], email_title="Invoice"
        )
        paid = await qonto.client_invoices.mark_as_paid(invoice.id)
        fake.faults = None

        created = [(name, rid) for action, name, rid in fake.stats.changes if action == "created"]
        assert created == [("clients", client.id), ("client_invoices", invoice.id)]
        assert finalized.status == "unpaid"
        assert paid.status == "paid"
        stored = await qonto.client_invoices.get(invoice.id)
        assert stored.number == finalized.number
        assert stored.total_amount_cents == 35996  # 3 x 99.99 = 299.97, VAT 59.99
        assert len(fake.emails_sent) == 1
        if seed < 4:  # these seeds are known to hit faults; the soak's are drawn blind
            assert fake.stats.faults_injected > 0
