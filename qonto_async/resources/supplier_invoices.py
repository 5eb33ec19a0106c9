from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Unpack

import msgspec

from .._body import date_text
from .._http.raw import RawMethod
from .._http.transport import Transport
from .._listing.paginator import Paginator
from .._listing.spec import ListingSpec
from ..errors import QontoError
from ..models.requests import RequestOptions
from ..models.supplier_invoice import (
    SUPPLIER_INVOICE_SORT_FIELDS,
    SUPPLIER_INVOICE_STATUSES,
    SupplierInvoice,
    SupplierInvoiceStatus,
    decode_supplier_invoice,
    decode_supplier_invoice_either,
    decode_supplier_invoice_page,
)
from ._base import RawReader
from ._bulk_upload import UploadInput, upload_in_chunks
from ._listable import ListableResource
from ._params import ListOptions, Query, add, flag, statuses
from ._writes import Transition, WriteOptions, step

__all__ = ["RawSupplierInvoices", "SupplierInvoicesResource"]

DUE_DATE_FILTERS = frozenset({"past_and_today", "future", "missing_date"})
BULK_SOURCES = frozenset(
    {
        "pay_by_invoice",
        "supplier_invoices",
        "integration",
        "transaction_attachment",
        "generic_upload",
    }
)
MARK_AS_PAID = Transition(
    "mark_as_paid",
    frozenset(
        {"to_review", "to_approve", "pending", "awaiting_payment", "to_pay", "paid", "archived"}
    ),
    frozenset({"paid"}),
)
UNMARK_AS_PAID = Transition("unmark_as_paid", frozenset({"paid"}), frozenset({"to_review"}))


class SupplierInvoicesResource(ListableResource[SupplierInvoice]):
    """``/v2/supplier_invoices`` (scope ``supplier_invoice.read``)."""

    _path = "/v2/supplier_invoices"
    _listing = ListingSpec(key="created_at", sorts=SUPPLIER_INVOICE_SORT_FIELDS)

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_supplier_invoice, decode_supplier_invoice_page)

    def list(
        self,
        *,
        status: SupplierInvoiceStatus | Iterable[SupplierInvoiceStatus] | None = None,
        due_date: str | None = None,
        attachment_id: str | None = None,
        missing_data: bool | None = None,
        matched_transactions: bool | None = None,
        exclude_credit_notes: bool | None = None,
        query: str | None = None,
        query_fields: str | Iterable[str] | None = None,
        **options: Unpack[ListOptions],
    ) -> Paginator[SupplierInvoice]:
        """Every supplier invoice matching the filters.

        ``status`` is one status or several, among ``SUPPLIER_INVOICE_STATUSES`` (sent as
        repeated ``filter[status][]`` keys, as this endpoint expects; any other value is a
        ``ValueError`` before any request); ``due_date`` is ``past_and_today``, ``future`` or
        ``missing_date``; ``query`` searches the ``query_fields``. Newest first by default;
        see :class:`~qonto_async.Paginator` for ``limit``, ``start`` and what each order
        guarantees while the data changes.
        """
        params: Query = []
        if status is not None:
            chosen = statuses("status", status, SUPPLIER_INVOICE_STATUSES)
            params.extend(("filter[status][]", s) for s in chosen)
        if due_date is not None:
            if due_date not in DUE_DATE_FILTERS:
                raise ValueError(f"due_date must be one of {sorted(DUE_DATE_FILTERS)}")
            add(params, "filter[due_date]", due_date)
        add(params, "filter[attachment_id]", attachment_id)
        for key, toggle in (
            ("missing_data", missing_data),
            ("matched_transactions", matched_transactions),
            ("exclude_credit_notes", exclude_credit_notes),
        ):
            if toggle is not None:
                add(params, f"filter[{key}]", flag(toggle))
        add(params, "query", query)
        if query_fields is not None:
            fields = [query_fields] if isinstance(query_fields, str) else list(query_fields)
            add(params, "query_fields", ",".join(fields))
        return self._paginate(params, options)

    # -- writes --------------------------------------------------------------------------

    async def create_many(
        self,
        files: Iterable[UploadInput],
        *,
        source: str | None = None,
        meta: Mapping[str, Any] | None = None,
        skip_attachment_matcher: bool | None = None,
        max_concurrency: int = 4,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> builtins.list[SupplierInvoice | QontoError]:
        """Upload supplier invoices (PDF, JPEG, PNG): one result per file, in input order,
        the created :class:`~qonto_async.SupplierInvoice` (status ``to_review``) or why it
        failed (:class:`~qonto_async.FileRejectedError`, or the error of its whole request).

        ``files`` are paths, binary file objects, ``(file_name, bytes)`` pairs or
        :class:`~qonto_async.BulkFile` s. They go 20 per request (at most 15 MB each request),
        ``max_concurrency`` requests at a time. Each file's idempotency key is derived from its
        content unless a ``BulkFile`` gives one, so uploading a file again returns the invoice
        it made the first time instead of a duplicate.
        """
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        fields: dict[str, str] = {}
        if source is not None:
            if source not in BULK_SOURCES:
                raise ValueError(f"source must be one of {sorted(BULK_SOURCES)}")
            fields["source"] = source
        if meta is not None:
            fields["meta"] = msgspec.json.encode(dict(meta)).decode()
        if skip_attachment_matcher is not None:
            fields["skip_attachment_matcher"] = flag(skip_attachment_matcher)
        return await upload_in_chunks(
            self._transport,
            files,
            concurrency=max_concurrency,
            fields=fields,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    async def mark_as_paid(
        self,
        id: str,
        *,
        payment_date: dt.date | str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SupplierInvoice:
        """Record (bookkeeping only, no money moves) that the invoice was paid on
        ``payment_date`` (today by default). Not from ``scheduled``; already paid is a no-op."""
        inner = (
            {}
            if payment_date is None
            else {"payment_date": date_text(payment_date, "payment_date")}
        )
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        # This endpoint's body is wrapped, unlike the others.
        return await self._step(id, MARK_AS_PAID, {"supplier_invoice": inner}, options)

    async def unmark_as_paid(self, id: str, **options: Unpack[RequestOptions]) -> SupplierInvoice:
        """Take a paid invoice back to ``to_review`` (its payment date is cleared)."""
        return await self._step(id, UNMARK_AS_PAID, {}, WriteOptions.of(options))

    @property
    def with_raw_response(self) -> RawSupplierInvoices:
        """The same methods, each returning a :class:`~qonto_async.RawResponse` around what
        it returns (see ``ReadableResource.with_raw_response``)."""
        return RawSupplierInvoices(self)

    async def _step(
        self, id: str, action: Transition, body: Any, options: WriteOptions
    ) -> SupplierInvoice:
        invoice: SupplierInvoice = await step(
            self, id, action, options, json=body, decode=decode_supplier_invoice_either
        )
        return invoice


class RawSupplierInvoices(RawReader[SupplierInvoice]):
    """``qonto.supplier_invoices.with_raw_response`` (``create_many``: the last request's
    answer)."""

    create_many = RawMethod(SupplierInvoicesResource.create_many)
    mark_as_paid = RawMethod(SupplierInvoicesResource.mark_as_paid)
    unmark_as_paid = RawMethod(SupplierInvoicesResource.unmark_as_paid)
