from __future__ import annotations

from collections.abc import Mapping

from ..errors import APIResponseValidationError, PermissionDeniedError
from ..models.attachment import Attachment, decode_attachment
from ._base import Resource, quote_id

__all__ = ["AttachmentsResource"]

PATH = "/v2/attachments"


class AttachmentsResource(Resource):
    """``/v2/attachments``: the files behind invoices (scope ``attachment.read``)."""

    async def get(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Attachment:
        """The attachment's metadata; its ``url`` is a signed link valid 30 minutes."""
        return await self._transport.request(
            "GET",
            f"{PATH}/{quote_id(id)}",
            decode_attachment,
            resource_id=id,
            headers=extra_headers,
            timeout=timeout,
        )

    async def download(self, id: str) -> bytes:
        """The attachment's content, fetched from a fresh signed link without credentials.

        A link refused with 403 (it expired: links last 30 minutes, and a long rate-limit
        wait can outlast one) is signed afresh once before the error is raised.
        """
        attachment = await self.get(id)
        try:
            return await self._fetch_file(id, attachment)
        except PermissionDeniedError:
            return await self._fetch_file(id, await self.get(id))

    async def _fetch_file(self, id: str, attachment: Attachment) -> bytes:
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
