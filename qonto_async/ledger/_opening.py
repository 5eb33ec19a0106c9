"""Opening a database as a ledger: what it holds decides what happens, before any write.

- nothing at all (a new file, an empty database or schema): the current schema is created;
- a ledger (``ledger_meta``'s marker, or version 1's exact tables): upgraded in place to
  ``SCHEMA_VERSION`` through ``migrations.MIGRATIONS``, then its tables are checked;
- a ledger from a newer release: refused (this release would not know its columns);
- anything else: someone else's database, refused untouched.

The first look is read-only. Creating and upgrading happen in write transactions that look
again first (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's transaction advisory lock), so two
processes opening one new or old ledger at once create or upgrade it once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from ._errors import LedgerDamagedError, LedgerTooNewError, NotALedgerError
from ._lock import PG_MIGRATION_LOCK, pg_key
from ._migrations import MIGRATIONS, V1_TABLES, Executor
from ._schema import MARKER, META_TABLE, SCHEMA_VERSION, ddl, meta_ddl, tables

__all__ = ["prepare"]

EMPTY = 0  # the version of a database holding nothing


def prepare(
    db: Executor, name: str, transaction: Callable[[], AbstractContextManager[None]]
) -> int:
    """Make ``db`` a ledger at ``SCHEMA_VERSION``, or raise; the version it was found at."""
    found = version = _version(db, name)
    if version > SCHEMA_VERSION:
        raise LedgerTooNewError(
            f"the ledger {name} has schema version {version}, newer than this qonto-async "
            f"knows (up to {SCHEMA_VERSION}): upgrade qonto-async to use it"
        )
    steps = {step.version: step for step in MIGRATIONS}
    while version < SCHEMA_VERSION:  # each pass raises the version, or raises
        with transaction():
            if db.postgres:
                db.execute(f"SELECT pg_advisory_xact_lock({pg_key(PG_MIGRATION_LOCK)})")
            current = _version(db, name)  # again, now that no one else can change it
            if current == EMPTY:
                for statement in [*ddl(db.postgres), meta_ddl()]:
                    db.execute(statement)
                db.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES ('marker', ?)", (MARKER,))
                reached = SCHEMA_VERSION
            elif current < SCHEMA_VERSION:
                steps[current + 1].apply(db)
                reached = current + 1
            else:
                reached = current
            if reached != current:
                db.execute(
                    f"INSERT INTO {META_TABLE} (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(reached),),
                )
        version = reached
    _check_columns(db, name)
    return found


def _layout(db: Executor) -> tuple[dict[str, list[str]], int]:
    """The tables (views included) of the database, or of the PostgreSQL schema the ledger
    lives in, with their columns; and how many other objects (indexes, triggers) there are."""
    if db.postgres:
        if db.execute("SELECT current_schema()").fetchone()[0] is None:
            raise NotALedgerError(
                "no schema to keep the ledger in: the search_path names none that exists"
            )
        rows = db.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position"
        ).fetchall()
        names = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        layout: dict[str, list[str]] = {row[0]: [] for row in names}
        for table, column in rows:
            layout.setdefault(table, []).append(column)
        return layout, 0
    objects = db.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall()
    layout = {}
    for kind, table in objects:
        if kind in ("table", "view"):
            layout[table] = [
                row[0] for row in db.execute("SELECT name FROM pragma_table_info(?)", (table,))
            ]
    return layout, len(objects) - len(layout)


def _version(db: Executor, name: str) -> int:
    layout, others = _layout(db)
    if not layout and not others:
        return EMPTY
    if layout.get(META_TABLE) == ["key", "value"]:
        meta = dict(db.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
        if meta.get("marker") == MARKER:
            version = str(meta.get("schema_version", ""))
            if not version.isdigit() or int(version) < 2:
                raise LedgerDamagedError(
                    f"the ledger {name} is damaged: its schema version is {version or 'missing'}"
                )
            return int(version)
    elif {table: tuple(columns) for table, columns in layout.items()} == V1_TABLES:
        return 1  # the first release's ledger: no ledger_meta yet
    shown = sorted(layout)
    listed = ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")
    raise NotALedgerError(
        f"{name} is not a qonto-async ledger (it holds {listed or 'other objects'}): nothing "
        "was changed; give a new file or an existing ledger"
    )


def _check_columns(db: Executor, name: str) -> None:
    """Every table and column of the schema is there (a ledger may hold more: a user's own
    views, tables or columns are left alone)."""
    layout, _ = _layout(db)
    for table, columns in tables().items():
        missing = [column for column in columns if column not in layout.get(table, [])]
        if missing:
            what = f"lacks columns {', '.join(missing)}" if table in layout else "is missing"
            raise LedgerDamagedError(f"the ledger {name} is damaged: its table {table} {what}")
