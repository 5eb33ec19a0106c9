"""What ``qonto-async sync --db FILE`` agrees to open: an empty database (it becomes a ledger),
a ledger (upgraded in place when an older release wrote it), nothing else; and a damaged
ledger is said to be damaged, in one line, before anything is synced."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ledger_helpers as ledger
import pytest

from qonto_async.ledger import RESOURCES
from qonto_async.testing import FakeQonto

from .ledger_checks import (
    LEDGER_V1,
    V1_TABLES,
    assert_one_line_failure,
    dump,
    file_state,
    meta,
    run_sync,
    sqlite_columns,
)


@pytest.fixture
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=7, clients=12, client_invoices=160, supplier_invoices=90)
    with server.running_in_thread() as running:
        yield running


def make_app_database(path: Path, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for statement in statements:
            conn.execute(statement)


# -- a database that is not a ledger is refused untouched (issue 22, defect 6) -------------


@pytest.mark.parametrize(
    "statements",
    [
        # an application's own `clients` table: the case the issue reproduced
        (
            "CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "INSERT INTO clients (name) VALUES ('Acme')",
        ),
        ("CREATE TABLE notes (body TEXT)",),
        ("CREATE VIEW answer AS SELECT 42",),
        # a ledger's tables beside an application's: not a ledger either
        (
            "CREATE TABLE cursors (resource TEXT PRIMARY KEY, cursor TEXT, full_run INTEGER)",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY)",
        ),
    ],
    ids=["app-clients", "other-table", "a-view", "ledger-lookalike"],
)
def test_a_foreign_database_is_refused_before_any_write(
    fake: FakeQonto, tmp_path: Path, statements: tuple[str, ...]
) -> None:
    db = tmp_path / "app.sqlite"
    make_app_database(db, *statements)
    before = file_state(db)
    result = run_sync(fake, "--db", str(db))
    assert_one_line_failure(result, 2, str(db), "not a qonto-async ledger")
    assert file_state(db) == before
    assert fake.stats.total_requests == 0  # refused before any request


def test_a_file_that_is_no_database_is_refused_untouched(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_bytes(b"remember the milk\n" * 400)
    before = file_state(db)
    assert_one_line_failure(run_sync(fake, "--db", str(db)), 1, str(db))
    assert file_state(db) == before


def test_a_ledger_from_a_newer_release_is_refused_untouched(
    fake: FakeQonto, tmp_path: Path
) -> None:
    db = tmp_path / "ledger.sqlite"
    assert run_sync(fake, "--db", str(db), "--resources", "clients").exit_code == 0
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE ledger_meta SET value = '999' WHERE key = 'schema_version'")
    before = file_state(db)
    assert_one_line_failure(run_sync(fake, "--db", str(db)), 1, str(db), "999")
    assert file_state(db) == before


def test_an_empty_file_becomes_a_ledger(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    db.touch()
    result = run_sync(fake, "--db", str(db))
    assert result.exit_code == 0, result.output
    everything = sum(len(fake.ids(resource)) for resource in RESOURCES)  # the bank included
    assert everything > 262 + 300
    assert f"{everything} new" in result.stderr
    assert meta(db)["marker"] == "qonto-async ledger"


def test_a_missing_folder_is_one_line(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "ledger.sqlite"
    assert_one_line_failure(run_sync(fake, "--db", str(db)), 1, str(db))


# -- schema versions and migrations (defect 7) ---------------------------------------------


def test_a_v1_ledger_is_upgraded_in_place_with_every_row(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    shutil.copyfile(LEDGER_V1, db)
    before = dump(db)
    assert sum(len(rows) for rows in before.values()) > 60  # the fixture is what it says
    assert ledger.open_once(str(db)) == 1
    after = {
        table: [row[: len(V1_COLUMNS[table])] for row in rows] for table, rows in dump(db).items()
    }
    assert normalized(after) == normalized(before)  # every row of every table, as it was
    from qonto_async.ledger import SCHEMA_VERSION

    assert meta(db) == {"marker": "qonto-async ledger", "schema_version": str(SCHEMA_VERSION)}
    fresh = tmp_path / "fresh.sqlite"
    ledger.open_once(str(fresh))
    assert sqlite_columns(db) == sqlite_columns(fresh)  # the same schema as a new ledger's
    upgraded = dump(db)
    assert ledger.open_once(str(db)) is None  # opening an up-to-date ledger changes nothing
    assert dump(db) == upgraded


V1_COLUMNS = {table: [c for c, _ in cols] for table, cols in sqlite_columns(LEDGER_V1).items()}


def normalized(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows with their timestamps as instants (version 3 rewrote them in UTC, one width)."""

    def instant(value: Any) -> Any:
        if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
            with contextlib.suppress(ValueError):
                return dt.datetime.fromisoformat(value)
        return value

    return {t: [tuple(instant(v) for v in row) for row in rows] for t, rows in tables.items()}


def test_a_v1_ledger_syncs_after_its_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    shutil.copyfile(LEDGER_V1, db)
    before = dump(db, ("clients", "client_invoices", "supplier_invoices"))
    # the fake the fixture was written against (its deletions and updates aside)
    server = FakeQonto(seed=5, clients=4, client_invoices=16, supplier_invoices=14)
    with server.running_in_thread() as fake:
        result = run_sync(fake, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "ledger upgraded in place from schema version 1 to" in result.stderr
    after = dump(db, ("clients", "client_invoices", "supplier_invoices"))
    for table, rows in before.items():
        assert {row[0] for row in rows} <= {row[0] for row in after[table]}, table
    with contextlib.closing(sqlite3.connect(db)) as conn:
        runs = conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall()
    # the run killed before the upgrade is known to be over (defect 10)
    assert runs == [(1, "done"), (2, "done"), (3, "abandoned"), (4, "done")]


def test_migrations_are_one_step_per_version_in_order() -> None:
    from qonto_async.ledger import SCHEMA_VERSION
    from qonto_async.ledger._migrations import MIGRATIONS
    from qonto_async.ledger._migrations import V1_TABLES as FROZEN

    versions = [step.version for step in MIGRATIONS]
    assert versions == list(range(2, SCHEMA_VERSION + 1))
    # version 1 as recognised is version 1 as the fixture holds it
    assert {t: tuple(c for c, _ in cols) for t, cols in sqlite_columns(LEDGER_V1).items()} == FROZEN
    assert set(FROZEN) == set(V1_TABLES)


# -- a damaged ledger (defect 8) ------------------------------------------------------------


def damage(db: Path, size: int = 40_000, seed: int = 8) -> None:
    """Overwrite ``size`` bytes in the middle of the file, as a bad disk or a stray dd would."""
    data = bytearray(db.read_bytes())
    start = len(data) // 2 - size // 2
    data[start : start + size] = random.Random(seed).randbytes(size)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("args", [(), ("--full",)], ids=["incremental", "full"])
def test_a_damaged_ledger_fails_in_one_line(
    fake: FakeQonto, tmp_path: Path, args: tuple[str, ...]
) -> None:
    db = tmp_path / "ledger.sqlite"
    assert run_sync(fake, "--db", str(db)).exit_code == 0
    assert db.stat().st_size > 400_000
    damage(db)
    line = assert_one_line_failure(run_sync(fake, "--db", str(db), *args), 1, str(db))
    assert "damaged" in line
