from __future__ import annotations

import datetime as dt
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Unpack

from .._body import body_of, date_text
from .._http.raw import RawMethod
from .._http.transport import Transport
from .._listing.paginator import Paginator
from .._listing.spec import ListingSpec
from ..models.client_invoice import (
    CLIENT_INVOICE_SORT_FIELDS,
    CLIENT_INVOICE_STATUSES,
    ClientInvoice,
    ClientInvoiceStatus,
    decode_client_invoice,
    decode_client_invoice_page,
)
from ..models.requests import ClientInvoiceCreateFields, ClientInvoiceFields, RequestOptions
from ._base import RawReader
from ._listable import ListableResource
from ._params import ListOptions, Query, add, flag, statuses
from ._writes import Transition, WriteOptions, empty, step, write

__all__ = ["ClientInvoicesResource", "RawClientInvoices"]

# Qonto's client-invoice lifecycle: draft -> unpaid -> paid / canceled.
UPDATE = Transition("update", frozenset({"draft"}))
DELETE = Transition("delete", frozenset({"draft"}))
FINALIZE = Transition("finalize", frozenset({"draft"}), frozenset({"unpaid"}))
SEND = Transition("send", frozenset({"unpaid", "paid"}))
MARK_AS_PAID = Transition("mark_as_paid", frozenset({"unpaid", "paid"}), frozenset({"paid"}))
UNMARK_AS_PAID = Transition("unmark_as_paid", frozenset({"paid"}), frozenset({"unpaid"}))
MARK_AS_CANCELED = Transition("mark_as_canceled", frozenset({"unpaid"}), frozenset({"canceled"}))


