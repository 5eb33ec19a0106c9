"""The SQLite ledger: one table per resource, a table of cursors and one of runs.

Each page of records is written in one transaction together with the cursor that follows
it, so a run killed at any instant (``kill -9`` included) leaves the ledger at a page
boundary, and the next run resumes from exactly there: nothing lost, nothing twice (ids are
primary keys). Amounts are stored as decimal strings, exact; ``raw`` keeps the whole record
as Qonto sent it (decoded and re-encoded by the SDK).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

__all__ = ["COLUMNS", "Ledger", "PageCounts"]

_encode = msgspec.json.Encoder(decimal_format="string").encode


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


@dataclasses.dataclass
class PageCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: PageCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


class Ledger:
    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._create()

    def close(self) -> None:
        self._db.close()

    def _create(self) -> None:
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
            "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "started_at TEXT NOT NULL, finished_at TEXT, status TEXT, resources TEXT, "
            "new INTEGER, updated INTEGER, unchanged INTEGER, deleted INTEGER, "
            "attachments INTEGER, requests INTEGER, retries INTEGER)",
            "CREATE TABLE IF NOT EXISTS attachments (id TEXT PRIMARY KEY, file TEXT NOT NULL, "
            "size INTEGER NOT NULL)",
        ]
        with self._transaction():
            for statement in statements:
                self._db.execute(statement)

    def _transaction(self) -> Any:
        return _Transaction(self._db)

    # -- runs and cursors ---------------------------------------------------------------

    def start_run(self, resources: Sequence[str]) -> int:
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, status, resources) VALUES (?, 'running', ?)",
                (_now(), ",".join(resources)),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run: int, status: str, **counts: int) -> None:
        sets = ", ".join(f"{key} = ?" for key in counts)
        with self._transaction():
            self._db.execute(
                f"UPDATE runs SET finished_at = ?, status = ?, {sets} WHERE id = ?",
                (_now(), status, *counts.values(), run),
            )

    def cursor(self, resource: str) -> tuple[str | None, int | None]:
        row = self._db.execute(
            "SELECT cursor, full_run FROM cursors WHERE resource = ?", (resource,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def begin_full(self, resource: str, run: int) -> None:
        """A full re-list starts: forget the cursor, remember which run marks what it sees."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO cursors (resource, cursor, full_run) VALUES (?, NULL, ?) "
                "ON CONFLICT (resource) DO UPDATE SET cursor = NULL, full_run = excluded.full_run",
                (resource, run),
            )

    # -- pages -----------------------------------------------------------------------------

    def write_page(
        self, resource: str, records: Sequence[Any], cursor: str | None, mark: int | None
    ) -> PageCounts:
        """Upsert ``records`` and store ``cursor`` (unless None), atomically; rows seen get
        ``mark``."""
        columns = COLUMNS[resource]
        names = [name for name, _ in columns]
        placeholders = ", ".join("?" for _ in range(len(names) + 4))
        updates = ", ".join(f"{n} = excluded.{n}" for n in [*names, "raw", "deleted_at"])
        sql = (
            f"INSERT INTO {resource} (id, {', '.join(names)}, raw, deleted_at, seen_run) "
            f"VALUES ({placeholders}) ON CONFLICT (id) DO UPDATE SET {updates}, "
            "seen_run = COALESCE(excluded.seen_run, seen_run)"
        )
        counts = PageCounts()
        rows = [
            (record.id, *[get(record) for _, get in columns], _encode(record).decode(), None, mark)
            for record in records
        ]
        with self._transaction():
            if rows:
                marks = ", ".join("?" for _ in rows)
                before = {
                    row[0]: (row[1], row[2])
                    for row in self._db.execute(
                        f"SELECT id, raw, deleted_at FROM {resource} WHERE id IN ({marks})",
                        [row[0] for row in rows],
                    )
                }
                for row in rows:
                    old = before.get(row[0])
                    if old is None:
                        counts.new += 1
                    elif old[0] != row[-3] or old[1] is not None:
                        counts.updated += 1
                    else:
                        counts.unchanged += 1
                self._db.executemany(sql, rows)
            if cursor is not None:
                self._db.execute(
                    "INSERT INTO cursors (resource, cursor) VALUES (?, ?) "
                    "ON CONFLICT (resource) DO UPDATE SET cursor = excluded.cursor",
                    (resource, cursor),
                )
        return counts

    def unseen(self, resource: str, run: int) -> list[str]:
        """Ids of live rows a full re-list marked ``run`` did not see."""
        rows = self._db.execute(
            f"SELECT id FROM {resource} WHERE deleted_at IS NULL "
            "AND (seen_run IS NULL OR seen_run != ?) ORDER BY id",
            (run,),
        ).fetchall()
        return [row[0] for row in rows]

    def finish_full(self, resource: str, run: int) -> int:
        """Mark rows a completed full re-list did not see (and Qonto answered 404 for) as
        deleted; how many."""
        with self._transaction():
            changed = self._db.execute(
                f"UPDATE {resource} SET deleted_at = ? WHERE deleted_at IS NULL "
                "AND (seen_run IS NULL OR seen_run != ?)",
                (_now(), run),
            ).rowcount
            self._db.execute("UPDATE cursors SET full_run = NULL WHERE resource = ?", (resource,))
        return changed

    # -- webhook events -------------------------------------------------------------------

    def apply_event(self, resource: str, record: Any, *, deleted: bool) -> PageCounts:
        """Store a record a webhook event carried; a deleted record keeps its row, marked
        ``deleted_at`` (as ``sync --full`` marks them)."""
        counts = self.write_page(resource, [record], None, None)
        if deleted:
            with self._transaction():
                self._db.execute(
                    f"UPDATE {resource} SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                    (_now(), record.id),
                )
        return counts

    def row(self, resource: str, record_id: str) -> dict[str, Any] | None:
        """One stored row, its columns by name (``raw`` decoded), or None."""
        cursor = self._db.execute(f"SELECT * FROM {resource} WHERE id = ?", (record_id,))
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip([d[0] for d in cursor.description], values, strict=True))
        row["raw"] = msgspec.json.decode(row["raw"])
        return row

    def ids(self, resource: str, *, deleted: bool = False) -> set[str]:
        condition = "IS NOT NULL" if deleted else "IS NULL"
        rows = self._db.execute(f"SELECT id FROM {resource} WHERE deleted_at {condition}")
        return {row[0] for row in rows}

    # -- attachments ---------------------------------------------------------------------

    def attachment_ids(self, resource: str) -> list[str]:
        rows = self._db.execute(
            f"SELECT attachment_id FROM {resource} WHERE attachment_id IS NOT NULL "
            "AND deleted_at IS NULL ORDER BY id"
        ).fetchall()
        return [row[0] for row in rows]

    def attachment(self, attachment_id: str) -> tuple[str, int] | None:
        row = self._db.execute(
            "SELECT file, size FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def record_attachment(self, attachment_id: str, file: str, size: int) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO attachments (id, file, size) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET file = excluded.file, size = excluded.size",
                (attachment_id, file, size),
            )

    def count(self, resource: str, *, deleted: bool = False) -> int:
        condition = "IS NOT NULL" if deleted else "IS NULL"
        row = self._db.execute(f"SELECT COUNT(*) FROM {resource} WHERE deleted_at {condition}")
        return int(row.fetchone()[0])


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
