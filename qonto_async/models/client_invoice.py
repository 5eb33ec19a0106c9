"""Client invoices: ``GET /v2/client_invoices/{id}`` and ``GET /v2/client_invoices``."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

import msgspec

from ._dates import Day, Timestamp
from .client import Client
from .common import (
    Amount,
    EInvoicingLifecycleEvent,
    Meta,
    QontoModel,
    model_decoder,
    page_decoder,
)

__all__ = [
    "CLIENT_INVOICE_SORT_FIELDS",
    "CLIENT_INVOICE_STATUSES",
    "ClientInvoice",
    "ClientInvoiceItem",
    "ClientInvoiceList",
    "ClientInvoiceStatus",
    "Discount",
    "OrganizationSnapshot",
    "PaymentMethod",
    "PaymentReporting",
    "WelfareFund",
    "WithholdingTax",
    "decode_client_invoice",
    "decode_client_invoice_list",
]

ClientInvoiceStatus = Literal["draft", "unpaid", "paid", "canceled"]
"""A client-invoice status Qonto documents: what ``client_invoices.list(status=...)`` takes."""

CLIENT_INVOICE_STATUSES: tuple[ClientInvoiceStatus, ...] = get_args(ClientInvoiceStatus)
"""The statuses Qonto documents for client invoices, in lifecycle order."""

CLIENT_INVOICE_SORT_FIELDS = ("created_at",)
"""What ``GET /v2/client_invoices`` sorts on (default ``created_at:desc``)."""


class Discount(QontoModel, frozen=True, kw_only=True):
    """``type`` is ``percentage`` (``value`` 0.1 = 10%) or ``absolute``."""

    type: str | None = None
    value: Decimal | None = None
    amount: Amount | None = None


class ClientInvoiceItem(QontoModel, frozen=True, kw_only=True):
    title: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Amount | None = None
    unit_price_cents: int | None = None
    vat_rate: Decimal | None = None
    vat_exemption_reason: str | None = None
    discount: Discount | None = None
    total_vat: Amount | None = None
    total_vat_cents: int | None = None
    total_amount: Amount | None = None
    total_amount_cents: int | None = None
    subtotal: Amount | None = None
    subtotal_cents: int | None = None


class PaymentMethod(QontoModel, frozen=True, kw_only=True):
    beneficiary_name: str | None = None
    bic: str | None = None
    iban: str | None = None
    type: str | None = None


class OrganizationSnapshot(QontoModel, frozen=True, kw_only=True):
    """The issuing organization as it was when the invoice was issued."""

    id: str | None = None
    legal_name: str | None = None
    legal_number: str | None = None
    legal_country: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    address_zipcode: str | None = None
    address_city: str | None = None
    address_country: str | None = None
    company_leadership: str | None = None
    district_court: str | None = None
    commercial_register_number: str | None = None
    vat_number: str | None = None
    tax_number: str | None = None
    legal_capital_share: Amount | None = None
    transaction_type: str | None = None
    vat_payment_condition: str | None = None


class WelfareFund(QontoModel, frozen=True, kw_only=True):
    type: str | None = None
    rate: Decimal | None = None


class WithholdingTax(QontoModel, frozen=True, kw_only=True):
    reason: str | None = None
    rate: Decimal | None = None
    payment_reason: str | None = None
    amount: Decimal | None = None


class PaymentReporting(QontoModel, frozen=True, kw_only=True):
    conditions: str | None = None
    method: str | None = None


class ClientInvoice(QontoModel, frozen=True, kw_only=True):
    """``status`` is one of :data:`CLIENT_INVOICE_STATUSES` (others pass through)."""

    id: str
    organization_id: str | None = None
    number: str | None = None
    purchase_order: str | None = None
    status: str | None = None
    invoice_url: str | None = None
    contact_email: str | None = None
    terms_and_conditions: str | None = None
    discount_conditions: str | None = None
    late_payment_penalties: str | None = None
    legal_fixed_compensation: str | None = None
    header: str | None = None
    footer: str | None = None
    currency: str | None = None
    total_amount: Amount | None = None
    total_amount_cents: int | None = None
    vat_amount: Amount | None = None
    vat_amount_cents: int | None = None
    issue_date: Day | None = None
    due_date: Day | None = None
    performance_date: Day | None = None
    performance_start_date: Day | None = None
    performance_end_date: Day | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    finalized_at: Timestamp | None = None
    paid_at: Timestamp | None = None
    """A timestamp; an answer carrying only the day (as ``mark_as_paid`` takes it) decodes
    to midnight UTC of that day."""
    canceled_at: Timestamp | None = None
    stamp_duty_amount: Decimal | None = None
    items: list[ClientInvoiceItem] | None = None
    client: Client | None = None
    payment_methods: list[PaymentMethod] | None = None
    credit_notes_ids: list[str] | None = None
    organization: OrganizationSnapshot | None = None
    invoice_type: str | None = None
    attachment_id: str | None = None
    discount: Discount | None = None
    einvoicing_status: str | None = None
    welfare_fund: WelfareFund | None = None
    withholding_tax: WithholdingTax | None = None
    payment_reporting: PaymentReporting | None = None
    einvoicing_lifecycle_events: list[EInvoicingLifecycleEvent] | None = None
    amount_paid: Amount | None = None
    deposit_amount: Amount | None = None


class ClientInvoiceList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/client_invoices``."""

    items: list[ClientInvoice] = msgspec.field(name="client_invoices")
    meta: Meta | None = None


class _ClientInvoiceEnvelope(QontoModel, frozen=True, kw_only=True):
    client_invoice: ClientInvoice


_CLIENT_INVOICE = model_decoder(_ClientInvoiceEnvelope)
_CLIENT_INVOICE_LIST = model_decoder(ClientInvoiceList)
decode_client_invoice_page = page_decoder(ClientInvoiceList, ClientInvoice)
"""``{"client_invoices": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_client_invoice(data: bytes) -> ClientInvoice:
    """Decode ``{"client_invoice": {...}}``."""
    return _CLIENT_INVOICE.decode(data).client_invoice


def decode_client_invoice_list(data: bytes) -> ClientInvoiceList:
    """Decode ``{"client_invoices": [...], "meta": {...}}``."""
    return _CLIENT_INVOICE_LIST.decode(data)
