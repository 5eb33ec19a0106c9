from __future__ import annotations

from collections.abc import Mapping

from .._http.transport import Transport
from .._listing.paginator import Paginator, ProgressCallback
from ..models.label import Label, decode_label, decode_label_page
from ._base import ReadableResource
from ._numbered import NUMBERED, numbered_listing

__all__ = ["LabelsResource"]


class LabelsResource(ReadableResource[Label]):
    """``/v2/labels`` (scope ``organization.read``). Labels form a tree: ``parent_id`` names
    a label's parent (None at the top); transactions refer to them by ``label_ids``."""

    _path = "/v2/labels"
    _listing = NUMBERED

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_label, decode_label_page)

    def list(
        self,
        *,
        per_page: int = 100,
        prefetch: int = 4,
        limit: int | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[Label]:
        """Every label. Qonto documents no sort and no filter here: pages are read by number
        and the list proven whole (see :class:`~qonto_async.Paginator`)."""
        return numbered_listing(
            self._transport,
            self._path,
            self._decode_page,
            per_page=per_page,
            prefetch=prefetch,
            limit=limit,
            on_progress=on_progress,
            timeout=timeout,
            extra_headers=extra_headers,
        )
