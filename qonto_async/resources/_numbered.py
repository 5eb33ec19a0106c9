"""Listings Qonto documents no key for (no timestamp filter to walk): read by page number,
verified (see :mod:`qonto_async._listing.verified`); a list answer without ``meta`` is read
until a short page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from yarl import URL

from .._http.answers import public_url
from .._http.call import QueryParams
from .._http.transport import Transport
from .._listing.page import Page, decoded_page
from .._listing.paginator import Paginator, ProgressCallback
from .._listing.spec import ListingSpec
from ._base import ListAnswer
from ._listable import server_date

__all__ = ["NUMBERED", "numbered_listing"]

M = TypeVar("M")
MAX_PER_PAGE = 100
# page and per_page only: no sort, no filter, no updated_at check
NUMBERED = ListingSpec(key=None, sorts=(), updated_filter=False)


def numbered_listing(
    transport: Transport,
    path: str,
    decode_page: Callable[[bytes], ListAnswer[M]],
    query: QueryParams = (),
    *,
    spec: ListingSpec = NUMBERED,
    sort_by: str | None = None,
    per_page: int = 100,
    prefetch: int = 4,
    limit: int | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
    extra_headers: Mapping[str, str] | None = None,
    resource_id: str | None = None,
) -> Paginator[M]:
    """A paginator over ``GET path`` with ``query``, by page number; ``resource_id`` is the
    record the list belongs to (a transaction's attachments), which its errors name."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
    base = list(query)

    async def fetch(page_query: QueryParams) -> Page[M]:
        decoded, answer = await transport.request_with_answer(
            "GET",
            path,
            decode_page,
            params=[*base, *page_query],
            headers=extra_headers,
            timeout=timeout,
            resource_id=resource_id,
        )
        date = server_date(answer.headers.get("Date"))
        return decoded_page(decoded, decoded.items, decoded.meta, date)

    def describe(page_query: QueryParams) -> str:
        url = URL(transport.base_url + path, encoded=True)
        return public_url(url.extend_query([*base, *page_query]))

    return Paginator(
        spec,
        fetch,
        per_page=per_page,
        prefetch=prefetch,
        sort=sort_by,
        limit=limit,
        on_progress=on_progress,
        describe=describe,
    )
