from __future__ import annotations

from ..errors import APIResponseValidationError
from ..models.attachment import Attachment, decode_attachment
from ._base import Resource, quote_id

__all__ = ["AttachmentsResource"]

PATH = "/v2/attachments"


class AttachmentsResource(Resource):
    """``/v2/attachments``: the files behind invoices (scope ``attachment.read``)."""

    async def get(self, id: str) -> Attachment:
        """The attachment's metadata; its ``url`` is a signed link valid 30 minutes."""
        return await self._transport.request(
            "GET", f"{PATH}/{quote_id(id)}", decode_attachment, resource_id=id
        )

    async def download(self, id: str) -> bytes:
        """The attachment's content, fetched from a fresh signed link without credentials."""
        attachment = await self.get(id)
        if not attachment.url:
            raise APIResponseValidationError(
                status=200,
                body_excerpt="",
                where="attachment has no url to download from",
                method="GET",
                url=f"{PATH}/{quote_id(id)}",
                resource_id=id,
            )
        return await self._transport.download(attachment.url, resource_id=id)