class ClientInvoicesResource(ListableResource[ClientInvoice]):
    """``/v2/client_invoices`` (scope ``client_invoices.read``)."""

    _path = "/v2/client_invoices"
    _listing = ListingSpec(key="created_at", sorts=CLIENT_INVOICE_SORT_FIELDS)
    # Imported invoices may be left out otherwise (see the README's ledger section).
    _change_filters: ClassVar[dict[str, Any]] = {"exclude_imported": False}

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_client_invoice, decode_client_invoice_page)

    def list(
        self,
        *,
        status: ClientInvoiceStatus | Iterable[ClientInvoiceStatus] | None = None,
        exclude_imported: bool | None = None,
        **options: Unpack[ListOptions],
    ) -> Paginator[ClientInvoice]:
        """Every client invoice matching the filters, newest first unless ``sort_by`` says
        ``created_at:asc``.

        ``status`` is one status or several (``draft``, ``unpaid``, ``paid``, ``canceled``),
        sent comma-separated as this endpoint expects; any other value is a ``ValueError``
        before any request (Qonto would answer an empty list). ``exclude_imported=False``
        includes invoices imported into Qonto, which Qonto may otherwise leave out. See
        :class:`~qonto_async.Paginator` for ``limit``, ``start`` and the guarantees.
        """
        query: Query = []
        if status is not None:
            chosen = statuses("status", status, CLIENT_INVOICE_STATUSES)
            add(query, "filter[status]", ",".join(chosen))
        if exclude_imported is not None:
            add(query, "exclude_imported", flag(exclude_imported))
        return self._paginate(query, options)

    # -- writes --------------------------------------------------------------------------

    async def create(
        self,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **fields: Unpack[ClientInvoiceCreateFields],
    ) -> ClientInvoice:
        """Create a draft invoice (``status="unpaid"`` asks Qonto to finalize it at once).

        ``items`` are :class:`~qonto_async.InvoiceItem` s or dicts; ``payment_methods`` is
        ``{"iban": ...}``, the Qonto account that receives the payment. Amounts are
        computed by Qonto from the items. Pass an ``idempotency_key`` derived from your
        order (``f"invoice-{order.id}"``) so that a request retried by another process or
        after a restart creates one invoice.
        """
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        body = body_of(ClientInvoiceCreateFields, fields, call="client_invoices.create")
        invoice: ClientInvoice = await write(
            self._transport, "POST", self._path, decode_client_invoice, options, json=body
        )
        return invoice

    async def update(
        self,
        id: str,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **fields: Unpack[ClientInvoiceFields],
    ) -> ClientInvoice:
        """Change a draft; any other status is an :class:`~qonto_async.InvalidTransitionError`."""
        body = body_of(ClientInvoiceFields, fields, call="client_invoices.update")
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        invoice: ClientInvoice = await self._step(id, UPDATE, body, options, "PATCH")
        return invoice

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete a draft (only drafts can be deleted: finalized invoices are canceled). A
        retry that finds it gone already counts as done."""
        await self._step(id, DELETE, None, WriteOptions.of(options), "DELETE", decode=empty)

    async def finalize(self, id: str, **options: Unpack[RequestOptions]) -> ClientInvoice:
        """Turn a draft into an issued invoice (``unpaid``), numbered. Its PDF is generated
        about 10 seconds later."""
        invoice: ClientInvoice = await self._step(id, FINALIZE, {}, WriteOptions.of(options))
        return invoice

    async def send(
        self,
        id: str,
        *,
        send_to: Sequence[str],
        email_title: str,
        email_body: str | None = None,
        copy_to_self: bool = True,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Email a finalized invoice to ``send_to`` (one address at least)."""
        if isinstance(send_to, str) or not send_to or not all(isinstance(a, str) for a in send_to):
            raise TypeError("send_to must be a non-empty list of email addresses")
        if not isinstance(email_title, str) or not email_title.strip():
            raise ValueError("email_title must be a non-empty string")
        body: dict[str, Any] = {
            "send_to": list(send_to),
            "email_title": email_title,
            "copy_to_self": copy_to_self,
        }
        if email_body is not None:
            body["email_body"] = email_body
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        await self._step(id, SEND, body, options, decode=empty)

    async def mark_as_paid(
        self,
        id: str,
        *,
        paid_at: dt.date | str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ClientInvoice:
        """Record that an issued invoice was paid on ``paid_at`` (a date, today by default,
        never in the future). On a paid invoice it only moves ``paid_at``."""
        body = {} if paid_at is None else {"paid_at": date_text(paid_at, "paid_at")}
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        invoice: ClientInvoice = await self._step(id, MARK_AS_PAID, body, options)
        return invoice

    async def unmark_as_paid(self, id: str, **options: Unpack[RequestOptions]) -> ClientInvoice:
        """Take a paid invoice back to ``unpaid``."""
        invoice: ClientInvoice = await self._step(id, UNMARK_AS_PAID, {}, WriteOptions.of(options))
        return invoice

    async def mark_as_canceled(self, id: str, **options: Unpack[RequestOptions]) -> ClientInvoice:
        """Cancel an issued, unpaid invoice."""
        invoice: ClientInvoice = await self._step(
            id, MARK_AS_CANCELED, {}, WriteOptions.of(options)
        )
        return invoice

    @property
    def with_raw_response(self) -> RawClientInvoices:
        """The same methods, each returning a :class:`~qonto_async.RawResponse` around what
        it returns (see ``ReadableResource.with_raw_response``)."""
        return RawClientInvoices(self)

    def _step(
        self,
        id: str,
        action: Transition,
        body: Any,
        options: WriteOptions,
        method: str = "POST",
        *,
        decode: Any = decode_client_invoice,
    ) -> Coroutine[Any, Any, Any]:
        return step(self, id, action, options, json=body, decode=decode, method=method)


class RawClientInvoices(RawReader[ClientInvoice]):
    """``qonto.client_invoices.with_raw_response``."""

    create = RawMethod(ClientInvoicesResource.create)
    update = RawMethod(ClientInvoicesResource.update)
    delete = RawMethod(ClientInvoicesResource.delete)
    finalize = RawMethod(ClientInvoicesResource.finalize)
    send = RawMethod(ClientInvoicesResource.send)
    mark_as_paid = RawMethod(ClientInvoicesResource.mark_as_paid)
    unmark_as_paid = RawMethod(ClientInvoicesResource.unmark_as_paid)
    mark_as_canceled = RawMethod(ClientInvoicesResource.mark_as_canceled)
