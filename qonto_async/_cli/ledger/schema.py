"""The ledger's one schema, for SQLite and PostgreSQL alike: a table per resource (its id,
the columns people query, ``deleted_at``, ``seen_run`` and the ``raw`` record), the cursors,
the runs and the attachments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

__all__ = ["COLUMNS", "ddl"]


def _amount(field: str) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        amount = getattr(record, field, None)
        return None if amount is None or amount.value is None else str(amount.value)

    return get


def _attr(field: str) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        value = getattr(record, field, None)
        return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value

    return get


def _client_id(record: Any) -> Any:
    client = getattr(record, "client", None)
    return getattr(client, "id", None) if client is not None else None


def _display_name(record: Any) -> Any:
    return getattr(record, "display_name", None)


# resource -> (column, how to read it from a record); id, raw, seen_run, deleted_at are added
COLUMNS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "clients": [
        ("name", _display_name),
        ("kind", _attr("kind")),
        ("email", _attr("email")),
        ("vat_number", _attr("vat_number")),
        ("currency", _attr("currency")),
        ("created_at", _attr("created_at")),
        ("updated_at", _attr("updated_at")),
    ],
    "client_invoices": [
        ("number", _attr("number")),
        ("status", _attr("status")),
        ("currency", _attr("currency")),
        ("total_amount", _amount("total_amount")),
        ("vat_amount", _amount("vat_amount")),
        ("issue_date", _attr("issue_date")),
        ("due_date", _attr("due_date")),
        ("client_id", _client_id),
        ("attachment_id", _attr("attachment_id")),
        ("created_at", _attr("created_at")),
        ("updated_at", _attr("updated_at")),
    ],
    "supplier_invoices": [
        ("number", _attr("invoice_number")),
        ("status", _attr("status")),
        ("supplier_name", _attr("supplier_name")),
        ("total_amount", _amount("total_amount")),
        ("currency", lambda r: getattr(getattr(r, "total_amount", None), "currency", None)),
        ("issue_date", _attr("issue_date")),
        ("due_date", _attr("due_date")),
        ("payment_date", _attr("payment_date")),
        ("attachment_id", _attr("attachment_id")),
        ("created_at", _attr("created_at")),
        ("updated_at", _attr("updated_at")),
    ],
}


def ddl(serial_pk: str) -> list[str]:
    """The statements creating the ledger; ``serial_pk`` is the dialect's auto-numbered
    primary key (``INTEGER PRIMARY KEY AUTOINCREMENT``, ``BIGSERIAL PRIMARY KEY``)."""
    statements = []
    for table, columns in COLUMNS.items():
        names = ", ".join(f"{name} TEXT" for name, _ in columns)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, {names}, "
            "deleted_at TEXT, seen_run INTEGER, raw TEXT NOT NULL)"
        )
    statements += [
        "CREATE TABLE IF NOT EXISTS cursors (resource TEXT PRIMARY KEY, cursor TEXT, "
        "full_run INTEGER)",
        f"CREATE TABLE IF NOT EXISTS runs (id {serial_pk}, "
        "started_at TEXT NOT NULL, finished_at TEXT, status TEXT, resources TEXT, "
        "new INTEGER, updated INTEGER, unchanged INTEGER, deleted INTEGER, "
        "attachments INTEGER, requests INTEGER, retries INTEGER)",
        "CREATE TABLE IF NOT EXISTS attachments (id TEXT PRIMARY KEY, file TEXT NOT NULL, "
        "size INTEGER NOT NULL)",
    ]
    return statements
