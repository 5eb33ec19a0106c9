"""What the SDK sends: invoice lines as Structs, and the fields each write takes.

Every write takes keyword arguments named as Qonto's JSON keys (``clients.create(kind=...,
name=...)``); the ``TypedDict`` s below are those keywords, so mypy checks a call's names and
types, and the SDK checks them again at run time (a wrong name or type is a ``TypeError``, a
wrong value a ``ValueError``, before any request). Nested objects take the SDK's Structs
(:class:`InvoiceItem`, :class:`~qonto_async.Amount`, :class:`~qonto_async.Address`) or plain
dicts. Money, quantities and rates are ``Decimal`` (or decimal strings), never ``float``;
dates are ``datetime.date`` (or ``YYYY-MM-DD``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Required, TypedDict

import msgspec

from .client_invoice import Discount
from .common import Address, Amount, Phone

__all__ = [
    "ClientCreateFields",
    "ClientFields",
    "ClientInvoiceCreateFields",
    "ClientInvoiceFields",
    "InvoiceItem",
    "QuoteCreateFields",
]

DecimalInput = Decimal | int | str
DateInput = datetime.date | str


class InvoiceItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
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
    name: str
    first_name: str
    last_name: str
    email: str
    extra_emails: Sequence[str]
    phone: Phone | Mapping[str, Any]
    e_invoicing_address: str
    vat_number: str
    tax_identification_number: str
    address: str
    city: str
    zip_code: str
    province_code: str
    country_code: str
    billing_address: Address | Mapping[str, Any]
    delivery_address: Address | Mapping[str, Any]
    recipient_code: str
    currency: str
    locale: str


class ClientFields(_ClientDetails, total=False):
    """What ``clients.update`` takes."""

    kind: str


class ClientCreateFields(_ClientDetails, total=False):
    """What ``clients.create`` takes."""

    kind: Required[str]


class _InvoiceDetails(TypedDict, total=False):
    currency: str
    payment_methods: Mapping[str, Any]
    number: str
    purchase_order: str
    terms_and_conditions: str
    header: str
    footer: str
    performance_start_date: DateInput
    performance_end_date: DateInput
    upload_id: str
    quote_id: str
    discount: Discount | Mapping[str, Any]
    settings: Mapping[str, Any]
    report_einvoicing: bool


class ClientInvoiceFields(_InvoiceDetails, total=False):
    """What ``client_invoices.update`` takes (a draft's fields)."""

    client_id: str
    issue_date: DateInput
    due_date: DateInput
    items: Sequence[ItemInput]


class ClientInvoiceCreateFields(_InvoiceDetails, total=False):
    """``client_invoices.create``: a draft unless ``status="unpaid"`` (finalized at once)."""

    client_id: Required[str]
    issue_date: Required[DateInput]
    due_date: Required[DateInput]
    items: Required[Sequence[ItemInput]]
    status: str


class QuoteCreateFields(TypedDict, total=False):
    client_id: Required[str]
    issue_date: Required[DateInput]
    expiry_date: Required[DateInput]
    items: Required[Sequence[ItemInput]]
    currency: str
    number: str
    terms_and_conditions: str
    header: str
    footer: str
    upload_id: str
    discount: Discount | Mapping[str, Any]
    settings: Mapping[str, Any]
