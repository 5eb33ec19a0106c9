"""Client-invoice uploads: ``GET /v2/client_invoices/uploads/{id}`` (and its ``POST``)."""

from __future__ import annotations

from typing import Any

import msgspec

from ._dates import Timestamp
from .common import QontoModel, model_decoder

__all__ = ["ClientInvoiceUpload", "decode_client_invoice_upload"]


class _UploadFields(QontoModel, frozen=True, kw_only=True):
    organization_id: str | None = None
    filename: str | None = None
    content_type: str | None = None
    file_size: int | None = None
    url: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class ClientInvoiceUpload(_UploadFields, frozen=True, kw_only=True):
    """An uploaded PDF/JPEG/PNG; pass its ``id`` as ``upload_id`` when creating an invoice.

    ``id`` is the upload's own id, the one Qonto's documentation says to use as
    ``upload_id`` (``data.attributes.id`` in the JSON:API envelope). ``data_id`` is that
    envelope's resource id (``data.id``), which the documentation's example shows
    different; it is ``None`` in the other envelope.
    """

    id: str
    data_id: str | None = None


class _UploadAttributes(_UploadFields, frozen=True, kw_only=True):
    id: str | None = None


class _UploadResource(QontoModel, frozen=True, kw_only=True):
    attributes: _UploadAttributes
    id: str | None = None
    type: str | None = None


class _UploadEnvelope(QontoModel, frozen=True, kw_only=True):
    # Seed 000 documents the JSON:API shape, other doc pages the legacy one: accept both.
    data: _UploadResource | None = None
    client_invoice_upload: _UploadAttributes | None = None


_UPLOAD = model_decoder(_UploadEnvelope)
_SHARED_FIELDS = _UploadFields.__struct_fields__


def decode_client_invoice_upload(data: bytes) -> ClientInvoiceUpload:
    """Decode ``{"data": {"id", "attributes"}}`` or ``{"client_invoice_upload": {...}}``.

    In the JSON:API shape ``id`` is ``data.attributes.id`` (documented as the id to pass as
    ``upload_id``), ``data.id`` only when the attributes carry none; ``data_id`` keeps
    ``data.id``.
    """
    envelope = _UPLOAD.decode(data)
    data_id: str | None = None
    if envelope.data is not None:
        attributes = envelope.data.attributes
        data_id = envelope.data.id
        upload_id = attributes.id or data_id
        where = "$.data"
    elif envelope.client_invoice_upload is not None:
        attributes = envelope.client_invoice_upload
        upload_id = attributes.id
        where = "$.client_invoice_upload"
    else:
        raise msgspec.ValidationError(
            "Expected a `data` or `client_invoice_upload` object, found neither - at `$`"
        )
    if not upload_id:
        raise msgspec.ValidationError(f"Object missing required field `id` - at `{where}`")
    fields: dict[str, Any] = {name: getattr(attributes, name) for name in _SHARED_FIELDS}
    return ClientInvoiceUpload(id=upload_id, data_id=data_id, **fields)
