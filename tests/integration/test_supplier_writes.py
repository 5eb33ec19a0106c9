"""Supplier-invoice bulk upload and payment marks against FakeQonto over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qonto_async import (
    BulkFile,
    FileRejectedError,
    InternalServerError,
    InvalidTransitionError,
    QontoClient,
    SupplierInvoice,
)
from qonto_async.testing import FakeQonto, Faults, VirtualClock

PDF = b"%PDF-1.4\n% an invoice\n"


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with FakeQonto(seed=5, supplier_invoices=10, rate_limit=None) as server:
        yield server


@pytest.fixture
async def qonto(fake: FakeQonto) -> AsyncIterator[QontoClient]:
    async with QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
    ) as client:
        VirtualClock().install(client)
        yield client


def pdfs(count: int) -> list[tuple[str, bytes]]:
    return [(f"invoice-{n}.pdf", PDF + str(n).encode()) for n in range(count)]


def uploads(fake: FakeQonto) -> int:
    return fake.stats.count("POST /v2/supplier_invoices/bulk")


async def test_many_files_go_20_per_request_with_a_result_each_in_order(
    qonto: QontoClient, fake: FakeQonto, tmp_path: Path
) -> None:
    on_disk = tmp_path / "from-disk.pdf"
    on_disk.write_bytes(PDF + b"disk")
    lie = BulkFile(b"not a pdf", "fake.pdf", content_type="application/pdf")
    files: list[BulkFile | Path | tuple[str, bytes]] = [*pdfs(44), on_disk, lie]

    results = await qonto.supplier_invoices.create_many(files, source="supplier_invoices")

    assert uploads(fake) == 3  # 20 + 20 + 6
    assert len(results) == 46
    created = [r for r in results if isinstance(r, SupplierInvoice)]
    assert [r.file_name for r in created] == [
        *(f"invoice-{n}.pdf" for n in range(44)),
        "from-disk.pdf",
    ]
    assert all(r.status == "to_review" for r in created)
    refused = results[-1]
    assert isinstance(refused, FileRejectedError)
    assert (refused.index, refused.file_name, refused.code) == (45, "fake.pdf", "invalid")
    # what was uploaded is what the attachment serves
    assert await qonto.attachments.download(created[3].attachment_id or "") == PDF + b"3"


async def test_uploading_the_same_files_again_creates_nothing(
    qonto: QontoClient, fake: FakeQonto
) -> None:
    first = await qonto.supplier_invoices.create_many(pdfs(3))
    again = await qonto.supplier_invoices.create_many(pdfs(3))
    assert [r.id for r in again if isinstance(r, SupplierInvoice)] == [
        r.id for r in first if isinstance(r, SupplierInvoice)
    ]
    assert sum(1 for c in fake.stats.changes if c[0] == "created") == 3


async def test_a_lost_answer_to_a_chunk_creates_each_invoice_once(
    qonto: QontoClient, fake: FakeQonto
) -> None:
    fake.set_faults(sequence=("drop:after", "ok", "drop:after"))
    results = await qonto.supplier_invoices.create_many(pdfs(25))
    assert all(isinstance(r, SupplierInvoice) for r in results)
    assert sum(1 for c in fake.stats.changes if c[0] == "created") == 25
    assert fake.stats.faults["drop:after"] == 2


async def test_a_chunk_that_fails_whole_fails_each_of_its_files(
    fake: FakeQonto,
) -> None:
    async with QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, max_retries=0
    ) as qonto:
        fake.set_faults(sequence=("ok", "503"), error_retry_after=0)
        results = await qonto.supplier_invoices.create_many(pdfs(25), max_concurrency=1)
    assert all(isinstance(r, SupplierInvoice) for r in results[:20])
    assert all(isinstance(r, InternalServerError) for r in results[20:])


async def test_too_large_files_are_refused_before_sending(
    qonto: QontoClient, fake: FakeQonto
) -> None:
    big = BulkFile(PDF + b"0" * (10 * 1024 * 1024), "big.pdf")
    results = await qonto.supplier_invoices.create_many([big, *pdfs(1)])
    assert isinstance(results[0], FileRejectedError)
    assert results[0].code == "too_large"
    assert isinstance(results[1], SupplierInvoice)
    with pytest.raises(ValueError, match="text/plain"):
        await qonto.supplier_invoices.create_many([("notes.txt", b"hello")])


async def test_mark_and_unmark_as_paid(qonto: QontoClient, fake: FakeQonto) -> None:
    (invoice,) = await qonto.supplier_invoices.create_many(pdfs(1))
    assert isinstance(invoice, SupplierInvoice)
    paid = await qonto.supplier_invoices.mark_as_paid(invoice.id, payment_date=dt.date(2026, 1, 2))
    assert (paid.status, paid.payment_date) == ("paid", dt.date(2026, 1, 2))
    again = await qonto.supplier_invoices.mark_as_paid(invoice.id)  # already paid: no-op
    assert again.payment_date == dt.date(2026, 1, 2)
    back = await qonto.supplier_invoices.unmark_as_paid(invoice.id)
    assert (back.status, back.payment_date) == ("to_review", None)
    with pytest.raises(InvalidTransitionError) as caught:
        await qonto.supplier_invoices.unmark_as_paid(invoice.id)
    assert (caught.value.status, caught.value.state) == (400, "to_review")


async def test_a_scheduled_invoice_cannot_be_marked_paid(
    qonto: QontoClient, fake: FakeQonto
) -> None:
    invoice_id = fake.ids("supplier_invoices")[0]
    fake.update("supplier_invoices", invoice_id, status="scheduled")
    fake.faults = Faults()
    with pytest.raises(InvalidTransitionError, match="it is scheduled"):
        await qonto.supplier_invoices.mark_as_paid(invoice_id)
