"""The ledger behind ``qonto-async sync`` and ``listen``: SQLite (a file path, the default)
or PostgreSQL (a ``postgresql://`` URL, with the ``postgres`` extra), one schema for both.

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
from collections.abc import Sequence
from typing import Any

import msgspec

from .schema import COLUMNS, ddl

__all__ = ["Ledger", "PageCounts", "is_postgres"]

_encode = msgspec.json.Encoder(decimal_format="string").encode


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


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
    """The ledger at ``db``: a SQLite file, or a PostgreSQL URL."""

    def __init__(self, db: str) -> None:
        self.path = db
        self._postgres = is_postgres(db)
        if self._postgres:
            try:
                import psycopg
            except ImportError:
                raise RuntimeError(
                    "a PostgreSQL ledger needs psycopg: pip install 'qonto-async[postgres]'"
                ) from None
            self._db: Any = psycopg.connect(db, autocommit=True)
        else:
            self._db = sqlite3.connect(db, isolation_level=None)
            self._execute("PRAGMA journal_mode=WAL")
            self._execute("PRAGMA synchronous=NORMAL")
        self._create()

    def _sql(self, statement: str) -> str:
        """Statements are written with ``?``; psycopg takes ``%s``."""
        return statement.replace("?", "%s") if self._postgres else statement

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self._db.execute(self._sql(statement), params)

    def _executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        cursor = self._db.cursor()
        cursor.executemany(self._sql(statement), rows)

    def close(self) -> None:
        self._db.close()

    def _create(self) -> None:
        serial = "BIGSERIAL PRIMARY KEY" if self._postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
        with self._transaction():
            for statement in ddl(serial):
                self._execute(statement)

    def _transaction(self) -> Any:
        return _Transaction(self._db, "BEGIN" if self._postgres else "BEGIN IMMEDIATE")

    # -- runs and cursors ---------------------------------------------------------------

    def start_run(self, resources: Sequence[str]) -> int:
        with self._transaction():
            row = self._execute(
                "INSERT INTO runs (started_at, status, resources) VALUES (?, 'running', ?) "
                "RETURNING id",
                (_now(), ",".join(resources)),
            ).fetchone()
        return int(row[0])

    def finish_run(self, run: int, status: str, **counts: int) -> None:
        sets = ", ".join(f"{key} = ?" for key in counts)
        with self._transaction():
            self._execute(
                f"UPDATE runs SET finished_at = ?, status = ?, {sets} WHERE id = ?",
                (_now(), status, *counts.values(), run),
            )

    def cursor(self, resource: str) -> tuple[str | None, int | None]:
        row = self._execute(
            "SELECT cursor, full_run FROM cursors WHERE resource = ?", (resource,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def begin_full(self, resource: str, run: int) -> None:
        """A full re-list starts: forget the cursor, remember which run marks what it sees."""
        with self._transaction():
            self._execute(
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
            f"seen_run = COALESCE(excluded.seen_run, {resource}.seen_run)"
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
                    for row in self._execute(
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
                self._executemany(sql, rows)
            if cursor is not None:
                self._execute(
                    "INSERT INTO cursors (resource, cursor) VALUES (?, ?) "
                    "ON CONFLICT (resource) DO UPDATE SET cursor = excluded.cursor",
                    (resource, cursor),
                )
        return counts

    def unseen(self, resource: str, run: int) -> list[str]:
        """Ids of live rows a full re-list marked ``run`` did not see."""
        rows = self._execute(
            f"SELECT id FROM {resource} WHERE deleted_at IS NULL "
            "AND (seen_run IS NULL OR seen_run != ?) ORDER BY id",
            (run,),
        ).fetchall()
        return [row[0] for row in rows]

    def finish_full(self, resource: str, run: int) -> int:
        """Mark rows a completed full re-list did not see (and Qonto answered 404 for) as
        deleted; how many."""
        with self._transaction():
            changed = self._execute(
                f"UPDATE {resource} SET deleted_at = ? WHERE deleted_at IS NULL "
                "AND (seen_run IS NULL OR seen_run != ?)",
                (_now(), run),
            ).rowcount
            self._execute("UPDATE cursors SET full_run = NULL WHERE resource = ?", (resource,))
        return int(changed)

    # -- webhook events -------------------------------------------------------------------

    def apply_event(self, resource: str, record: Any, *, deleted: bool) -> PageCounts:
        """Store a record a webhook event carried; a deleted record keeps its row, marked
        ``deleted_at`` (as ``sync --full`` marks them)."""
        counts = self.write_page(resource, [record], None, None)
        if deleted:
            with self._transaction():
                self._execute(
                    f"UPDATE {resource} SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                    (_now(), record.id),
                )
        return counts

    def row(self, resource: str, record_id: str) -> dict[str, Any] | None:
        """One stored row, its columns by name (``raw`` decoded), or None."""
        cursor = self._execute(f"SELECT * FROM {resource} WHERE id = ?", (record_id,))
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip([d[0] for d in cursor.description], values, strict=True))
        row["raw"] = msgspec.json.decode(row["raw"])
        return row

    def ids(self, resource: str, *, deleted: bool = False) -> set[str]:
        condition = "IS NOT NULL" if deleted else "IS NULL"
        rows = self._execute(f"SELECT id FROM {resource} WHERE deleted_at {condition}")
        return {row[0] for row in rows}

    # -- attachments ---------------------------------------------------------------------

    def attachment_ids(self, resource: str) -> list[str]:
        rows = self._execute(
            f"SELECT attachment_id FROM {resource} WHERE attachment_id IS NOT NULL "
            "AND deleted_at IS NULL ORDER BY id"
        ).fetchall()
        return [row[0] for row in rows]

    def attachment(self, attachment_id: str) -> tuple[str, int] | None:
        row = self._execute(
            "SELECT file, size FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def record_attachment(self, attachment_id: str, file: str, size: int) -> None:
        with self._transaction():
            self._execute(
                "INSERT INTO attachments (id, file, size) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET file = excluded.file, size = excluded.size",
                (attachment_id, file, size),
            )

    def count(self, resource: str, *, deleted: bool = False) -> int:
        condition = "IS NOT NULL" if deleted else "IS NULL"
        row = self._execute(f"SELECT COUNT(*) FROM {resource} WHERE deleted_at {condition}")
        return int(row.fetchone()[0])


class _Transaction:
    def __init__(self, db: Any, begin: str) -> None:
        self._db = db
        self._begin = begin

    def __enter__(self) -> None:
        self._db.execute(self._begin)

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
