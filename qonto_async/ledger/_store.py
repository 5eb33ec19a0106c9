"""The ledger's database, blocking: SQLite (a file path) or PostgreSQL (a ``postgresql://``
URL, with the ``postgres`` extra), one schema for both. :class:`~qonto_async.ledger.Ledger`
runs every call of this module in one thread of its own, so the event loop never waits on
the database.

Each page of records is written in one transaction together with the cursor that follows
it, so a run killed at any instant (``kill -9`` included) leaves the ledger at a page
boundary, and the next run resumes from exactly there: nothing lost, nothing twice (ids are
primary keys). How rows are written (the rule that never moves one back in time) is in
:mod:`._rows`.

Opening checks before it writes: a SQLite file must pass ``PRAGMA quick_check`` (about 70 ms
for a ledger of 20,000 invoices, page cache warm), and the database must be empty or a
ledger, which is then upgraded in place (:mod:`._opening`). A sync holds the ledger's lock
(:meth:`Store.lock`, :mod:`._lock`) for its run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from ._errors import LedgerBusyError, LedgerDamagedError, LedgerError, display_name, scrubbed
from ._lock import FileLock, pg_try_lock, pg_unlock
from ._opening import prepare
from ._schema import SCHEMA_VERSION, utc_text

__all__ = ["Store", "is_postgres", "now_utc"]

# SQLite's words for a file that is damaged or no database at all
_DAMAGED = ("malformed", "not a database", "corrupt")

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def check_target(db: str) -> None:
    """A SQLite path or a PostgreSQL URL; any other URL (``mysql://``) is refused rather than
    taken for a file name."""
    scheme = _SCHEME.match(db)
    if scheme is not None and not is_postgres(db):
        raise LedgerError(
            f"a ledger is a SQLite file path or a postgresql:// URL, not a {scheme.group(1)}:// URL"
        )


class Store:
    """The ledger's database at ``db``: a SQLite file, or a PostgreSQL URL.

    Opening it refuses, with a :class:`LedgerError` naming it and before any write, a
    database that is neither empty nor a ledger, a ledger a newer release wrote, and a
    damaged file; an older ledger is upgraded in place. ``busy_timeout`` is how long a
    statement waits for another writer's lock (SQLite) before failing.
    """

    def __init__(self, db: str, *, busy_timeout: float = 5.0) -> None:
        self.path = db
        self.name = display_name(db)  # for messages: no password
        self.postgres = self._postgres = is_postgres(db)
        self._busy_timeout = busy_timeout
        self._lock: FileLock | None = None
        self._locked = False
        self._db: Any = None
        self.errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        self.upgraded_from: int | None = None  # the schema version an upgrade started from
        error: LedgerError | None = None
        try:
            check_target(db)
            self._open(db)
        except BaseException as exc:
            self.close()
            if not isinstance(exc, self.errors):
                raise
            error = self.explain(exc, opening=True)
        if error is not None:  # outside the except: the driver's error is not kept as context
            raise error

    def _open(self, db: str) -> None:
        if self._postgres:
            try:
                import psycopg
            except ImportError:
                raise LedgerError(
                    "a PostgreSQL ledger needs psycopg: pip install 'qonto-async[postgres]'"
                ) from None
            self.errors = (psycopg.Error,)
            self._db = psycopg.connect(db, autocommit=True)
        else:
            self._db = sqlite3.connect(db, isolation_level=None, timeout=self._busy_timeout)
            problems = self._execute("PRAGMA quick_check(1)").fetchall()
            if problems != [("ok",)]:
                raise LedgerDamagedError(self._damaged(_one_line(str(problems[0][0]))))
            # A new file gets pages that hold a record whole (raw is about 4 KB); a no-op on an
            # existing database
            self._execute("PRAGMA page_size=16384")
        found = prepare(_Executor(self), self.name, self._transaction)
        self.upgraded_from = found if 0 < found < SCHEMA_VERSION else None
        if not self._postgres:  # only now that the file is known to be a ledger
            self._execute("PRAGMA journal_mode=WAL")
            self._execute("PRAGMA synchronous=NORMAL")
            # Checkpoints sync the file: fewer of them, a larger WAL (truncated back to 64 MB)
            self._execute("PRAGMA wal_autocheckpoint=2000")
            # ids are random: a page cache that holds the indexes' pages (32 MB at most)
            self._execute("PRAGMA cache_size=-32768")
            self._execute(f"PRAGMA journal_size_limit={64 << 20}")

    def _damaged(self, detail: str) -> str:
        return (
            f"the ledger {self.name} is damaged ({detail}): restore it from a backup, or "
            "rebuild it from Qonto into a new file (sync --db NEW_FILE)"
        )

    def explain(self, exc: BaseException, *, opening: bool = False) -> LedgerError:
        """A database error met while opening or using the ledger, as one sentence naming
        it."""
        if isinstance(exc, LedgerError):
            return exc
        detail = scrubbed(_one_line(str(exc)), self.path) or type(exc).__name__
        if not self._postgres and "not a database" in detail:
            return LedgerDamagedError(
                f"cannot open the ledger {self.name}: it is not a SQLite database, or a "
                f"damaged one ({detail})"
            )
        if not self._postgres and any(word in detail for word in _DAMAGED):
            return LedgerDamagedError(self._damaged(detail))
        if opening:
            return LedgerError(f"cannot open the ledger {self.name}: {detail}")
        return LedgerError(f"the ledger {self.name} failed: {detail}")

    def _sql(self, statement: str) -> str:
        """Statements are written with ``?``; psycopg takes ``%s``."""
        return statement.replace("?", "%s") if self._postgres else statement

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self._db.execute(self._sql(statement), params)

    execute = _execute

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        cursor = self._db.cursor()
        cursor.executemany(self._sql(statement), rows)

    def close(self) -> None:
        """Close the connection and release the sync lock (if this ledger held it)."""
        self._locked = False
        try:
            if self._db is not None:
                with contextlib.suppress(*self.errors):
                    self._db.close()
                self._db = None
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def _transaction(self) -> Any:
        return _Transaction(self._db, "BEGIN" if self._postgres else "BEGIN IMMEDIATE")

    transaction = _transaction

    # -- one sync at a time ------------------------------------------------------------------

    def lock(self, wait: float = 0.0, *, poll: float = 0.25) -> None:
        """Take the ledger's sync lock, waiting up to ``wait`` seconds for another sync to
        release it; :class:`LedgerBusyError` if it does not. Held until :meth:`unlock` or
        :meth:`close`, and by the kernel or the server only as long as this process lives."""
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            holder = self._try_lock()
            if holder is None:
                self._locked = True
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LedgerBusyError(f"another sync is running on {self.name}{holder}")
            time.sleep(min(poll, remaining))

    def unlock(self) -> None:
        if not self._locked:
            return
        self._locked = False
        if self._postgres:
            with contextlib.suppress(*self.errors):
                pg_unlock(self._db)
        elif self._lock is not None:
            self._lock.release()

    def _try_lock(self) -> str | None:
        if self._locked:
            return None  # held already (PostgreSQL's advisory locks would stack)
        if self._postgres:
            return pg_try_lock(self._db)
        if self.path in ("", ":memory:"):
            return None  # a private database: no one else can sync it
        if self._lock is None:
            self._lock = FileLock(os.path.realpath(self.path) + ".lock")
        try:
            return self._lock.try_acquire()
        except OSError as exc:
            raise LedgerError(
                f"cannot lock the ledger {self.name}: {exc.strerror or exc} ({self._lock.path})"
            ) from None

    # -- runs and cursors ---------------------------------------------------------------

    def start_run(self, resources: Sequence[str]) -> int:
        """Record a run starting; runs still ``running`` are marked ``abandoned``: with the
        lock held, no other process can be running them (they were killed)."""
        if not self._locked:
            raise RuntimeError("start_run() needs the sync lock: call lock() first")
        with self._transaction():
            self._execute("UPDATE runs SET status = 'abandoned' WHERE status = 'running'")
            row = self._execute(
                "INSERT INTO runs (started_at, status, resources) VALUES (?, 'running', ?) "
                "RETURNING id",
                (_now(self._postgres), ",".join(resources)),
            ).fetchone()
        return int(row[0])

    def finish_run(self, run: int, status: str, **counts: int) -> None:
        sets = ", ".join(f"{key} = ?" for key in counts)
        with self._transaction():
            self._execute(
                f"UPDATE runs SET finished_at = ?, status = ?, {sets} WHERE id = ?",
                (_now(self._postgres), status, *counts.values(), run),
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

    # -- full re-lists ----------------------------------------------------------------------

    def unseen(self, resource: str, run: int) -> list[str]:
        """Ids of live rows a full re-list marked ``run`` did not see."""
        rows = self._execute(
            f"SELECT id FROM {resource} WHERE deleted_at IS NULL "
            "AND (seen_run IS NULL OR seen_run != ?) ORDER BY id",
            (run,),
        ).fetchall()
        return [row[0] for row in rows]

    def finish_full(self, resource: str, gone: Sequence[str]) -> int:
        """End a full re-list: mark the rows Qonto answered 404 for (``gone``) deleted; how
        many. Only those: a row created meanwhile (by a webhook event) was not seen either,
        and exists."""
        changed = 0
        with self._transaction():
            now = _now(self._postgres)
            for start in range(0, len(gone), 500):
                chunk = gone[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                changed += self._execute(
                    f"UPDATE {resource} SET deleted_at = ? WHERE deleted_at IS NULL "
                    f"AND id IN ({marks})",
                    (now, *chunk),
                ).rowcount
            self._execute("UPDATE cursors SET full_run = NULL WHERE resource = ?", (resource,))
        return changed

    # -- reading -------------------------------------------------------------------------

    def row(self, resource: str, record_id: str) -> dict[str, Any] | None:
        """One stored row, its columns by name (``raw`` decoded), or None."""
        cursor = self._execute(f"SELECT * FROM {resource} WHERE id = ?", (record_id,))
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip([d[0] for d in cursor.description], values, strict=True))
        if isinstance(row["raw"], str):  # PostgreSQL's jsonb comes decoded
            row["raw"] = msgspec.json.decode(row["raw"])
        return row

    def ids(self, resource: str, *, deleted: bool = False) -> set[str]:
        condition = "IS NOT NULL" if deleted else "IS NULL"
        rows = self._execute(f"SELECT id FROM {resource} WHERE deleted_at {condition}")
        return {row[0] for row in rows}

    # -- attachments ---------------------------------------------------------------------

    def attachment_ids(self, resource: str) -> list[tuple[str, str]]:
        """``(record id, attachment id)`` for each file the live rows of ``resource`` have:
        an invoice's ``attachment_id``; a transaction's ``attachment_ids`` (its receipts, read
        from ``raw``), in their order."""
        if resource == "transactions":
            return self._receipt_ids()
        rows = self._execute(
            f"SELECT id, attachment_id FROM {resource} WHERE attachment_id IS NOT NULL "
            "AND deleted_at IS NULL ORDER BY id"
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def _receipt_ids(self) -> list[tuple[str, str]]:
        field = "attachment_ids"
        listed = f"raw -> '{field}'" if self._postgres else f"json_extract(raw, '$.{field}')"
        rows = self._execute(
            f"SELECT id, {listed} FROM transactions WHERE attachment_count > 0 "
            "AND deleted_at IS NULL ORDER BY id"
        ).fetchall()
        found: list[tuple[str, str]] = []
        for record_id, ids in rows:
            if isinstance(ids, str):  # SQLite answers the array as JSON text
                with contextlib.suppress(msgspec.DecodeError):
                    ids = msgspec.json.decode(ids)
            if isinstance(ids, list):
                found.extend((record_id, one) for one in ids if isinstance(one, str) and one)
        return found

    def attachment(self, attachment_id: str) -> tuple[str, int] | None:
        row = self._execute(
            "SELECT file, size FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def record_attachment(
        self,
        attachment_id: str,
        file: str,
        size: int,
        resource: str | None = None,
        record_id: str | None = None,
    ) -> None:
        with self._transaction():
            self._execute(
                "INSERT INTO attachments (id, file, size, resource, record_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET file = excluded.file, "
                "size = excluded.size, resource = excluded.resource, "
                "record_id = excluded.record_id",
                (attachment_id, file, size, resource, record_id),
            )

    def count(self, resource: str, *, deleted: bool = False) -> int:
        condition = "IS NOT NULL" if deleted else "IS NULL"
        row = self._execute(f"SELECT COUNT(*) FROM {resource} WHERE deleted_at {condition}")
        return int(row.fetchone()[0])


class _Executor:
    """The ledger as the schema steps see it (:class:`._migrations.Executor`)."""

    def __init__(self, ledger: Store) -> None:
        self.postgres = ledger._postgres
        self._ledger = ledger

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self._ledger._execute(statement, params)


class _Transaction:
    def __init__(self, db: Any, begin: str) -> None:
        self._db = db
        self._begin = begin

    def __enter__(self) -> None:
        self._db.execute(self._begin)

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
            return
        with contextlib.suppress(Exception):  # SQLite may have rolled back already (disk full)
            self._db.execute("ROLLBACK")


def _one_line(text: str) -> str:
    """SQLite's and PostgreSQL's messages may span lines ("*** in database main ***")."""
    lines = [line.strip(" *\t") for line in text.splitlines()]
    return "; ".join(line for line in lines if line and line != "in database main")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now(postgres: bool) -> Any:
    moment = now_utc()
    return moment if postgres else utc_text(moment)
