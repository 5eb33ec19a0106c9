from __future__ import annotations

from collections.abc import Iterable

from .._pagination import Paginator, ProgressCallback
from .._transport import Transport
from ..models.supplier_invoice import (
    SUPPLIER_INVOICE_SORT_FIELDS,
    SupplierInvoice,
    decode_supplier_invoice,
    decode_supplier_invoice_list,
)
from ._base import ListableResource
from ._params import Moment, Query, add, add_moments, flag, sort_key, statuses

__all__ = ["SupplierInvoicesResource"]

DUE_DATE_FILTERS = frozenset({"past_and_today", "future", "missing_date"})


class SupplierInvoicesResource(ListableResource[SupplierInvoice]):
    """``/v2/supplier_invoices`` (scope ``supplier_invoice.read``)."""

    _path = "/v2/supplier_invoices"

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_supplier_invoice, decode_supplier_invoice_list)

    def list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        due_date: str | None = None,
        created_at_from: Moment | None = None,
        created_at_to: Moment | None = None,
        updated_at_from: Moment | None = None,
        updated_at_to: Moment | None = None,
        attachment_id: str | None = None,
        missing_data: bool | None = None,
        matched_transactions: bool | None = None,
        exclude_credit_notes: bool | None = None,
        query: str | None = None,
        query_fields: str | Iterable[str] | None = None,
        sort_by: str | None = None,
        per_page: int = 100,
        prefetch: int = 4,
        on_progress: ProgressCallback | None = None,
        limit: int | None = None,
        start: str | None = None,
    ) -> Paginator[SupplierInvoice]:
        """Every supplier invoice matching the filters.

        ``status`` is one status or several (sent as repeated ``filter[status][]`` keys, as
        this endpoint expects); ``due_date`` is ``past_and_today``, ``future`` or
        ``missing_date``; ``query`` searches the ``query_fields``. Newest first by default;
        see :class:`~qonto_async.Paginator` for ``limit``, ``start`` and what each order
        guarantees while the data changes.
        """
        params: Query = []
        if status is not None:
            params.extend(("filter[status][]", s) for s in statuses("status", status))
        if due_date is not None:
            if due_date not in DUE_DATE_FILTERS:
                raise ValueError(f"due_date must be one of {sorted(DUE_DATE_FILTERS)}")
            add(params, "filter[due_date]", due_date)
        add_moments(params, updated_at_from=updated_at_from, updated_at_to=updated_at_to)
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
        return self._paginate(
            params,
            sort_by=None if sort_by is None else sort_key(sort_by, SUPPLIER_INVOICE_SORT_FIELDS),
            created_at_from=created_at_from,
            created_at_to=created_at_to,
            per_page=per_page,
            prefetch=prefetch,
            on_progress=on_progress,
            limit=limit,
            start=start,
        )
