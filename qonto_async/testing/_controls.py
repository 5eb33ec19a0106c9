"""What tests do with FakeQonto's data: read it, count it, change it, let it churn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._churn import Churn, ChurnState
from ._data import Dataset
from ._datagen import epoch_us
from ._mutations import Mutations
from ._records import RecordServer
from ._stats import Stats

__all__ = ["RecordControls"]


class RecordControls:
    """The record-store half of :class:`FakeQonto`'s public surface."""

    dataset: Dataset
    stats: Stats
    clock: Callable[[], float]
    _records: RecordServer
    _mutations: Mutations
    _churn: ChurnState | None

    # -- the record store --------------------------------------------------------------------

    def ids(self, resource: str) -> list[str]:
        """Ids of ``clients``, ``client_invoices``, ``supplier_invoices``,
        ``client_invoice_uploads`` or ``attachments``, in creation order."""
        return self._records.ids(resource)

    def record(self, resource: str, record_id: str) -> dict[str, Any]:
        """The JSON object the API returns for one client, client or supplier invoice."""
        return self._records.record(resource, record_id)

    def count(self, resource: str, **params: str) -> int:
        """How many records a list request with these query parameters would return in total.

        ``params`` are raw query parameters with brackets spelled out, e.g.
        ``fake.count("client_invoices", **{"filter[status]": "paid,unpaid"})``.
        """
        return self._records.count(resource, **params)

    def create(self, resource: str, **fields: Any) -> str:
        """Create a record as a Qonto user would; its id is returned.

        ``created_at`` and ``updated_at`` are the fake's ``clock`` unless given (an aware
        datetime or ISO 8601 string: several records may share one ``created_at``, as after a
        bulk import); other fields override the generated record (``status`` too).
        """
        record_id = self._mutations.create(resource, self._now_us(), fields)
        self._log(("created", resource, record_id))
        return record_id

    def update(self, resource: str, record_id: str, **fields: Any) -> None:
        """Change fields of a record; its ``updated_at`` moves to the fake's ``clock``."""
        self._mutations.update(resource, record_id, self._now_us(), fields)
        self._log(("updated", resource, record_id))

    def delete(self, resource: str, record_id: str) -> None:
        """Delete a record: it leaves every list and its GET answers 404."""
        self._mutations.delete(resource, record_id)
        self._log(("deleted", resource, record_id))

    @property
    def churn(self) -> Churn | None:
        """A :class:`Churn` makes the fake change its own data between requests."""
        return self._churn.churn if self._churn else None

    @churn.setter
    def churn(self, churn: Churn | None) -> None:
        self._churn = (
            ChurnState(churn, self.dataset, self._mutations, self._now_us, self._log)
            if churn is not None
            else None
        )

    def _log(self, change: tuple[str, str, str]) -> None:
        self.stats.changes.append(change)

    def _now_us(self) -> int:
        return epoch_us(self.clock())

    def warm(self, *resources: str) -> None:
        """Encode every record of ``resources`` (all by default) now, so that later answers
        cost nothing but a join: for benchmarks, before the timed part."""
        self._records.warm(*resources)
