from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from .._pagination import Paginator, ProgressCallback
from .._transport import Transport
from ..models.client_invoice import (
    CLIENT_INVOICE_SORT_FIELDS,
    ClientInvoice,
    decode_client_invoice,
    decode_client_invoice_list,
)
from ._base import ListableResource
from ._params import Moment, Query, add, add_moments, flag, sort_key, statuses

__all__ = ["ClientInvoicesResource"]


class ClientInvoicesResource(ListableResource[ClientInvoice]):
    """``/v2/client_invoices`` (scope ``client_invoices.read``)."""

    _path = "/v2/client_invoices"
    # Imported invoices may be left out otherwise (see the README's ledger section).
    _change_filters: ClassVar[dict[str, Any]] = {"exclude_imported": False}

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_client_invoice, decode_client_invoice_list)

    def list(
        self,
        *,
        status: str | Iterable[str] | None = None,
        created_at_from: Moment | None = None,
        created_at_to: Moment | None = None,
        updated_at_from: Moment | None = None,
        updated_at_to: Moment | None = None,
        sort_by: str | None = None,
        per_page: int = 100,
        prefetch: int = 4,
        on_progress: ProgressCallback | None = None,
        limit: int | None = None,
        start: str | None = None,
        exclude_imported: bool | None = None,
    ) -> Paginator[ClientInvoice]:
        """Every client invoice matching the filters, newest first unless ``sort_by`` says
        ``created_at:asc``.

        ``status`` is one status or several (``draft``, ``unpaid``, ``paid``, ``canceled``),
        sent comma-separated as this endpoint expects. ``exclude_imported=False`` includes
        invoices imported into Qonto, which Qonto may otherwise leave out. See
        :class:`~qonto_async.Paginator` for ``limit``, ``start`` and the guarantees.
        """
        query: Query = []
        if status is not None:
            add(query, "filter[status]", ",".join(statuses("status", status)))
        add_moments(query, updated_at_from=updated_at_from, updated_at_to=updated_at_to)
        if exclude_imported is not None:
            add(query, "exclude_imported", flag(exclude_imported))
        return self._paginate(
            query,
            sort_by=None if sort_by is None else sort_key(sort_by, CLIENT_INVOICE_SORT_FIELDS),
            created_at_from=created_at_from,
            created_at_to=created_at_to,
            per_page=per_page,
            prefetch=prefetch,
            on_progress=on_progress,
            limit=limit,
            start=start,
        )
