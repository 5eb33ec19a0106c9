from __future__ import annotations

from collections.abc import Mapping

from .._http.idempotency import new_key
from .._http.raw import RawMethod, RawResponses
from ..models.client_invoice_upload import ClientInvoiceUpload, decode_client_invoice_upload
from ._base import Resource
from ._uploads import FileInput, upload_form

__all__ = ["ClientInvoiceUploadsResource", "RawClientInvoiceUploads"]

PATH = "/v2/client_invoices/uploads"


class ClientInvoiceUploadsResource(Resource):
    """``/v2/client_invoices/uploads``: files to attach to client invoices or quotes."""

    async def get(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ClientInvoiceUpload:
        """The upload's metadata (its ``url`` is a link to the file)."""
        return await self._get_one(
            PATH, id, decode_client_invoice_upload, timeout=timeout, extra_headers=extra_headers
        )

    @property
    def with_raw_response(self) -> RawClientInvoiceUploads:
        """``get`` and ``create``, each returning a :class:`~qonto_async.RawResponse`."""
        return RawClientInvoiceUploads(self)

    async def create(
        self,
        file: FileInput,
        filename: str | None = None,
        content_type: str | None = None,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ClientInvoiceUpload:
        """Upload a PDF, JPEG or PNG; pass the returned ``id`` as ``upload_id`` later.

        ``file`` is bytes, a path or a binary file object (read once, before sending).
        Every attempt carries the same ``X-Qonto-Idempotency-Key`` (a new UUID4 unless you
        give one; an empty one is a ``ValueError``), so a retry after a lost answer cannot
        create a second upload.
        """
        key = new_key(idempotency_key)
        form = upload_form("client_invoices_upload", file, filename, content_type)
        return await self._transport.request(
            "POST",
            PATH,
            decode_client_invoice_upload,
            form=form,
            idempotency_key=key,
            headers=extra_headers,
            timeout=timeout,
        )


class RawClientInvoiceUploads(RawResponses):
    """``qonto.client_invoice_uploads.with_raw_response``."""

    get = RawMethod(ClientInvoiceUploadsResource.get)
    create = RawMethod(ClientInvoiceUploadsResource.create)
