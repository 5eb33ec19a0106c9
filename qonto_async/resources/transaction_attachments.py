from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from .._http.idempotency import new_key
from .._http.raw import RawMethod, RawResponses
from .._listing.paginator import Paginator
from ..models.attachment import Attachment
from ..models.requests import RequestOptions
from ..models.transaction import decode_transaction_attachment_page
from ._base import Resource, quote_id
from ._numbered import numbered_listing
from ._uploads import FileInput, upload_form
from ._writes import WriteOptions, delete_once, empty

__all__ = ["RawTransactionAttachments", "TransactionAttachmentsResource"]

PATH = "/v2/transactions"


class TransactionAttachmentsResource(Resource):
    """``/v2/transactions/{id}/attachments``: a transaction's receipts (scopes
    ``organization.read``, ``attachment.write``). ``qonto.attachments.get(id)`` and
    ``download(id)`` read one, by the ids in ``transaction.attachment_ids``."""

    def list(
        self,
        transaction_id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Attachment]:
        """The transaction's attachments (``await ....all()``); each ``url`` is a signed link
        valid 30 minutes. Qonto's answer has no ``meta``: pages are read until a short one."""
        path = f"{PATH}/{quote_id(transaction_id)}/attachments"
        return numbered_listing(
            self._transport,
            path,
            decode_transaction_attachment_page,
            prefetch=1,
            timeout=timeout,
            extra_headers=extra_headers,
            resource_id=transaction_id,
        )

    async def create(
        self,
        transaction_id: str,
        file: FileInput,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Attach a PDF, JPEG or PNG receipt to the transaction.

        Qonto processes it in the background: it appears in ``attachment_ids`` and
        :meth:`list` a little later (and the transaction's ``updated_at`` moves then), so
        this returns nothing. Every attempt carries the same ``X-Qonto-Idempotency-Key`` (a
        new UUID4 unless you give one), so a retry after a lost answer cannot attach twice.
        ``file`` is bytes (with ``filename``), a path or a binary file object.
        """
        path = f"{PATH}/{quote_id(transaction_id)}/attachments"
        key = new_key(idempotency_key)
        form = upload_form("file", file, filename, content_type)
        # Qonto answers 200 with no documented body: whatever it sends is not read.
        await self._transport.request(
            "POST",
            path,
            empty,
            form=form,
            idempotency_key=key,
            resource_id=transaction_id,
            headers=extra_headers,
            timeout=timeout,
        )

    async def delete(
        self, transaction_id: str, attachment_id: str, **options: Unpack[RequestOptions]
    ) -> None:
        """Remove one attachment from the transaction. A retry that finds it gone already
        counts as done."""
        path = f"{PATH}/{quote_id(transaction_id)}/attachments/{quote_id(attachment_id)}"
        await delete_once(
            self._transport, path, WriteOptions.of(options), resource_id=attachment_id
        )

    async def delete_all(self, transaction_id: str, **options: Unpack[RequestOptions]) -> None:
        """Remove every attachment of the transaction."""
        path = f"{PATH}/{quote_id(transaction_id)}/attachments"
        await delete_once(
            self._transport, path, WriteOptions.of(options), resource_id=transaction_id
        )

    @property
    def with_raw_response(self) -> RawTransactionAttachments:
        """Each method but ``list``, returning a :class:`~qonto_async.RawResponse`."""
        return RawTransactionAttachments(self)


class RawTransactionAttachments(RawResponses):
    """``qonto.transaction_attachments.with_raw_response``."""

    create = RawMethod(TransactionAttachmentsResource.create)
    delete = RawMethod(TransactionAttachmentsResource.delete)
    delete_all = RawMethod(TransactionAttachmentsResource.delete_all)
