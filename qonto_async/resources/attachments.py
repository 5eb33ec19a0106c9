from __future__ import annotations

from collections.abc import Mapping

from .._http.raw import RawMethod, RawResponses
from ..models.attachment import Attachment, decode_attachment
from ._base import Resource, quote_id
from ._signed_links import download_signed

__all__ = ["AttachmentsResource", "RawAttachments"]

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
        return await self._get_one(
            PATH, id, decode_attachment, timeout=timeout, extra_headers=extra_headers
        )

    async def download(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """The attachment's content, fetched from a fresh signed link without credentials.

        A link refused with 403 (it expired: links last 30 minutes, and a long rate-limit
        wait can outlast one) is signed afresh once before the error is raised. ``timeout``
        applies to each request, the file's included; ``extra_headers`` go to Qonto only,
        never to the link's host.
        """

        async def link() -> str | None:
            return (await self.get(id, timeout=timeout, extra_headers=extra_headers)).url

        return await download_signed(
            self._transport,
            link,
            resource_id=id,
            where=f"{PATH}/{quote_id(id)}",
            missing="attachment has no url to download from",
            timeout=timeout,
        )

    @property
    def with_raw_response(self) -> RawAttachments:
        """``get`` and ``download``, each returning a :class:`~qonto_async.RawResponse`."""
        return RawAttachments(self)


class RawAttachments(RawResponses):
    """``qonto.attachments.with_raw_response`` (a download's answer is the metadata's)."""

    get = RawMethod(AttachmentsResource.get)
    download = RawMethod(AttachmentsResource.download)
