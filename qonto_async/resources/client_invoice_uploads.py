from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from typing import BinaryIO

import aiohttp

from .._http.idempotency import new_key
from .._http.raw import RawMethod, RawResponses
from ..models.client_invoice_upload import ClientInvoiceUpload, decode_client_invoice_upload
from ._base import Resource

__all__ = ["ClientInvoiceUploadsResource", "FileInput", "RawClientInvoiceUploads", "read_file"]

PATH = "/v2/client_invoices/uploads"
ACCEPTED_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})

FileInput = bytes | str | os.PathLike[str] | BinaryIO


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
        content, filename = read_file(file, filename)
        content_type = content_type or mimetypes.guess_type(filename)[0]
        if content_type not in ACCEPTED_TYPES:
            raise ValueError(
                f"Qonto accepts PDF, JPEG or PNG uploads; {filename!r} is {content_type!r}: "
                "pass content_type= if the name misleads"
            )

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field(
                "client_invoices_upload", content, filename=filename, content_type=content_type
            )
            return data

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


def read_file(file: FileInput, filename: str | None) -> tuple[bytes, str]:
    """``file``'s content and name (bytes need ``filename``)."""
    if isinstance(file, bytes | bytearray | memoryview):
        if not filename:
            raise ValueError("filename= is required when uploading bytes")
        return bytes(file), filename
    if isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        with open(path, "rb") as handle:
            return handle.read(), filename or os.path.basename(path)
    content = file.read()
    if not isinstance(content, bytes):
        raise TypeError("file objects must be opened in binary mode")
    name = filename or os.path.basename(str(getattr(file, "name", "") or ""))
    if not name:
        raise ValueError("filename= is required for a file object without a name")
    return content, name
