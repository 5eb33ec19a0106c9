"""Quotes (``/v2/quotes``) and credit notes (``/v2/credit_notes``): the invoicing flow's
other documents."""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

from ._dates import Day, Timestamp
from .client import Client
from .client_invoice import ClientInvoiceItem, Discount
from .common import Amount, Meta, QontoModel, model_decoder, page_decoder

__all__ = [
    "QUOTE_STATUSES",
    "CreditNote",
    "CreditNoteList",
    "Quote",
    "QuoteList",
    "QuoteStatus",
    "decode_credit_note",
    "decode_credit_note_list",
    "decode_quote",
    "decode_quote_list",
]

QuoteStatus = Literal["pending_approval", "approved", "canceled"]
"""A quote status Qonto documents: what ``quotes.list(status=...)`` takes. Credit notes have
no status (and their list no status filter)."""

QUOTE_STATUSES: tuple[QuoteStatus, ...] = get_args(QuoteStatus)


class Quote(QontoModel, frozen=True, kw_only=True):
    """``status`` is one of :data:`QUOTE_STATUSES` (others pass through)."""

    id: str
    organization_id: str | None = None
    number: str | None = None
    status: str | None = None
    currency: str | None = None
    total_amount: Amount | None = None
    total_amount_cents: int | None = None
    vat_amount: Amount | None = None
    vat_amount_cents: int | None = None
    issue_date: Day | None = None
    expiry_date: Day | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    terms_and_conditions: str | None = None
    header: str | None = None
    footer: str | None = None
    discount: Discount | None = None
    items: list[ClientInvoiceItem] | None = None
    client: Client | None = None
    attachment_id: str | None = None
    invoice_ids: list[str] | None = None
    quote_url: str | None = None


class CreditNote(QontoModel, frozen=True, kw_only=True):
    """A credit note against ``invoice_id``; amounts and quantities are negative."""

    id: str
    invoice_id: str | None = None
    attachment_id: str | None = None
    issue_date: Day | None = None
    invoice_issue_date: Day | None = None
    number: str | None = None
    reason: str | None = None
    currency: str | None = None
    total_amount: Amount | None = None
    total_amount_cents: int | None = None
    vat_amount: Amount | None = None
    vat_amount_cents: int | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    einvoicing_status: str | None = None
    items: list[ClientInvoiceItem] | None = None
    client: Client | None = None


class QuoteList(QontoModel, frozen=True, kw_only=True):
    items: list[Quote] = msgspec.field(name="quotes")
    meta: Meta | None = None


class CreditNoteList(QontoModel, frozen=True, kw_only=True):
    items: list[CreditNote] = msgspec.field(name="credit_notes")
    meta: Meta | None = None


class _QuoteEnvelope(QontoModel, frozen=True, kw_only=True):
    quote: Quote


class _CreditNoteEnvelope(QontoModel, frozen=True, kw_only=True):
    credit_note: CreditNote


_QUOTE = model_decoder(_QuoteEnvelope)
_QUOTE_LIST = model_decoder(QuoteList)
_CREDIT_NOTE = model_decoder(_CreditNoteEnvelope)
_CREDIT_NOTE_LIST = model_decoder(CreditNoteList)
decode_quote_page = page_decoder(QuoteList, Quote)
"""``{"quotes": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""
decode_credit_note_page = page_decoder(CreditNoteList, CreditNote)
"""``{"credit_notes": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_quote(data: bytes) -> Quote:
    return _QUOTE.decode(data).quote


def decode_quote_list(data: bytes) -> QuoteList:
    return _QUOTE_LIST.decode(data)


def decode_credit_note(data: bytes) -> CreditNote:
    return _CREDIT_NOTE.decode(data).credit_note


def decode_credit_note_list(data: bytes) -> CreditNoteList:
    return _CREDIT_NOTE_LIST.decode(data)
