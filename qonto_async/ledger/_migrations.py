"""Schema versions and the migrations between them.

A ledger carries its version in ``ledger_meta`` beside a marker naming it a qonto-async
ledger. Version 1, the first release's schema, has neither: it is recognised by its exact
tables and columns (``V1_TABLES``, frozen here as that release wrote them). Anything else
that is not empty is someone else's database, and is refused before any write.

``MIGRATIONS`` is the ordered list of steps, one per version: step N takes a ledger at version
N - 1 to version N. Each step runs in a transaction of its own together with the version it
leaves behind (SQLite and PostgreSQL both roll DDL back), so an interrupted upgrade leaves
the ledger at the last version it completed, and the next opening carries on from there.

Adding a version: append a :class:`Migration` (``version`` = the new ``SCHEMA_VERSION``)
whose ``apply`` brings an existing ledger to what ``schema.ddl`` now creates for a new one.
A step touches only the tables and indexes of its own version (named here, frozen): the
schema module describes the latest one, which has tables an older step must not see. The
tests compare the two schemas and upgrade the version 1 and version 3 fixtures
(``tests/fixtures/ledger_v1.sqlite``, ``ledger_v3.sqlite``) through every step.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ._schema import (
    MARKER,
    META_TABLE,
    Kind,
    columns,
    index_ddl,
    meta_ddl,
    sql_type,
    table_ddl,
    utc_text,
)

__all__ = [
    "MIGRATIONS",
    "V1_TABLES",
    "V3_INDEXES",
    "V4_INDEXES",
    "V4_TABLES",
    "Executor",
    "Migration",
]


class Executor(Protocol):
    """What a step runs statements through (written with ``?`` placeholders)."""

    postgres: bool

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any: ...


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int  # the version this step leaves the ledger at
    summary: str
    apply: Callable[[Executor], None]


# The tables and columns version 1 created, in order (``runs.id`` is auto-numbered).
V1_TABLES: dict[str, tuple[str, ...]] = {
    "clients": (
        "id", "name", "kind", "email", "vat_number", "currency", "created_at", "updated_at",
        "deleted_at", "seen_run", "raw",
    ),
    "client_invoices": (
        "id", "number", "status", "currency", "total_amount", "vat_amount", "issue_date",
        "due_date", "client_id", "attachment_id", "created_at", "updated_at", "deleted_at",
        "seen_run", "raw",
    ),
    "supplier_invoices": (
        "id", "number", "status", "supplier_name", "total_amount", "currency", "issue_date",
        "due_date", "payment_date", "attachment_id", "created_at", "updated_at", "deleted_at",
        "seen_run", "raw",
    ),
    "cursors": ("resource", "cursor", "full_run"),
    "runs": (
        "id", "started_at", "finished_at", "status", "resources", "new", "updated",
        "unchanged", "deleted", "attachments", "requests", "retries",
    ),
    "attachments": ("id", "file", "size"),
}  # fmt: skip


def _v2_meta(db: Executor) -> None:
    """Version 2: the ledger says what it is (``ledger_meta``: marker, schema version)."""
    db.execute(meta_ddl())
    db.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES ('marker', ?)", (MARKER,))


def _v3_types(db: Executor) -> None:
    """Version 3: PostgreSQL columns typed (``numeric``, ``date``, ``timestamptz``, ``jsonb``,
    ``bigint``); SQLite timestamps rewritten in UTC at one width (so text order is time
    order, which the rule "never move a row back in time" compares); ``ledger_events``
    (webhook events applied, for redeliveries); indexes on the columns people filter."""
    if db.postgres:
        for table, cols in _v3_columns().items():
            for name, kind in cols:
                if kind in ("text", "id", "serial") or name == "as_of":
                    continue
                target = sql_type(kind, True).removesuffix(" NOT NULL")
                empty = "" if kind in ("integer", "json") else f"NULLIF({name}, '')"
                source = empty or name
                db.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {name} TYPE {target} "
                    f"USING {source}::{target}"
                )
    else:
        for table, cols in _v3_columns().items():
            stamps = [name for name, kind in cols if kind == "timestamp" and name != "as_of"]
            if not stamps:
                continue
            key = "id"
            rows = db.execute(f"SELECT {key}, {', '.join(stamps)} FROM {table}").fetchall()
            changed = [
                (*[_utc(value) for value in row[1:]], row[0])
                for row in rows
                if any(value is not None for value in row[1:])
            ]
            sets = ", ".join(f"{name} = ?" for name in stamps)
            for values in changed:
                db.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", values)
    for table in ("clients", "client_invoices", "supplier_invoices"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN as_of {sql_type('timestamp', db.postgres)}")
    db.execute(table_ddl("ledger_events", db.postgres))
    for statement in index_ddl(V3_INDEXES):
        db.execute(statement)


def _v3_columns() -> dict[str, list[tuple[str, Kind]]]:
    """The columns version 3 typed: the first release's tables', as the current schema has
    them (version 4 only added ``attachments.resource`` and ``record_id``, both text, which
    the step leaves alone: a later step changing these tables must freeze them here)."""
    return {table: cols for table, cols in columns().items() if table in V1_TABLES}


# the indexes version 3 created, frozen
V3_INDEXES: tuple[tuple[str, str], ...] = (
    ("clients", "updated_at"),
    ("client_invoices", "status"),
    ("client_invoices", "issue_date"),
    ("client_invoices", "due_date"),
    ("client_invoices", "client_id"),
    ("supplier_invoices", "status"),
    ("supplier_invoices", "issue_date"),
    ("supplier_invoices", "due_date"),
    ("supplier_invoices", "updated_at"),
    ("ledger_events", "received_at"),
)

# the tables version 4 created, and its indexes
V4_TABLES = ("bank_accounts", "transactions", "labels", "memberships")
V4_INDEXES: tuple[tuple[str, str], ...] = (
    ("transactions", "bank_account_id,settled_at"),
    ("transactions", "settled_at"),
    ("transactions", "emitted_at"),
    ("transactions", "updated_at"),
    ("transactions", "status"),
    ("attachments", "record_id"),
)


def _v4_bank(db: Executor) -> None:
    """Version 4: the bank. Tables ``bank_accounts``, ``transactions``, ``labels`` and
    ``memberships`` (empty: the next sync fills them), their indexes, and ``attachments``
    says whose each file is (``resource``, ``record_id``; filled in here for the invoices'
    files already downloaded). Every existing row stays as it was."""
    for table in V4_TABLES:
        db.execute(table_ddl(table, db.postgres))
    for name in ("resource", "record_id"):
        db.execute(f"ALTER TABLE attachments ADD COLUMN {name} {sql_type('text', db.postgres)}")
    for resource in ("client_invoices", "supplier_invoices"):
        owner = f"SELECT r.id FROM {resource} r WHERE r.attachment_id = attachments.id"
        db.execute(
            f"UPDATE attachments SET resource = ?, record_id = ({owner} ORDER BY r.id LIMIT 1) "
            f"WHERE record_id IS NULL AND EXISTS ({owner})",
            (resource,),
        )
    for statement in index_ddl(V4_INDEXES):
        db.execute(statement)


def _utc(value: object) -> object:
    """A version 2 timestamp (any ISO 8601 form) in version 3's one form; kept if unreadable."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return utc_text(dt.datetime.fromisoformat(value))
    except ValueError:
        return value


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "ledger_meta: the ledger's marker and schema version", _v2_meta),
    Migration(3, "typed PostgreSQL columns, UTC timestamps, ledger_events, indexes", _v3_types),
    Migration(4, "the bank: bank_accounts, transactions, labels, memberships", _v4_bank),
)
