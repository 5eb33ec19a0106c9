"""Attachments: ``GET /v2/attachments/{id}``."""

from __future__ import annotations

from ._dates import Timestamp
from .common import QontoModel, model_decoder

__all__ = ["Attachment", "ProbativeAttachment", "decode_attachment"]


class ProbativeAttachment(QontoModel, frozen=True, kw_only=True):
    """The certified (probative) copy of an attachment, when Qonto made one."""

    status: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    file_content_type: str | None = None
    url: str | None = None


class Attachment(QontoModel, frozen=True, kw_only=True):
    """``url`` is a signed link, valid 30 minutes, fetched without Qonto credentials."""

    id: str
    created_at: Timestamp | None = None
    file_name: str | None = None
    file_size: int | None = None
    file_content_type: str | None = None
    url: str | None = None
    probative_attachment: ProbativeAttachment | None = None


class _AttachmentEnvelope(QontoModel, frozen=True, kw_only=True):
    attachment: Attachment


# Qonto sends file_size as a string ("12345"): lax mode (strict=False) decodes it into the int.
_ATTACHMENT = model_decoder(_AttachmentEnvelope, strict=False)


def decode_attachment(data: bytes) -> Attachment:
    """Decode ``{"attachment": {...}}``."""
    return _ATTACHMENT.decode(data).attachment
