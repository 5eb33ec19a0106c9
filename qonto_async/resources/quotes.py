from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Unpack

from .._body import body_of
from .._http.raw import RawMethod
from .._http.transport import Transport
from .._listing.paginator import Paginator
from .._listing.spec import ListingSpec
from ..models.quote import (
    QUOTE_STATUSES,
    CreditNote,
    Quote,
    QuoteStatus,
    decode_credit_note,
    decode_credit_note_page,
    decode_quote,
    decode_quote_page,
)
from ..models.requests import QuoteCreateFields
from ._base import RawReader
from ._listable import ListableResource
from ._params import ListOptions, Query, add, statuses
from ._writes import WriteOptions, write

__all__ = ["CreditNotesResource", "QuotesResource", "RawQuotes"]

SORT_FIELDS = ("created_at",)


class QuotesResource(ListableResource[Quote]):
    """``/v2/quotes`` (scopes ``client_invoices.read``, ``client_invoice.write``)."""

    _path = "/v2/quotes"
    # Our references document no filters for quotes; the walk checks every answer and reads
    # by page number if the server does not apply them.
    _listing = ListingSpec(key="created_at", sorts=SORT_FIELDS)

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_quote, decode_quote_page)

    def list(
        self,
        *,
        status: QuoteStatus | Iterable[QuoteStatus] | None = None,
        **options: Unpack[ListOptions],
    ) -> Paginator[Quote]:
        """Every quote matching the filters, newest first (exactly once; see
        :class:`~qonto_async.Paginator`). ``status``: ``pending_approval``, ``approved``,
        ``canceled``, one or several (any other value is a ``ValueError``)."""
        query: Query = []
        if status is not None:
            add(query, "filter[status]", ",".join(statuses("status", status, QUOTE_STATUSES)))
        return self._paginate(query, options)

    async def create(
        self,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **fields: Unpack[QuoteCreateFields],
    ) -> Quote:
        """Create a quote for ``client_id``, valid until ``expiry_date``. ``number`` is
        required when the organisation numbers its documents by hand (Qonto's default)."""
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        body = body_of(QuoteCreateFields, fields, call="quotes.create")
        quote: Quote = await write(
            self._transport, "POST", self._path, decode_quote, options, json=body
        )
        return quote

    @property
    def with_raw_response(self) -> RawQuotes:
        """The same methods, each returning a :class:`~qonto_async.RawResponse` around what
        it returns (see ``ReadableResource.with_raw_response``)."""
        return RawQuotes(self)


class RawQuotes(RawReader[Quote]):
    """``qonto.quotes.with_raw_response``."""

    create = RawMethod(QuotesResource.create)


class CreditNotesResource(ListableResource[CreditNote]):
    """``/v2/credit_notes`` (scope ``client_invoices.read``)."""

    _path = "/v2/credit_notes"
    _listing = ListingSpec(key="created_at", sorts=SORT_FIELDS)

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_credit_note, decode_credit_note_page)

    def list(
        self,
        **options: Unpack[ListOptions],
    ) -> Paginator[CreditNote]:
        """Every credit note, newest first (exactly once; see :class:`~qonto_async.Paginator`)."""
        query: Query = []
        return self._paginate(query, options)
