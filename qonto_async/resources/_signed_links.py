"""Files behind signed links (attachments, statements): fetched without Qonto's credentials,
the link asked for afresh once when it has expired."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .._http.transport import Transport
from ..errors import APIResponseValidationError, PermissionDeniedError

__all__ = ["download_signed"]


async def download_signed(
    transport: Transport,
    link: Callable[[], Awaitable[str | None]],
    *,
    resource_id: str,
    where: str,
    missing: str,
    timeout: float | None,
) -> bytes:
    """The file at the link ``link()`` reads from Qonto's record. ``where`` is that record's
    path and ``missing`` what to say when it has no link, for errors. A link refused with 403
    (links last 30 minutes, and a long rate-limit wait can outlast one) is read afresh once
    before the error is raised; ``timeout`` applies to each request, the file's included."""
    if timeout is not None:
        transport = transport.derive(timeout=timeout, max_retries=None)

    async def fetch(url: str | None) -> bytes:
        if not url:
            raise APIResponseValidationError(
                status=200,
                body_excerpt="",
                where=missing,
                method="GET",
                url=where,
                resource_id=resource_id,
            )
        return await transport.download(url, resource_id=resource_id)

    first = await link()  # a 403 here (a missing scope) is not an expired link: raised as is
    try:
        return await fetch(first)
    except PermissionDeniedError:
        return await fetch(await link())
