"""What the SDK sends: invoice lines as Structs, and the fields each write takes.

Every write takes keyword arguments named as Qonto's JSON keys (``clients.create(kind=...,
name=...)``); the ``TypedDict`` s below are those keywords, so mypy checks a call's names and
types, and the SDK checks them again at run time (a wrong name or type is a ``TypeError``, a
wrong value a ``ValueError``, before any request). Nested objects take the SDK's Structs
(:class:`InvoiceItem`, :class:`~qonto_async.Amount`, :class:`~qonto_async.Address`) or plain
dicts. Money, quantities and rates are ``Decimal`` (or decimal strings), never ``float``;
dates are ``datetime.date`` (or ``YYYY-MM-DD``).
"""

# No `from __future__ import annotations`: TypedDict reads Required[...] at class creation.

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Required, TypedDict

from .client_invoice import Discount
from .common import Address, Amount, Phone, QontoModel

__all__ = [
    "ClientCreateFields",
    "ClientFields",
    "ClientInvoiceCreateFields",
    "ClientInvoiceFields",
    "InvoiceItem",
    "QuoteCreateFields",
    "RequestOptions",
]

DecimalInput = Decimal | int | str
DateInput = datetime.date | str


class InvoiceItem(QontoModel, frozen=True, kw_only=True):
    """One line of an invoice, a quote or a credit note.

    ``vat_rate`` is a fraction (``Decimal("0.2")`` is 20%); ``unit_price`` an
    :class:`~qonto_async.Amount`; ``discount`` a :class:`~qonto_async.Discount` of type
    ``percentage`` (``value`` a fraction) or ``absolute``.
    """

    title: str
    quantity: DecimalInput
    unit_price: Amount | Mapping[str, Any]
    vat_rate: DecimalInput
    description: str | None = None
    unit: str | None = None
    vat_exemption_reason: str | None = None
    discount: Discount | Mapping[str, Any] | None = None


ItemInput = InvoiceItem | Mapping[str, Any]


class _ClientDetails(TypedDict, total=False):
    name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    extra_emails: Sequence[str] | None
    phone: Phone | Mapping[str, Any] | None
    e_invoicing_address: str | None
    vat_number: str | None
    tax_identification_number: str | None
    address: str | None
    city: str | None
    zip_code: str | None
    province_code: str | None
    country_code: str | None
    billing_address: Address | Mapping[str, Any] | None
    delivery_address: Address | Mapping[str, Any] | None
    recipient_code: str | None
    currency: str | None
    locale: str | None


class ClientFields(_ClientDetails, total=False):
    """What ``clients.update`` takes; ``None`` clears a field."""

    kind: str | None


class ClientCreateFields(_ClientDetails, total=False):
    """What ``clients.create`` takes."""

    kind: Required[str]


class _InvoiceDetails(TypedDict, total=False):
    currency: str | None
    payment_methods: Mapping[str, Any] | None
    number: str | None
    purchase_order: str | None
    terms_and_conditions: str | None
    header: str | None
    footer: str | None
    performance_start_date: DateInput | None
    performance_end_date: DateInput | None
    upload_id: str | None
    quote_id: str | None
    discount: Discount | Mapping[str, Any] | None
    settings: Mapping[str, Any] | None
    report_einvoicing: bool | None


class ClientInvoiceFields(_InvoiceDetails, total=False):
    """What ``client_invoices.update`` takes (a draft's fields)."""

    client_id: str | None
    issue_date: DateInput | None
    due_date: DateInput | None
    items: Sequence[ItemInput] | None


class ClientInvoiceCreateFields(_InvoiceDetails, total=False):
    """``client_invoices.create``: a draft unless ``status="unpaid"`` (finalized at once)."""

    client_id: Required[str]
    issue_date: Required[DateInput]
    due_date: Required[DateInput]
    items: Required[Sequence[ItemInput]]
    status: str | None


class QuoteCreateFields(TypedDict, total=False):
    client_id: Required[str]
    issue_date: Required[DateInput]
    expiry_date: Required[DateInput]
    items: Required[Sequence[ItemInput]]
    currency: str | None
    number: str | None
    terms_and_conditions: str | None
    header: str | None
    footer: str | None
    upload_id: str | None
    discount: Discount | Mapping[str, Any] | None
    settings: Mapping[str, Any] | None


class RequestOptions(TypedDict, total=False):
    """What every write takes besides its fields: the ``idempotency_key`` naming it (made
    once per call when None; an empty one is a ``ValueError`` before any request), a
    ``timeout`` in seconds for this call, and ``extra_headers``."""

    idempotency_key: str | None
    timeout: float | None
    extra_headers: Mapping[str, str] | None
