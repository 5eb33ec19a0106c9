"""Changing FakeQonto's data while it serves: create, update and delete records the way
Qonto's own users do, moving ``updated_at`` as Qonto does."""

from __future__ import annotations

import random
from typing import Any, Protocol

from ._data import Dataset
from ._datagen import Table, epoch_us, uuid4

__all__ = ["Mutations", "epoch_us"]


class _Rows(Protocol):
    def append_row(self, rng: random.Random, fields: dict[str, Any]) -> None: ...

    def apply(self, i: int, fields: dict[str, Any]) -> None: ...


class Mutations:
    """Create, update and delete records of one :class:`Dataset`.

    ``created_at`` / ``updated_at`` are the fake's clock at the time of the change; resources
    Qonto shows in whole seconds (clients, client invoices) get whole seconds.
    """

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._rows: dict[str, _Rows] = {
            "clients": dataset.client_records,
            "client_invoices": dataset.client_invoice_records,
            "supplier_invoices": dataset.supplier_invoice_records,
            "quotes": dataset.quote_records,
            "credit_notes": dataset.credit_note_records,
        }
        self._whole_seconds = {"clients", "client_invoices", "quotes", "credit_notes"}

    def _table(self, resource: str) -> Table:
        try:
            return self._dataset.tables[resource]
        except KeyError:
            names = ", ".join(self._dataset.tables)
            raise ValueError(f"unknown resource {resource!r}: one of {names}") from None

    def _index(self, table: Table, record_id: str) -> int:
        i = table.index.get(record_id)
        if i is None:
            raise KeyError(f"no {table.singular} {record_id!r}")
        return i

    def _split(self, resource: str, us: int) -> tuple[int, int]:
        seconds, frac = divmod(us, 1_000_000)
        return seconds, 0 if resource in self._whole_seconds else frac

    def create(self, resource: str, now_us: int, fields: dict[str, Any]) -> str:
        table = self._table(resource)
        if resource == "client_invoices" and not len(self._dataset.clients):
            raise ValueError("client invoices need at least one client")
        fields = dict(fields)
        i = len(table)
        rng = random.Random(f"{self._dataset.seed}:{resource}:created:{i}")
        record_id = fields.pop("id", None) or uuid4(rng)
        if record_id in table.index:
            raise ValueError(f"{table.singular} {record_id!r} exists already")
        created = self._split(resource, epoch_us(fields.pop("created_at", None) or now_us / 1e6))
        updated_at = fields.pop("updated_at", None)
        updated = self._split(resource, epoch_us(updated_at)) if updated_at else created
        if table.monotonic and i and created[0] * 1_000_000 + created[1] <= table.created_us(i - 1):
            table.monotonic = False
        table.ids.append(record_id)
        table.created.append(created[0])
        table.created_frac.append(created[1])
        table.updated.append(updated[0])
        table.updated_frac.append(updated[1])
        table.index[record_id] = i
        rows = self._rows[resource]
        rows.append_row(rng, fields)
        self._register_attachment(resource, i)
        if fields:
            rows.apply(i, fields)
            table.overrides[i] = fields
        table.changed(i)
        return record_id

    def _register_attachment(self, resource: str, i: int) -> None:
        if resource == "client_invoices":
            aid = self._dataset.client_invoice_records.attachment_ids[i]
        elif resource == "supplier_invoices":
            aid = self._dataset.supplier_invoice_records.attachment_ids[i]
        else:
            return
        self._dataset.attachments[aid] = (resource, i)

    def update(self, resource: str, record_id: str, now_us: int, fields: dict[str, Any]) -> None:
        table = self._table(resource)
        i = self._index(table, record_id)
        fields = dict(fields)
        for fixed in ("id", "created_at"):
            if fixed in fields:
                raise ValueError(f"{fixed} never changes")
        updated_at = fields.pop("updated_at", None)
        seconds, frac = self._split(resource, epoch_us(updated_at) if updated_at else now_us)
        table.updated[i], table.updated_frac[i] = seconds, frac
        if fields:
            self._rows[resource].apply(i, fields)
            table.overrides.setdefault(i, {}).update(fields)
        table.changed(i)

    def delete(self, resource: str, record_id: str) -> None:
        table = self._table(resource)
        i = self._index(table, record_id)
        del table.index[record_id]
        table.deleted.add(i)
        table.changed(i)
