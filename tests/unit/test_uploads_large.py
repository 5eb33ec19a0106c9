"""Files over aiohttp's 1 MiB raw-bytes threshold, uploaded against FakeQonto over real HTTP.

Given bytes that large, aiohttp warns ``ResourceWarning`` ("Sending a large body directly with
raw bytes"); where warnings are errors (CI runs ``-W error::ResourceWarning``) the upload
failed with a ``TypeError`` whose message held the whole file. Each test turns the warning into
an error itself, so it fails without that flag too. A 3 MiB receipt is a phone photo.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from qonto_async import QontoClient
from qonto_async.testing import FakeOptions, FakeQonto, Faults, VirtualClock

pytestmark = pytest.mark.asyncio

BIG = 3 * 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * (BIG // 256)  # not one repeated byte
PDF = b"%PDF-1.4\n" + JPEG[4:]


def fingerprint(content: bytes) -> tuple[int, str]:
    """Size and digest: a failure reads in a line, not as 3 MiB of bytes."""
    return len(content), hashlib.sha256(content).hexdigest()


@pytest.fixture
async def bank() -> AsyncIterator[tuple[FakeQonto, QontoClient, VirtualClock]]:
    fake = FakeQonto(
        seed=3, transactions=20, rate_limit=None, options=FakeOptions(attachment_delay=0.0)
    )
    async with fake:
        qonto = QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
            requests_per_second=None,
        )  # fmt: skip
        clock = VirtualClock()
        clock.install(qonto)  # retry backoffs instant: no wall-clock wait
        async with qonto:
            yield fake, qonto, clock


@pytest.fixture(autouse=True)
def resource_warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        yield


async def received(qonto: QontoClient, transaction_id: str) -> list[tuple[int, str]]:
    """The files the fake holds attached to the transaction, downloaded back."""
    transaction = await qonto.transactions.get(transaction_id)
    ids = transaction.attachment_ids or []
    return [fingerprint(await qonto.attachments.download(a)) for a in ids]


async def test_a_large_receipt_uploads_whole_without_a_warning(
    bank: tuple[FakeQonto, QontoClient, VirtualClock],
) -> None:
    fake, qonto, _ = bank
    transaction_id = fake.ids("transactions")[0]
    before = await received(qonto, transaction_id)

    await qonto.transaction_attachments.create(transaction_id, JPEG, filename="photo.jpg")

    after = await received(qonto, transaction_id)
    assert len(after) == len(before) + 1
    assert fingerprint(JPEG) in after


async def test_a_retry_after_a_dropped_connection_sends_the_whole_file_again(
    bank: tuple[FakeQonto, QontoClient, VirtualClock],
) -> None:
    fake, qonto, clock = bank
    transaction_id = fake.ids("transactions")[1]
    before = await received(qonto, transaction_id)
    # The first attempt's connection is closed unanswered: the second sends a new form, whose
    # file must be read from its start (a BytesIO read to its end, or closed, sends nothing).
    fake.faults = Faults(sequence=("drop",), paths=("/v2/transactions/*/attachments",))

    await qonto.transaction_attachments.create(transaction_id, JPEG, filename="photo.jpg")

    assert fake.stats.faults == {"drop": 1}
    assert len(clock.retry_waits) == 1
    after = await received(qonto, transaction_id)
    assert len(after) == len(before) + 1
    assert fingerprint(JPEG) in after


async def test_a_large_client_invoice_upload_without_a_warning(
    bank: tuple[FakeQonto, QontoClient, VirtualClock],
) -> None:
    _, qonto, _ = bank

    upload = await qonto.client_invoice_uploads.create(PDF, filename="invoice.pdf")

    assert upload.file_size == len(PDF)


async def test_a_large_supplier_invoice_bulk_upload_without_a_warning(
    bank: tuple[FakeQonto, QontoClient, VirtualClock],
) -> None:
    _, qonto, _ = bank

    [result] = await qonto.supplier_invoices.create_many([("bill.pdf", PDF)])

    assert not isinstance(result, Exception)
