"""Static checks of the models' public types (run by ``mypy --strict``; never executed)."""

import datetime
from decimal import Decimal
from typing import assert_type

from qonto_async.models import (
    Address,
    Amount,
    Attachment,
    AvailableActions,
    Client,
    ClientInvoice,
    ClientInvoiceItem,
    ClientInvoiceList,
    ClientInvoiceUpload,
    ClientList,
    Discount,
    EInvoicingLifecycleEvent,
    Meta,
    SuggestedTransaction,
    SupplierInvoice,
    SupplierInvoiceList,
    decode_attachment,
    decode_client,
    decode_client_invoice,
    decode_client_invoice_list,
    decode_client_invoice_upload,
    decode_client_list,
    decode_supplier_invoice,
    decode_supplier_invoice_list,
)


def check_decoders(body: bytes) -> None:
    assert_type(decode_client(body), Client)
    assert_type(decode_client_list(body), ClientList)
    assert_type(decode_client_invoice(body), ClientInvoice)
    assert_type(decode_client_invoice_list(body), ClientInvoiceList)
    assert_type(decode_supplier_invoice(body), SupplierInvoice)
    assert_type(decode_supplier_invoice_list(body), SupplierInvoiceList)
    assert_type(decode_client_invoice_upload(body), ClientInvoiceUpload)
    assert_type(decode_attachment(body), Attachment)


def check_client_invoice(inv: ClientInvoice) -> None:
    assert_type(inv.id, str)
    assert_type(inv.status, str | None)
    assert_type(inv.total_amount, Amount | None)
    assert_type(inv.total_amount_cents, int | None)
    assert_type(inv.stamp_duty_amount, Decimal | None)
    assert_type(inv.issue_date, datetime.date | None)
    assert_type(inv.finalized_at, datetime.datetime | None)
    assert_type(inv.items, list[ClientInvoiceItem] | None)
    assert_type(inv.discount, Discount | None)
    assert_type(inv.einvoicing_lifecycle_events, list[EInvoicingLifecycleEvent] | None)
    if inv.total_amount is not None:
        assert_type(inv.total_amount.value, Decimal | None)
        assert_type(inv.total_amount.currency, str | None)
    if inv.client is not None:
        assert_type(inv.client, Client)
        assert_type(inv.client.billing_address, Address | None)
        assert_type(inv.client.display_name, str)
    for item in inv.items or []:
        assert_type(item.quantity, Decimal | None)
        assert_type(item.vat_rate, Decimal | None)
        assert_type(item.unit_price_cents, int | None)


def check_pages(invoices: ClientInvoiceList, clients: ClientList, sup: SupplierInvoiceList) -> None:
    assert_type(invoices.items, list[ClientInvoice])
    assert_type(invoices.meta, Meta | None)
    assert_type(clients.items, list[Client])
    assert_type(sup.items, list[SupplierInvoice])
    if invoices.meta is not None:
        assert_type(invoices.meta.next_page, int | None)


def check_supplier_invoice(inv: SupplierInvoice) -> None:
    assert_type(inv.declined_note, str | None)
    assert_type(inv.available_actions, AvailableActions | None)
    assert_type(inv.suggested_transactions, list[SuggestedTransaction] | None)
    assert_type(inv.payment_date, datetime.date | None)
    if inv.available_actions is not None and inv.available_actions.reasons is not None:
        assert_type(inv.available_actions.reasons.pay, list[str] | None)


def check_upload_and_attachment(upload: ClientInvoiceUpload, att: Attachment) -> None:
    assert_type(upload.id, str)
    assert_type(upload.file_size, int | None)
    assert_type(upload.created_at, datetime.datetime | None)
    assert_type(att.file_size, int | None)


def check_construction() -> None:
    amount = Amount(value=Decimal("1.00"), currency="EUR")
    assert_type(amount, Amount)
    assert_type(ClientInvoice(id="x", total_amount=amount).total_amount, Amount | None)
