from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from .._http.transport import Transport
from .._listing.paginator import Paginator, ProgressCallback
from .._listing.spec import ListingSpec
from ..models.statement import (
    STATEMENT_SORT_FIELDS,
    Statement,
    decode_statement,
    decode_statement_page,
)
from ._base import ReadableResource, quote_id
from ._numbered import numbered_listing
from ._params import Query, sort_key
from ._signed_links import download_signed

__all__ = ["StatementsResource", "period"]

# Qonto sorts statements by period only and documents no updated_at filter: read by number.
LISTING = ListingSpec(key=None, sorts=STATEMENT_SORT_FIELDS, updated_filter=False)
_PERIOD = re.compile(r"(0[1-9]|1[0-2])-\d{4}")


def period(name: str, value: str | dt.date) -> str:
    """A statement period as Qonto writes it, ``MM-YYYY``; a date stands for its month."""
    if isinstance(value, dt.date):
        return f"{value.month:02d}-{value.year:04d}"
    if isinstance(value, str) and _PERIOD.fullmatch(value):
        return value
    raise ValueError(f"{name} must be a month as MM-YYYY (e.g. '01-2025') or a date, not {value!r}")


def _ids(name: str, values: str | Iterable[str]) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    if not items or not all(isinstance(item, str) and item for item in items):
        raise ValueError(f"{name} must be a non-empty string or list of strings")
    return items


class StatementsResource(ReadableResource[Statement]):
    """``/v2/statements`` (scope ``organization.read``): each account's monthly statement,
    a PDF."""

    _path = "/v2/statements"
    _listing = LISTING

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_statement, decode_statement_page)

    def list(
        self,
        *,
        bank_account_ids: str | Iterable[str] | None = None,
        ibans: str | Iterable[str] | None = None,
        period_from: str | dt.date | None = None,
        period_to: str | dt.date | None = None,
        sort_by: str | None = None,
        per_page: int = 100,
        prefetch: int = 4,
        limit: int | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Statement]:
        """Statements, newest period first by default (``sort_by="period:asc"`` for the
        oldest). ``bank_account_ids`` or ``ibans`` (Qonto refuses both together), and
        ``period_from``/``period_to`` as ``MM-YYYY`` or a date (its month), bounds included."""
        if bank_account_ids is not None and ibans is not None:
            raise ValueError("pass bank_account_ids or ibans, not both (Qonto refuses both)")
        query: Query = []
        if bank_account_ids is not None:
            query += [("bank_account_ids[]", i) for i in _ids("bank_account_ids", bank_account_ids)]
        if ibans is not None:
            query += [("ibans[]", i) for i in _ids("ibans", ibans)]
        if period_from is not None:
            query.append(("period_from", period("period_from", period_from)))
        if period_to is not None:
            query.append(("period_to", period("period_to", period_to)))
        return numbered_listing(
            self._transport,
            self._path,
            self._decode_page,
            query,
            spec=LISTING,
            sort_by=sort_key(sort_by, LISTING.sorts) if sort_by is not None else None,
            per_page=per_page,
            prefetch=prefetch,
            limit=limit,
            on_progress=on_progress,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    async def download(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """The statement's PDF, fetched from its signed link without credentials. A link
        refused with 403 (expired) is asked for afresh once before the error is raised."""

        async def link() -> str | None:
            statement = await self.get(id, timeout=timeout, extra_headers=extra_headers)
            return statement.file.file_url if statement.file is not None else None

        return await download_signed(
            self._transport,
            link,
            resource_id=id,
            where=f"{self._path}/{quote_id(id)}",
            missing="statement has no file.file_url to download from",
            timeout=timeout,
        )
