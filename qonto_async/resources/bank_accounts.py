from __future__ import annotations

from collections.abc import Mapping

from .._http.transport import Transport
from .._listing.paginator import Paginator, ProgressCallback
from ..models.bank_account import BankAccount, decode_bank_account, decode_bank_account_page
from ._base import ReadableResource
from ._numbered import NUMBERED, numbered_listing

__all__ = ["BankAccountsResource"]


class BankAccountsResource(ReadableResource[BankAccount]):
    """``/v2/bank_accounts`` (scope ``organization.read``): ``get`` answers up-to-date
    balances. Qonto shows some fields only to owners and admins; every one but ``id``,
    ``name``, ``status``, ``main`` and ``organization_id`` may be None."""

    _path = "/v2/bank_accounts"
    _listing = NUMBERED

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_bank_account, decode_bank_account_page)

    def list(
        self,
        *,
        per_page: int = 100,
        limit: int | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[BankAccount]:
        """Every bank account of the organization. Qonto's answer here has no ``meta``: pages
        are read until a short one, and the list is proven whole by a second pass serving
        the same ids (two requests for the usual handful of accounts)."""
        return numbered_listing(
            self._transport,
            self._path,
            self._decode_page,
            per_page=per_page,
            prefetch=1,
            limit=limit,
            on_progress=on_progress,
            timeout=timeout,
            extra_headers=extra_headers,
        )
