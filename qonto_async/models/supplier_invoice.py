"""Supplier invoices: ``GET /v2/supplier_invoices/{id}`` and ``GET /v2/supplier_invoices``."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

import msgspec

from ._dates import Day, Timestamp
from .common import (
    Amount,
    EInvoicingLifecycleEvent,
    Meta,
    QontoModel,
    model_decoder,
    page_decoder,
)

__all__ = [
    "SUPPLIER_INVOICE_SORT_FIELDS",
    "SUPPLIER_INVOICE_STATUSES",
    "ApprovalWorkflow",
    "AvailableActionReasons",
    "AvailableActions",
    "RelatedInvoice",
    "RequestTransfer",
    "SuggestedTransaction",
    "SupplierInvoice",
    "SupplierInvoiceList",
    "SupplierInvoiceMeta",
    "SupplierInvoiceStatus",
    "decode_supplier_invoice",
    "decode_supplier_invoice_either",
    "decode_supplier_invoice_list",
]

SupplierInvoiceStatus = Literal[
    "to_review",
    "to_approve",
    "pending",
    "awaiting_payment",
    "to_pay",
    "scheduled",
    "paid",
    "archived",
    "rejected",
    "discarded",
]
"""A supplier-invoice status seen in Qonto's documentation: what
``supplier_invoices.list(status=...)`` takes."""

SUPPLIER_INVOICE_STATUSES: tuple[SupplierInvoiceStatus, ...] = get_args(SupplierInvoiceStatus)
"""The supplier-invoice statuses seen in Qonto's documentation. A record may carry another
(decoding takes any string); the list filter takes only these."""

SUPPLIER_INVOICE_SORT_FIELDS = (
    "created_at",
    "file_name",
    "supplier_name",
    "payment_date",
    "due_date",
    "scheduled_date",
    "total_amount",
)
"""What ``GET /v2/supplier_invoices`` sorts on (default ``created_at:desc``)."""


class AvailableActionReasons(QontoModel, frozen=True, kw_only=True):
    """Why an action is unavailable (e.g. ``pay == ["is_credit_note"]``)."""

    pay: list[str] | None = None
    delete: list[str] | None = None
    archive: list[str] | None = None
    unarchive: list[str] | None = None


class AvailableActions(QontoModel, frozen=True, kw_only=True):
    delete: bool | None = None
    archive: bool | None = None
    unarchive: bool | None = None
    pay: bool | None = None
    reasons: AvailableActionReasons | None = None


class ApprovalWorkflow(QontoModel, frozen=True, kw_only=True):
    approver_ids: list[str] | None = None
    supplier_invoice_request_id: str | None = None
    verified_by: str | None = None
    last_approved_by: str | None = None


class RelatedInvoice(QontoModel, frozen=True, kw_only=True):
    id: str | None = None
    invoice_number: str | None = None
    total_amount: Amount | None = None
    attachment_id: str | None = None
    file_name: str | None = None


class SuggestedTransaction(QontoModel, frozen=True, kw_only=True):
    id: str | None = None
    score: Decimal | None = None


class RequestTransfer(QontoModel, frozen=True, kw_only=True):
    id: str | None = None
    initiator_id: str | None = None


class SupplierInvoiceMeta(QontoModel, frozen=True, kw_only=True):
    """The invoice's own ``meta`` block (integration details), not pagination."""

    integration_type: str | None = None
    connector: str | None = None
    accounting_recorded_at: Timestamp | None = None
    accounting_recorded_source: str | None = None


class SupplierInvoice(QontoModel, frozen=True, kw_only=True):
    """``status`` is one of :data:`SUPPLIER_INVOICE_STATUSES`; the set is open (new values
    pass through)."""

    id: str
    is_einvoice: bool | None = None
    has_discrepancies: bool | None = None
    organization_id: str | None = None
    file_name: str | None = None
    status: str | None = None
    source_type: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    attachment_id: str | None = None
    display_attachment_id: str | None = None
    declined_note: str | None = None
    e_invoice_type: str | None = None
    has_duplicates: bool | None = None
    invoice_number: str | None = None
    supplier_name: str | None = None
    supplier_id: str | None = None
    issuer_name: str | None = None
    self_invoice_id: str | None = None
    vat_number: str | None = None
    tin: str | None = None
    description: str | None = None
    total_amount: Amount | None = None
    issue_date: Day | None = None
    due_date: Day | None = None
    payment_date: Day | None = None
    scheduled_date: Day | None = None
    iban: str | None = None
    initiator_id: str | None = None
    source: str | None = None
    is_attachment_invoice: bool | None = None
    attachment_category: str | None = None
    is_attachment_non_financial: bool | None = None
    analyzed_at: Timestamp | None = None
    matched_transactions: list[str] | None = None
    transfer_ids: list[str] | None = None
    request_transfer: RequestTransfer | None = None
    einvoicing_lifecycle_events: list[EInvoicingLifecycleEvent] | None = None
    meta: SupplierInvoiceMeta | None = None
    available_actions: AvailableActions | None = None
    approval_workflow: ApprovalWorkflow | None = None
    payable_amount: Amount | None = None
    total_amount_credit_notes: Amount | None = None
    is_credit_note: bool | None = None
    has_suggested_credit_notes: bool | None = None
    related_invoices: list[RelatedInvoice] | None = None
    suggested_transactions: list[SuggestedTransaction] | None = None


class SupplierInvoiceList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/supplier_invoices``."""

    items: list[SupplierInvoice] = msgspec.field(name="supplier_invoices")
    meta: Meta | None = None


class _SupplierInvoiceEnvelope(QontoModel, frozen=True, kw_only=True):
    supplier_invoice: SupplierInvoice


_SUPPLIER_INVOICE = model_decoder(_SupplierInvoiceEnvelope)
_SUPPLIER_INVOICE_LIST = model_decoder(SupplierInvoiceList)
decode_supplier_invoice_page = page_decoder(SupplierInvoiceList, SupplierInvoice)
"""``{"supplier_invoices": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


_BARE_SUPPLIER_INVOICE = model_decoder(SupplierInvoice)


def decode_supplier_invoice_either(data: bytes) -> SupplierInvoice:
    """``{"supplier_invoice": {...}}`` or the bare object, as ``mark_as_paid``'s documented
    example answers (its envelope is unconfirmed)."""
    try:
        return decode_supplier_invoice(data)
    except msgspec.ValidationError:
        return _BARE_SUPPLIER_INVOICE.decode(data)


def decode_supplier_invoice(data: bytes) -> SupplierInvoice:
    """Decode ``{"supplier_invoice": {...}}``."""
    return _SUPPLIER_INVOICE.decode(data).supplier_invoice


def decode_supplier_invoice_list(data: bytes) -> SupplierInvoiceList:
    """Decode ``{"supplier_invoices": [...], "meta": {...}}``."""
    return _SUPPLIER_INVOICE_LIST.decode(data)
