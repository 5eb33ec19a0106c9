"""Pydantic v2 models equivalent to `qonto_async.models` (what many users write by hand).

Same shape and the same typing rules as ours: every field optional with default None, money as
`Amount(value: Decimal, currency: str)`, `*_cents` as int, quantities/rates as Decimal, dates as
`datetime.date`, timestamps as aware `datetime.datetime`, an empty string where a date or
timestamp belongs decodes to None, unknown fields ignored, enum-like fields plain `str`, frozen.
Used by the throughput contender (d) and by the decode benchmark.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _empty_to_none(value: Any) -> Any:
    return None if value == "" else value


Date = Annotated[dt.date | None, BeforeValidator(_empty_to_none)]
Timestamp = Annotated[dt.datetime | None, BeforeValidator(_empty_to_none)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Amount(_Model):
    value: Decimal | None = None
    currency: str | None = None


class Discount(_Model):
    type: str | None = None
    value: Decimal | None = None
    amount: Amount | None = None


class InvoiceItem(_Model):
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


class Address(_Model):
    street_address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    province_code: str | None = None
    country_code: str | None = None


class Phone(_Model):
    country_code: str | None = None
    number: str | None = None


class Client(_Model):
    id: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None
    phone: Phone | None = None
    kind: str | None = None
    type: str | None = None
    email: str | None = None
    extra_emails: list[str] | None = None
    currency: str | None = None
    e_invoicing_address: str | None = None
    e_invoicing_reachable: bool | None = None
    vat_number: str | None = None
    tax_identification_number: str | None = None
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    billing_address: Address | None = None
    delivery_address: Address | None = None
    recipient_code: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    locale: str | None = None


class PaymentMethod(_Model):
    beneficiary_name: str | None = None
    bic: str | None = None
    iban: str | None = None
    type: str | None = None


class InvoiceOrganization(_Model):
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


class WelfareFund(_Model):
    type: str | None = None
    rate: Decimal | None = None


class WithholdingTax(_Model):
    reason: str | None = None
    rate: Decimal | None = None
    payment_reason: str | None = None
    amount: Decimal | None = None


class PaymentReporting(_Model):
    conditions: str | None = None
    method: str | None = None


class EInvoicingLifecycleEvent(_Model):
    status_code: int | None = None
    reason: str | None = None
    reason_message: str | None = None
    timestamp: Timestamp = None


class ClientInvoice(_Model):
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
    issue_date: Date = None
    due_date: Date = None
    performance_date: Date = None
    performance_start_date: Date = None
    performance_end_date: Date = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    finalized_at: Timestamp = None
    paid_at: Timestamp = None
    canceled_at: Timestamp = None
    stamp_duty_amount: Decimal | None = None
    items: list[InvoiceItem] | None = None
    client: Client | None = None
    payment_methods: list[PaymentMethod] | None = None
    credit_notes_ids: list[str] | None = None
    organization: InvoiceOrganization | None = None
    invoice_type: str | None = None
    attachment_id: str | None = None
    discount: Discount | None = None
    einvoicing_status: str | None = None
    welfare_fund: WelfareFund | None = None
    withholding_tax: WithholdingTax | None = None
    payment_reporting: PaymentReporting | None = None
    einvoicing_lifecycle_events: list[EInvoicingLifecycleEvent] | None = None


class ClientInvoiceResponse(_Model):
    """`GET /v2/client_invoices/{id}`."""

    client_invoice: ClientInvoice


class PaginationMeta(_Model):
    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None
    per_page: int | None = None


class ClientInvoiceList(_Model):
    """`GET /v2/client_invoices`."""

    client_invoices: list[ClientInvoice]
    meta: PaginationMeta | None = None


class SupplierInvoiceMeta(_Model):
    integration_type: str | None = None
    connector: str | None = None
    accounting_recorded_at: Timestamp = None
    accounting_recorded_source: str | None = None


class RequestTransfer(_Model):
    id: str | None = None
    initiator_id: str | None = None


class AvailableActionReasons(_Model):
    pay: list[str] | None = None
    delete: list[str] | None = None
    archive: list[str] | None = None
    unarchive: list[str] | None = None


class AvailableActions(_Model):
    delete: bool | None = None
    archive: bool | None = None
    unarchive: bool | None = None
    pay: bool | None = None
    reasons: AvailableActionReasons | None = None


class ApprovalWorkflow(_Model):
    approver_ids: list[str] | None = None
    supplier_invoice_request_id: str | None = None
    verified_by: str | None = None
    last_approved_by: str | None = None


class RelatedInvoice(_Model):
    id: str | None = None
    invoice_number: str | None = None
    total_amount: Amount | None = None
    attachment_id: str | None = None
    file_name: str | None = None


class SuggestedTransaction(_Model):
    id: str | None = None
    score: Decimal | None = None


class SupplierInvoice(_Model):
    id: str
    is_einvoice: bool | None = None
    has_discrepancies: bool | None = None
    organization_id: str | None = None
    file_name: str | None = None
    status: str | None = None
    source_type: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    attachment_id: str | None = None
    display_attachment_id: str | None = None
    declined_note: str | None = None
    e_invoice_type: str | None = None
    has_duplicates: bool | None = None
    invoice_number: str | None = None
    supplier_name: str | None = None
    vat_number: str | None = None
    tin: str | None = None
    description: str | None = None
    total_amount: Amount | None = None
    issue_date: Date = None
    due_date: Date = None
    payment_date: Date = None
    scheduled_date: Date = None
    iban: str | None = None
    initiator_id: str | None = None
    source: str | None = None
    is_attachment_invoice: bool | None = None
    attachment_category: str | None = None
    is_attachment_non_financial: bool | None = None
    analyzed_at: Timestamp = None
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


class SupplierInvoiceResponse(_Model):
    """`GET /v2/supplier_invoices/{id}`."""

    supplier_invoice: SupplierInvoice


# -- transactions (issue 23): the same fields as `qonto_async.models.Transaction` ---------------


class ProbativeAttachment(_Model):
    status: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    file_content_type: str | None = None
    url: str | None = None


class Attachment(_Model):
    id: str
    created_at: Timestamp = None
    file_name: str | None = None
    file_size: int | None = None
    file_content_type: str | None = None
    url: str | None = None
    probative_attachment: ProbativeAttachment | None = None


class Label(_Model):
    id: str
    name: str | None = None
    parent_id: str | None = None


class Counterparty(_Model):
    counterparty_account_number: str | None = None
    counterparty_account_number_format: str | None = None
    counterparty_bank_identifier: str | None = None
    counterparty_bank_identifier_format: str | None = None


class Cheque(_Model):
    check_number: str | None = None
    check_key: str | None = None


class FinancingInstallment(_Model):
    total_installments_number: int | None = None
    current_installment_number: int | None = None


class PagopaPayment(_Model):
    notice_number: str | None = None
    creditor_fiscal_code: str | None = None
    iuv: str | None = None


class DirectDebitHold(_Model):
    guarding_rate: Decimal | None = None


class Logo(_Model):
    small: str | None = None
    medium: str | None = None


class CashflowCategory(_Model):
    id: str | None = None
    name: str | None = None


class VatItem(_Model):
    amount: Decimal | None = None
    amount_cents: int | None = None
    amount_excluding_vat: Decimal | None = None
    amount_excluding_vat_cents: int | None = None
    rate: Decimal | None = None


class VatDetails(_Model):
    items: list[VatItem] | None = None


class TransactionBankAccount(_Model):
    id: str | None = None
    iban: str | None = None
    bic: str | None = None
    name: str | None = None


class Transaction(_Model):
    """Money as Decimal from a number or a numeric string (pydantic's Decimal takes both; not
    the decimal comma, which ours reads on a retry), the signed amount as a property."""

    id: str
    transaction_id: str
    amount: Decimal
    amount_cents: int | None = None
    local_amount: Decimal
    local_amount_cents: int | None = None
    currency: str
    local_currency: str
    side: str
    operation_type: str
    status: str
    label: str
    subject_type: str
    emitted_at: Timestamp
    updated_at: Timestamp
    settled_at: Timestamp = None
    created_at: Timestamp = None
    settled_balance: Decimal | None = None
    settled_balance_cents: int | None = None
    clean_counterparty_name: str | None = None
    logo: Logo | None = None
    note: str | None = None
    reference: str | None = None
    vat_amount: Decimal | None = None
    vat_amount_cents: int | None = None
    vat_rate: Decimal | None = None
    initiator_id: str | None = None
    label_ids: list[str] | None = None
    attachment_ids: list[str] | None = None
    attachment_lost: bool | None = None
    attachment_required: bool | None = None
    card_last_digits: str | None = None
    category: str | None = None
    cashflow_category: CashflowCategory | None = None
    cashflow_subcategory: CashflowCategory | None = None
    bank_account_id: str | None = None
    bank_account: TransactionBankAccount | None = None
    is_external_transaction: bool | None = None
    attachments: list[Attachment] | None = None
    labels: list[Label] | None = None
    vat_details: VatDetails | None = None
    transfer: Counterparty | None = None
    income: Counterparty | None = None
    swift_income: Counterparty | None = None
    direct_debit: Counterparty | None = None
    direct_debit_collection: Counterparty | None = None
    check: Cheque | None = None
    financing_installment: FinancingInstallment | None = None
    pagopa_payment: PagopaPayment | None = None
    direct_debit_hold: DirectDebitHold | None = None

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.side == "debit" else self.amount


class TransactionList(_Model):
    """`GET /v2/transactions`."""

    transactions: list[Transaction]
    meta: PaginationMeta | None = None
