from __future__ import annotations

from collections.abc import Mapping

from .._http.transport import Transport
from .._listing.paginator import Paginator, ProgressCallback
from ..models.membership import Membership, decode_membership_page
from ._base import Resource
from ._numbered import numbered_listing

__all__ = ["MembershipsResource"]

PATH = "/v2/memberships"


class MembershipsResource(Resource):
    """``/v2/memberships`` (scope ``organization.read``): the organization's members. A
    membership's ``id`` is what a transaction's ``initiator_id`` names."""

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)

    def list(
        self,
        *,
        per_page: int = 100,
        prefetch: int = 4,
        limit: int | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Membership]:
        """Every membership (Qonto leaves ``email`` out of this list). Read by page number
        and proven whole (see :class:`~qonto_async.Paginator`)."""
        return numbered_listing(
            self._transport,
            PATH,
            decode_membership_page,
            per_page=per_page,
            prefetch=prefetch,
            limit=limit,
            on_progress=on_progress,
            timeout=timeout,
            extra_headers=extra_headers,
        )
