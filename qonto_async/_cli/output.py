"""Where exported records go: JSON Lines or CSV, one ``write()`` per page.

Each page is encoded completely in memory and handed to the OS in one unbuffered write, so
an export stopped at any point (Ctrl-C, SIGTERM, a network failure) leaves a file made of
whole records only: every JSONL line parses, and a CSV file is its header plus whole rows.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, Literal

import msgspec

__all__ = ["COLUMNS", "Format", "RecordWriter", "open_output"]

Format = Literal["jsonl", "csv"]
Row = dict[str, Any]
Column = tuple[str, Callable[[Row], Any]]


def _path(*keys: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value: Any = row
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return get


def _fields(*names: str) -> list[Column]:
    return [(name, _path(name)) for name in names]


def _display_name(party: Any) -> Any:
    if not isinstance(party, dict):
        return None
    if party.get("name"):
        return party["name"]
    return " ".join(p for p in (party.get("first_name"), party.get("last_name")) if p) or None


def _count(key: str) -> Callable[[Row], int]:
    return lambda row: len(row.get(key) or ())


COLUMNS: dict[str, list[Column]] = {
    "clients": [
        *_fields("id", "kind", "name", "first_name", "last_name", "email", "vat_number"),
        *_fields("tax_identification_number", "address", "zip_code", "city", "country_code"),
        *_fields("currency", "locale", "created_at", "updated_at"),
    ],
    "client_invoices": [
        *_fields("id", "number", "status", "invoice_type", "currency"),
        ("total_amount", _path("total_amount", "value")),
        ("vat_amount", _path("vat_amount", "value")),
        *_fields("total_amount_cents", "vat_amount_cents", "issue_date", "due_date"),
        *_fields("created_at", "finalized_at", "paid_at"),
        ("client_id", _path("client", "id")),
        ("client_name", lambda row: _display_name(row.get("client"))),
        ("client_email", _path("client", "email")),
        ("items", _count("items")),
        *_fields("purchase_order", "attachment_id", "einvoicing_status"),
    ],
    "supplier_invoices": [
        *_fields("id", "invoice_number", "status", "supplier_name", "file_name"),
        ("total_amount", _path("total_amount", "value")),
        ("currency", _path("total_amount", "currency")),
        ("payable_amount", _path("payable_amount", "value")),
        *_fields("issue_date", "due_date", "payment_date", "scheduled_date"),
        *_fields("created_at", "updated_at", "is_credit_note", "source_type", "attachment_id"),
        ("matched_transactions", _count("matched_transactions")),
    ],
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class _Sink:
    """An unbuffered byte sink: a file we own, or standard output (flushed, never closed)."""

    def __init__(self, target: str | None) -> None:
        self.name = target or "-"
        self._stream: BinaryIO
        if target in (None, "-"):
            self._stream = sys.stdout.buffer
            self._owned = False
        else:
            assert target is not None
            self._stream = open(target, "wb", buffering=0)  # noqa: SIM115 - closed by close()
            self._owned = True

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._stream.write(view) :]
        if not self._owned:
            self._stream.flush()

    def close(self) -> None:
        if self._owned:
            self._stream.close()
        else:
            self._stream.flush()


def open_output(target: str | None) -> _Sink:
    """Open ``target`` (a path, or ``-``/``None`` for standard output) for writing."""
    if target not in (None, "-"):
        assert target is not None
        directory = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"no such directory: {directory}")
    return _Sink(target)


class RecordWriter:
    """Writes pages of SDK models as JSONL (``msgspec.json.encode(model)`` per line) or CSV."""

    def __init__(self, sink: _Sink, fmt: Format, resource: str) -> None:
        self.sink = sink
        self.format = fmt
        self.records = 0
        self._encoder = msgspec.json.Encoder()
        self._columns = COLUMNS[resource]
        if fmt == "csv":
            self.sink.write(self._csv([[name for name, _ in self._columns]]))

    def write_page(self, items: Sequence[msgspec.Struct]) -> None:
        if not items:
            return
        if self.format == "jsonl":
            data = self._encoder.encode_lines(items)
        else:
            rows = msgspec.to_builtins(items)
            data = self._csv([[_cell(get(row)) for _, get in self._columns] for row in rows])
        self.sink.write(data)
        self.records += len(items)

    @staticmethod
    def _csv(rows: list[list[Any]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()

    def close(self) -> None:
        self.sink.close()
