"""The ledger's one schema, for SQLite and PostgreSQL: a table per resource (its id, the
columns people query, ``deleted_at``, ``seen_run`` and the ``raw`` record as Qonto sent it),
the cursors, the runs, the attachments, the webhook events applied (``ledger_events``), and
``ledger_meta`` (what the database is, which schema version).

Each column has a kind, and each dialect its type for it: on PostgreSQL amounts are
``numeric``, dates ``date``, timestamps ``timestamptz`` and ``raw`` ``jsonb``; SQLite keeps
text (amounts as exact decimal strings, timestamps in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
one width, so that text order is time order).

A change here is a new schema version: raise ``SCHEMA_VERSION`` and add the step that
upgrades an existing ledger to ``_migrations.MIGRATIONS``."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal

__all__ = [
    "COLUMNS",
    "INDEXES",
    "MARKER",
    "META_TABLE",
    "SCHEMA_VERSION",
    "Kind",
    "as_utc",
    "ddl",
    "index_ddl",
    "meta_ddl",
    "sql_type",
    "tables",
    "utc_text",
]

# 1: the first release (no ledger_meta); 2: ledger_meta; 3: typed PostgreSQL columns, UTC
# timestamps of one width on SQLite, ledger_events, indexes; 4: the bank (bank_accounts,
# transactions, labels, memberships), attachments say whose they are
SCHEMA_VERSION = 4
MARKER = "qonto-async ledger"  # ledger_meta's 'marker': this database is a ledger
META_TABLE = "ledger_meta"

Kind = Literal["text", "amount", "date", "timestamp", "integer", "json", "id", "serial"]
_SQL_TYPES: dict[str, tuple[str, str]] = {  # kind -> (SQLite, PostgreSQL)
    "text": ("TEXT", "text"),
    "amount": ("TEXT", "numeric"),
    "date": ("TEXT", "date"),
    "timestamp": ("TEXT", "timestamptz"),
    "integer": ("INTEGER", "bigint"),
    "json": ("TEXT NOT NULL", "jsonb NOT NULL"),
    "id": ("TEXT PRIMARY KEY", "text PRIMARY KEY"),
    "serial": ("INTEGER PRIMARY KEY AUTOINCREMENT", "bigserial PRIMARY KEY"),
}


def sql_type(kind: str, postgres: bool) -> str:
    return _SQL_TYPES[kind][1 if postgres else 0]


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC, aware; a naive one is taken as UTC, one beyond the calendar's ends
    once in UTC (year 1 at +14:00) is held at that end."""
    offset = moment.utcoffset()
    if offset is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return (moment - offset).replace(tzinfo=dt.UTC)
    except OverflowError:
        end = dt.datetime.min if moment.year == dt.MINYEAR else dt.datetime.max
        return end.replace(tzinfo=dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    """A timestamp as SQLite keeps it: UTC, microseconds, ``Z``; a naive one is taken as UTC."""
    # isoformat is several times faster than strftime; the offset it would print is dropped
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _amount(field: str) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        amount = getattr(record, field, None)
        return None if amount is None else amount.value

    return get


def _attr(field: str) -> Callable[[Any], Any]:
    return operator.attrgetter(field)  # a field of the resource's model: always there


def _client_id(record: Any) -> Any:
    client = getattr(record, "client", None)
    return getattr(client, "id", None) if client is not None else None


def _display_name(record: Any) -> Any:
    return getattr(record, "display_name", None)


def _currency_of(field: str) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        return getattr(getattr(record, field, None), "currency", None)

    return get


def _opt(field: str) -> Callable[[Any], Any]:
    """A field that a record may lack (a webhook's transaction carries fewer)."""

    def get(record: Any) -> Any:
        return getattr(record, field, None)

    return get


def _flag(field: str) -> Callable[[Any], Any]:
    """A boolean as an integer (0 or 1): PostgreSQL's ``bigint`` takes no ``boolean``."""

    def get(record: Any) -> Any:
        value = getattr(record, field, None)
        return None if value is None else int(bool(value))

    return get


def _name_of(field: str) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        return getattr(getattr(record, field, None), "name", None)

    return get


def _bank_account_id(record: Any) -> Any:
    """``bank_account_id``, or the ``bank_account`` object's id (one version of the
    ``v1/transactions`` webhook sends the object instead: reference §5.3, UNCONFIRMED)."""
    found = getattr(record, "bank_account_id", None)
    if found is None:
        found = getattr(getattr(record, "bank_account", None), "id", None)
    return found


def _signed(field: str) -> Callable[[Any], Any]:
    """``signed_amount`` or ``signed_amount_cents``: None when the record lacks the amount
    (a webhook's transaction has no ``amount_cents``)."""

    def get(record: Any) -> Any:
        try:
            return getattr(record, field, None)
        except (TypeError, ValueError, AttributeError):
            return None

    return get


def _attachment_count(record: Any) -> Any:
    return len(getattr(record, "attachment_ids", None) or ())


Column = tuple[str, Kind, Callable[[Any], Any]]
# resource -> (column, kind, how to read it from a record); id, deleted_at, seen_run and raw
# are added around them
COLUMNS: dict[str, list[Column]] = {
    "clients": [
        ("name", "text", _display_name),
        ("kind", "text", _attr("kind")),
        ("email", "text", _attr("email")),
        ("vat_number", "text", _attr("vat_number")),
        ("currency", "text", _attr("currency")),
        ("created_at", "timestamp", _attr("created_at")),
        ("updated_at", "timestamp", _attr("updated_at")),
    ],
    "client_invoices": [
        ("number", "text", _attr("number")),
        ("status", "text", _attr("status")),
        ("currency", "text", _attr("currency")),
        ("total_amount", "amount", _amount("total_amount")),
        ("vat_amount", "amount", _amount("vat_amount")),
        ("issue_date", "date", _attr("issue_date")),
        ("due_date", "date", _attr("due_date")),
        ("client_id", "text", _client_id),
        ("attachment_id", "text", _attr("attachment_id")),
        ("created_at", "timestamp", _attr("created_at")),
        ("updated_at", "timestamp", _attr("updated_at")),
    ],
    "supplier_invoices": [
        ("number", "text", _attr("invoice_number")),
        ("status", "text", _attr("status")),
        ("supplier_name", "text", _attr("supplier_name")),
        ("total_amount", "amount", _amount("total_amount")),
        ("currency", "text", _currency_of("total_amount")),
        ("issue_date", "date", _attr("issue_date")),
        ("due_date", "date", _attr("due_date")),
        ("payment_date", "date", _attr("payment_date")),
        ("attachment_id", "text", _attr("attachment_id")),
        ("created_at", "timestamp", _attr("created_at")),
        ("updated_at", "timestamp", _attr("updated_at")),
    ],
    # the bank (version 4)
    "bank_accounts": [
        ("name", "text", _opt("name")),
        ("iban", "text", _opt("iban")),
        ("bic", "text", _opt("bic")),
        ("currency", "text", _opt("currency")),
        ("status", "text", _opt("status")),
        ("main", "integer", _flag("main")),
        ("is_external_account", "integer", _flag("is_external_account")),
        ("balance", "amount", _opt("balance")),
        ("balance_cents", "integer", _opt("balance_cents")),
        ("authorized_balance", "amount", _opt("authorized_balance")),
        ("authorized_balance_cents", "integer", _opt("authorized_balance_cents")),
        ("organization_id", "text", _opt("organization_id")),
        ("updated_at", "timestamp", _opt("updated_at")),
    ],
    "transactions": [
        ("bank_account_id", "text", _bank_account_id),
        ("transaction_id", "text", _opt("transaction_id")),  # Qonto's readable reference
        ("status", "text", _opt("status")),
        ("side", "text", _opt("side")),
        ("operation_type", "text", _opt("operation_type")),
        ("subject_type", "text", _opt("subject_type")),
        ("amount", "amount", _opt("amount")),  # positive; the direction is in side
        ("amount_cents", "integer", _opt("amount_cents")),
        ("signed_amount", "amount", _signed("signed_amount")),  # negative for a debit
        ("signed_amount_cents", "integer", _signed("signed_amount_cents")),
        ("currency", "text", _opt("currency")),
        ("local_amount", "amount", _opt("local_amount")),
        ("local_currency", "text", _opt("local_currency")),
        ("settled_balance", "amount", _opt("settled_balance")),
        ("label", "text", _opt("label")),
        ("counterparty_name", "text", _opt("clean_counterparty_name")),
        ("reference", "text", _opt("reference")),
        ("note", "text", _opt("note")),
        ("category", "text", _opt("category")),
        ("cashflow_category", "text", _name_of("cashflow_category")),
        ("vat_amount", "amount", _opt("vat_amount")),
        ("vat_rate", "amount", _opt("vat_rate")),
        ("initiator_id", "text", _opt("initiator_id")),
        ("card_last_digits", "text", _opt("card_last_digits")),
        ("attachment_count", "integer", _attachment_count),
        ("attachment_required", "integer", _flag("attachment_required")),
        ("attachment_lost", "integer", _flag("attachment_lost")),
        ("emitted_at", "timestamp", _opt("emitted_at")),
        ("settled_at", "timestamp", _opt("settled_at")),  # None while pending
        ("created_at", "timestamp", _opt("created_at")),
        ("updated_at", "timestamp", _opt("updated_at")),
    ],
    "labels": [
        ("name", "text", _opt("name")),
        ("parent_id", "text", _opt("parent_id")),
    ],
    "memberships": [
        ("first_name", "text", _opt("first_name")),
        ("last_name", "text", _opt("last_name")),
        ("email", "text", _opt("email")),  # absent from lists (reference §4.2)
        ("role", "text", _opt("role")),
        ("status", "text", _opt("status")),
        ("team_id", "text", _opt("team_id")),
    ],
}

# the columns people filter on: (table, column or columns, comma-separated)
INDEXES: tuple[tuple[str, str], ...] = (
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
    # version 4: an account's statement for a period; what changed; what is pending
    ("transactions", "bank_account_id,settled_at"),
    ("transactions", "settled_at"),
    ("transactions", "emitted_at"),
    ("transactions", "updated_at"),
    ("transactions", "status"),
    ("attachments", "record_id"),
)


def meta_ddl() -> str:
    return f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


# the tables besides the resources': (column, kind), in order
OTHER_TABLES: dict[str, list[tuple[str, Kind]]] = {
    "cursors": [("resource", "id"), ("cursor", "text"), ("full_run", "integer")],
    "runs": [
        ("id", "serial"),
        ("started_at", "timestamp"),
        ("finished_at", "timestamp"),
        ("status", "text"),  # running, done, failed, interrupted, abandoned
        ("resources", "text"),
        *[(name, "integer") for name in ("new", "updated", "unchanged", "deleted")],
        *[(name, "integer") for name in ("attachments", "requests", "retries")],
    ],
    # a file downloaded by sync --attachments: whose it is (version 4: resource, record_id)
    "attachments": [
        ("id", "id"),
        ("file", "text"),
        ("size", "integer"),
        ("resource", "text"),
        ("record_id", "text"),
    ],
    # one row per webhook event applied: a redelivery is recognised and applied once
    "ledger_events": [
        ("id", "id"),
        ("type", "text"),
        ("resource", "text"),
        ("record_id", "text"),
        ("occurred_at", "timestamp"),
        ("received_at", "timestamp"),
        ("outcome", "text"),  # applied, stale, ignored
        ("raw", "json"),
    ],
}


def columns() -> dict[str, list[tuple[str, Kind]]]:
    """Every table of the current schema (``ledger_meta`` apart): its columns and kinds."""
    found: dict[str, list[tuple[str, Kind]]] = {
        table: [
            ("id", "id"),
            *[(name, kind) for name, kind, _ in fields],
            ("deleted_at", "timestamp"),
            ("seen_run", "integer"),
            ("raw", "json"),
            # when the row's state was Qonto's: the record's updated_at, else when the page
            # was answered or the event happened (version 3; see _rows)
            ("as_of", "timestamp"),
        ]
        for table, fields in COLUMNS.items()
    }
    found.update(OTHER_TABLES)
    return found


def tables() -> dict[str, list[str]]:
    """The tables of the current schema, ``ledger_meta`` included, and their columns."""
    names = {table: [name for name, _ in cols] for table, cols in columns().items()}
    return {**names, META_TABLE: ["key", "value"]}


def table_ddl(table: str, postgres: bool) -> str:
    spelled = ", ".join(f"{name} {sql_type(kind, postgres)}" for name, kind in columns()[table])
    return f"CREATE TABLE IF NOT EXISTS {table} ({spelled})"


def index_ddl(indexes: Sequence[tuple[str, str]] = INDEXES) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {table}_{column.replace(',', '_')}_idx "
        f"ON {table} ({column.replace(',', ', ')})"
        for table, column in indexes
    ]


def ddl(postgres: bool) -> list[str]:
    """The statements creating the ledger's tables and indexes (``meta_ddl`` apart)."""
    return [*(table_ddl(table, postgres) for table in columns()), *index_ddl()]
