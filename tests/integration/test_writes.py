"""Every write against FakeQonto over real HTTP: what it answers, what it refuses, and that
a write whose answer is lost happens once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from qonto_async import (
    Amount,
    APITimeoutError,
    ClientInvoice,
    IdempotencyKeyReusedError,
    InvalidTransitionError,
    InvoiceItem,
    NotFoundError,
    QontoClient,
    RawResponse,
    UnprocessableEntityError,
)
from qonto_async.testing import FakeQonto, Faults, VirtualClock

ISSUE = dt.date(2026, 1, 10)
LINE = InvoiceItem(
    title="Consulting",
    quantity=Decimal("1.5"),
    unit_price=Amount(value=Decimal("400.00"), currency="EUR"),
    vat_rate=Decimal("0.2"),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with FakeQonto(seed=3, clients=5, client_invoices=10, rate_limit=None) as server:
        yield server


@pytest.fixture
async def qonto(fake: FakeQonto) -> AsyncIterator[QontoClient]:
    async with QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
    ) as client:
        VirtualClock().install(client)
        yield client


def created(fake: FakeQonto, resource: str) -> list[str]:
    return [
        rid for action, name, rid in fake.stats.changes if (action, name) == ("created", resource)
    ]


async def draft(qonto: QontoClient, fake: FakeQonto, **extra: Any) -> ClientInvoice:
    return await qonto.client_invoices.create(
        client_id=fake.ids("clients")[0],
        issue_date=ISSUE,
        due_date=ISSUE + dt.timedelta(days=30),
        currency="EUR",
        payment_methods={"iban": fake.iban},
        items=[LINE],
        **extra,
    )


async def test_client_create_update_delete(qonto: QontoClient, fake: FakeQonto) -> None:
    client = await qonto.clients.create(
        kind="company",
        name="Acme SAS",
        email="billing@acme.example",
        currency="EUR",
        locale="fr",
        billing_address={"street_address": "10 Rue de Rivoli", "city": "Paris"},
    )
    assert (client.kind, client.name, client.city, client.currency) == (
        "company",
        "Acme SAS",
        "Paris",
        "EUR",
    )
    assert client.vat_number is None  # nothing generated behind the caller's back
    assert (await qonto.clients.get(client.id)) == client

    updated = await qonto.clients.update(client.id, email="ap@acme.example", vat_number=None)
    assert updated.email == "ap@acme.example"
    assert updated.updated_at is not None

    await qonto.clients.delete(client.id)
    with pytest.raises(NotFoundError):
        await qonto.clients.get(client.id)
    assert [c[0] for c in fake.stats.changes] == ["created", "updated", "deleted"]


async def test_client_validation_points_at_fields(qonto: QontoClient) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await qonto.clients.create(kind="individual", first_name="Ada", email="not-an-email")
    assert set(caught.value.field_errors) == {"last_name", "email"}


async def test_invoice_lifecycle(qonto: QontoClient, fake: FakeQonto) -> None:
    invoice = await draft(qonto, fake)
    assert invoice.status == "draft"
    assert invoice.number is None
    # 1.5 x 400.00 = 600.00, VAT 20% = 120.00
    assert invoice.total_amount == Amount(value=Decimal("720.00"), currency="EUR")
    assert invoice.vat_amount_cents == 12000

    invoice = await qonto.client_invoices.update(invoice.id, purchase_order="PO-42")
    assert invoice.purchase_order == "PO-42"
    assert invoice.total_amount_cents == 72000
    two_lines = await qonto.client_invoices.update(invoice.id, items=[LINE, LINE])
    assert (two_lines.total_amount_cents, two_lines.vat_amount_cents) == (144000, 24000)
    assert two_lines.total_amount == Amount(value=Decimal("1440.00"), currency="EUR")

    invoice = await qonto.client_invoices.finalize(invoice.id)
    assert invoice.status == "unpaid"
    assert invoice.number
    assert invoice.finalized_at is not None

    await qonto.client_invoices.send(
        invoice.id, send_to=["ap@client.example"], email_title="Your invoice"
    )
    assert fake.emails_sent[-1]["send_to"] == ["ap@client.example"]

    paid = await qonto.client_invoices.mark_as_paid(invoice.id, paid_at=dt.date(2026, 1, 12))
    assert paid.status == "paid"
    assert paid.paid_at is not None
    assert paid.paid_at.date() == dt.date(2026, 1, 12)
    assert paid.amount_paid == paid.total_amount

    unpaid = await qonto.client_invoices.unmark_as_paid(invoice.id)
    assert (unpaid.status, unpaid.paid_at) == ("unpaid", None)
    canceled = await qonto.client_invoices.mark_as_canceled(invoice.id)
    assert canceled.status == "canceled"


async def test_created_finalized_in_one_call(qonto: QontoClient, fake: FakeQonto) -> None:
    invoice = await draft(qonto, fake, status="unpaid")
    assert invoice.status == "unpaid"
    assert invoice.number


async def test_drafts_only_are_edited_or_deleted(qonto: QontoClient, fake: FakeQonto) -> None:
    removable = await draft(qonto, fake)
    await qonto.client_invoices.delete(removable.id)
    with pytest.raises(NotFoundError):
        await qonto.client_invoices.get(removable.id)

    issued = await qonto.client_invoices.finalize((await draft(qonto, fake)).id)
    with pytest.raises(InvalidTransitionError) as caught:
        await qonto.client_invoices.delete(issued.id)
    assert (caught.value.transition, caught.value.state) == ("delete", "unpaid")
    assert caught.value.status == 422
    assert caught.value.trace_id
    with pytest.raises(InvalidTransitionError, match="it is unpaid"):
        await qonto.client_invoices.update(issued.id, header="late change")
    await qonto.client_invoices.mark_as_paid(issued.id)
    with pytest.raises(InvalidTransitionError) as refused:
        await qonto.client_invoices.finalize(issued.id)
    assert (refused.value.transition, refused.value.state) == ("finalize", "paid")


async def test_invalid_invoice_fields(qonto: QontoClient, fake: FakeQonto) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await qonto.client_invoices.create(
            client_id=fake.ids("clients")[0],
            issue_date=ISSUE,
            due_date=ISSUE - dt.timedelta(days=1),
            currency="EUR",
            items=[{"title": "x", "quantity": "1", "unit_price": {"value": "1"}, "vat_rate": "20"}],
        )
    assert caught.value.field_errors.keys() == {
        "due_date",
        "payment_methods/iban",
        "items/0/vat_rate",
    }
    issued = await qonto.client_invoices.finalize((await draft(qonto, fake)).id)
    with pytest.raises(UnprocessableEntityError) as mail:
        await qonto.client_invoices.send(issued.id, send_to=["nobody"], email_title="t")
    assert mail.value.field_errors == {"send_to/0": "send_to/0 is not a valid email address"}


WRITES = [
    "client.create",
    "client.update",
    "client.delete",
    "invoice.create",
    "invoice.update",
    "invoice.delete",
    "invoice.finalize",
    "invoice.send",
    "invoice.mark_as_paid",
    "invoice.unmark_as_paid",
    "invoice.mark_as_canceled",
]


async def run_write(name: str, qonto: QontoClient, fake: FakeQonto, subject: str) -> Any:
    invoices = qonto.client_invoices
    if name == "client.create":
        return await qonto.clients.create(kind="company", name="Once SAS")
    if name == "client.update":
        return await qonto.clients.update(subject, email="once@example.com")
    if name == "client.delete":
        return await qonto.clients.delete(subject)
    if name == "invoice.create":
        return await draft(qonto, fake)
    if name == "invoice.update":
        return await invoices.update(subject, footer="Thanks")
    if name == "invoice.delete":
        return await invoices.delete(subject)
    if name == "invoice.send":
        return await invoices.send(subject, send_to=["a@b.example"], email_title="Invoice")
    method = getattr(invoices, name.split(".")[1])
    return await method(subject)


async def prepare(name: str, qonto: QontoClient, fake: FakeQonto) -> str:
    if name.startswith("client."):
        return (await qonto.clients.create(kind="company", name="Subject SAS")).id
    invoice = await draft(qonto, fake)
    if name in ("invoice.send", "invoice.mark_as_paid", "invoice.mark_as_canceled"):
        await qonto.client_invoices.finalize(invoice.id)
    if name == "invoice.unmark_as_paid":
        await qonto.client_invoices.finalize(invoice.id)
        await qonto.client_invoices.mark_as_paid(invoice.id)
    return invoice.id


@pytest.mark.parametrize("name", WRITES)
async def test_a_write_whose_answer_is_lost_happens_once(
    name: str, qonto: QontoClient, fake: FakeQonto
) -> None:
    subject = await prepare(name, qonto, fake)
    before = len(fake.stats.changes)
    keys_before = len(fake.stats.idempotency_keys)
    fake.set_faults(sequence=("drop:after",))

    result = await run_write(name, qonto, fake, subject)

    assert fake.stats.faults["drop:after"] == 1
    keys = fake.stats.idempotency_keys[keys_before:]
    assert len(keys) == 2
    assert keys[0] == keys[1]  # the retry carried the same key
    changes = fake.stats.changes[before:]
    assert len(changes) <= 2  # a finalize is one change, never two runs of it
    new = [rid for action, _, rid in changes if action == "created"]
    if name.endswith(".create"):
        assert new == [result.id]  # one record, and the caller holds it
    else:
        assert new == []


async def test_same_key_another_body_is_a_typed_error(qonto: QontoClient, fake: FakeQonto) -> None:
    await qonto.clients.create(kind="company", name="First", idempotency_key="signup-7")
    again = await qonto.clients.create(kind="company", name="First", idempotency_key="signup-7")
    assert created(fake, "clients") == [again.id]  # replayed, not created twice
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        await qonto.clients.create(kind="company", name="Other", idempotency_key="signup-7")
    assert caught.value.status == 422
    assert caught.value.code == "idempotency_key_reused"


async def test_raw_response_of_a_write(qonto: QontoClient, fake: FakeQonto) -> None:
    raw = await qonto.clients.with_raw_response.create(kind="company", name="Raw SAS")
    assert isinstance(raw, RawResponse)
    assert raw.status == 200
    assert raw.trace_id
    assert raw.parsed.name == "Raw SAS"


async def test_extra_headers_and_timeout_per_call(qonto: QontoClient, fake: FakeQonto) -> None:
    fake.faults = Faults(latency=0.3, paths=("/v2/clients",))
    with pytest.raises(APITimeoutError):
        await qonto.clients.create(kind="company", name="Slow", timeout=0.05)
    fake.faults = None
    client = await qonto.clients.create(
        kind="company", name="Tagged", extra_headers={"X-Request-Id": "abc"}
    )
    assert client.name == "Tagged"
