"""The ledger's one schema, for SQLite and PostgreSQL alike: a table per resource (its id,
the columns people query, ``deleted_at``, ``seen_run`` and the ``raw`` record), the cursors,
the runs, the attachments, and ``ledger_meta`` (what the database is, which schema version).

A change here is a new schema version: raise ``SCHEMA_VERSION`` and add the step that
upgrades an existing ledger to ``migrations.MIGRATIONS``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

__all__ = ["COLUMNS", "MARKER", "META_TABLE", "SCHEMA_VERSION", "ddl", "meta_ddl", "tables"]

SCHEMA_VERSION = 2  # 1: the first release (no ledger_meta); 2: ledger_meta
MARKER = "qonto-async ledger"  # ledger_meta's 'marker': this database is a ledger
META_TABLE = "ledger_meta"


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


def meta_ddl() -> str:
    return f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


_SERIAL = "{serial}"
# the tables besides the resources': (column, type), in order
_OTHER_TABLES: dict[str, list[tuple[str, str]]] = {
    "cursors": [("resource", "TEXT PRIMARY KEY"), ("cursor", "TEXT"), ("full_run", "INTEGER")],
    "runs": [
        ("id", _SERIAL),
        ("started_at", "TEXT NOT NULL"),
        ("finished_at", "TEXT"),
        ("status", "TEXT"),  # running, done, failed, interrupted, abandoned
        ("resources", "TEXT"),
        *[(name, "INTEGER") for name in ("new", "updated", "unchanged", "deleted")],
        *[(name, "INTEGER") for name in ("attachments", "requests", "retries")],
    ],
    "attachments": [
        ("id", "TEXT PRIMARY KEY"),
        ("file", "TEXT NOT NULL"),
        ("size", "INTEGER NOT NULL"),
    ],
}


def _columns(serial_pk: str) -> dict[str, list[tuple[str, str]]]:
    columns = {
        table: [
            ("id", "TEXT PRIMARY KEY"),
            *[(name, "TEXT") for name, _ in fields],
            ("deleted_at", "TEXT"),
            ("seen_run", "INTEGER"),
            ("raw", "TEXT NOT NULL"),
        ]
        for table, fields in COLUMNS.items()
    }
    for table, fields in _OTHER_TABLES.items():
        columns[table] = [(name, serial_pk if kind == _SERIAL else kind) for name, kind in fields]
    return columns


def tables() -> dict[str, list[str]]:
    """The tables of the current schema, ``ledger_meta`` included, and their columns."""
    names = {table: [name for name, _ in cols] for table, cols in _columns("").items()}
    return {**names, META_TABLE: ["key", "value"]}


def ddl(serial_pk: str) -> list[str]:
    """The statements creating the ledger's tables (``meta_ddl`` apart); ``serial_pk`` is the
    dialect's auto-numbered primary key (``INTEGER PRIMARY KEY AUTOINCREMENT``,
    ``BIGSERIAL PRIMARY KEY``)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{n} {k}' for n, k in columns)})"
        for table, columns in _columns(serial_pk).items()
    ]
