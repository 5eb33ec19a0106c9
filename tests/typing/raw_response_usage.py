"""Static checks of ``with_raw_response`` (run by ``mypy --strict``; never executed): every
method gives the type the plain method returns, inside a :class:`RawResponse`."""

from typing import assert_type

from qonto_async import (
    Attachment,
    Client,
    ClientInvoice,
    ClientInvoiceUpload,
    CreditNote,
    QontoClient,
    QontoError,
    Quote,
    RawResponse,
    SupplierInvoice,
    WebhookSubscription,
)


async def check_reads(qonto: QontoClient, ids: list[str]) -> None:
    assert_type(await qonto.clients.with_raw_response.get("c"), RawResponse[Client])
    assert_type(
        await qonto.client_invoices.with_raw_response.get("i", timeout=5.0),
        RawResponse[ClientInvoice],
    )
    assert_type(
        await qonto.supplier_invoices.with_raw_response.get("s"), RawResponse[SupplierInvoice]
    )
    assert_type(await qonto.quotes.with_raw_response.get("q"), RawResponse[Quote])
    assert_type(await qonto.credit_notes.with_raw_response.get("n"), RawResponse[CreditNote])
    assert_type(
        await qonto.client_invoice_uploads.with_raw_response.get("u"),
        RawResponse[ClientInvoiceUpload],
    )
    assert_type(await qonto.attachments.with_raw_response.get("a"), RawResponse[Attachment])
    assert_type(await qonto.attachments.with_raw_response.download("a"), RawResponse[bytes])
    assert_type(
        await qonto.webhook_subscriptions.with_raw_response.get("w"),
        RawResponse[WebhookSubscription],
    )
    assert_type(await qonto.clients.with_raw_response.get_many(ids), RawResponse[list[Client]])
    assert_type(
        await qonto.client_invoices.with_raw_response.get_many(ids, return_exceptions=True),
        RawResponse[list[ClientInvoice | QontoError]],
    )


async def check_writes(qonto: QontoClient) -> None:
    raw_clients = qonto.clients.with_raw_response
    assert_type(await raw_clients.create(kind="company", name="A"), RawResponse[Client])
    assert_type(await raw_clients.update("c", name="B"), RawResponse[Client])
    assert_type(await raw_clients.delete("c", idempotency_key="k"), RawResponse[None])

    raw = qonto.client_invoices.with_raw_response
    assert_type(
        await raw.create(client_id="c", issue_date="2026-01-01", due_date="2026-01-31", items=[]),
        RawResponse[ClientInvoice],
    )
    assert_type(await raw.update("i", purchase_order="PO-1"), RawResponse[ClientInvoice])
    assert_type(await raw.delete("i"), RawResponse[None])
    assert_type(await raw.finalize("i", timeout=3.0), RawResponse[ClientInvoice])
    assert_type(await raw.send("i", send_to=["a@b.c"], email_title="T"), RawResponse[None])
    assert_type(await raw.mark_as_paid("i", paid_at="2026-01-02"), RawResponse[ClientInvoice])
    assert_type(await raw.unmark_as_paid("i"), RawResponse[ClientInvoice])
    assert_type(await raw.mark_as_canceled("i"), RawResponse[ClientInvoice])

    raw_supplier = qonto.supplier_invoices.with_raw_response
    assert_type(
        await raw_supplier.create_many([("a.pdf", b"%PDF")]),
        RawResponse[list[SupplierInvoice | QontoError]],
    )
    assert_type(await raw_supplier.mark_as_paid("s"), RawResponse[SupplierInvoice])
    assert_type(await raw_supplier.unmark_as_paid("s"), RawResponse[SupplierInvoice])

    assert_type(
        await qonto.quotes.with_raw_response.create(
            client_id="c", issue_date="2026-01-01", expiry_date="2026-02-01", items=[]
        ),
        RawResponse[Quote],
    )
    assert_type(
        await qonto.client_invoice_uploads.with_raw_response.create(b"%PDF", "a.pdf"),
        RawResponse[ClientInvoiceUpload],
    )
    raw_hooks = qonto.webhook_subscriptions.with_raw_response
    assert_type(
        await raw_hooks.create("https://x.example/hook", ["v1/clients"]),
        RawResponse[WebhookSubscription],
    )
    assert_type(
        await raw_hooks.update("w", "https://x.example/hook", ["v1/clients"]),
        RawResponse[WebhookSubscription],
    )
    assert_type(await raw_hooks.delete("w"), RawResponse[None])


async def check_mistakes(qonto: QontoClient) -> None:
    raw = qonto.client_invoices.with_raw_response
    await raw.finalise("i")  # type: ignore[attr-defined]
    await raw.finalize(42)  # type: ignore[arg-type]
    await raw.finalize("i", timeot=1.0)  # type: ignore[call-arg]
    raw.list()  # type: ignore[attr-defined]  # a paginator's pages carry their own answers
