"""Schema version 4 (issue 23, the bank): a ledger written before it, version 3
(``tests/fixtures/ledger_v3.sqlite``, written by the release before with a sync that
downloaded attachments, a ``--full`` run that found a deletion, an applied webhook event and
a run left ``running`` by a kill), opens and upgrades in place with every row kept, has the
schema a new ledger has, then syncs the bank. An upgrade that fails midway leaves version 3
whole, and the next opening upgrades it. The same on PostgreSQL."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ledger_helpers as ledger
import pytest
from servers import fresh_database

from qonto_async import QontoClient
from qonto_async.ledger import SCHEMA_VERSION, Ledger, LedgerError
from qonto_async.ledger import _migrations as migrations
from qonto_async.ledger._schema import INDEXES
from qonto_async.testing import FakeQonto

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEDGER_V3 = FIXTURES / "ledger_v3.sqlite"
V3_TABLES = (
    "clients", "client_invoices", "supplier_invoices", "cursors", "runs", "attachments",
    "ledger_events", "ledger_meta",
)  # fmt: skip
BANK = ("bank_accounts", "transactions", "labels", "memberships")


def columns(db: Path) -> dict[str, list[tuple[str, str]]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            t: [(row[1], row[2]) for row in conn.execute(f"PRAGMA table_info({t})")] for t in tables
        }


def indexes(db: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {row[0] for row in rows if not row[0].startswith("sqlite_")}


def dump(db: Path, tables: tuple[str, ...] = V3_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def meta(db: Path) -> dict[str, str]:
    return dict(dump(db, ("ledger_meta",))["ledger_meta"])


def test_the_fixture_is_a_version_3_ledger() -> None:
    assert meta(LEDGER_V3) == {"marker": "qonto-async ledger", "schema_version": "3"}
    rows = dump(LEDGER_V3)
    assert {t: len(r) for t, r in rows.items()} == {
        "clients": 4, "client_invoices": 16, "supplier_invoices": 14, "cursors": 3, "runs": 3,
        "attachments": 30, "ledger_events": 1, "ledger_meta": 2,
    }  # fmt: skip
    assert [run[3] for run in rows["runs"]] == ["done", "done", "running"]
    assert not set(BANK) & set(columns(LEDGER_V3))


def test_a_v3_ledger_is_upgraded_in_place_with_every_row(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    shutil.copyfile(LEDGER_V3, db)
    before = dump(db)
    old_columns = columns(db)
    assert ledger.open_once(str(db)) == 3
    after = dump(db)
    for table, rows in before.items():
        if table == "ledger_meta":
            continue
        width = len(old_columns[table])
        assert [row[:width] for row in after[table]] == rows, table  # every row, as it was
    assert meta(db) == {"marker": "qonto-async ledger", "schema_version": str(SCHEMA_VERSION)}
    fresh = tmp_path / "fresh.sqlite"
    ledger.open_once(str(fresh))
    assert columns(db) == columns(fresh)  # the schema a new ledger has
    assert indexes(db) == indexes(fresh)
    # the invoices' files already downloaded now say whose they are
    owners = {row[0]: row[3:] for row in after["attachments"]}
    with contextlib.closing(sqlite3.connect(db)) as conn:
        by_attachment = {
            attachment: (table, record)
            for table in ("client_invoices", "supplier_invoices")
            for record, attachment in conn.execute(f"SELECT id, attachment_id FROM {table}")
            if attachment is not None
        }
    assert len(owners) == 30
    assert owners == {aid: by_attachment[aid] for aid in owners}
    upgraded = dump(db)
    assert ledger.open_once(str(db)) is None  # an up-to-date ledger is left alone
    assert dump(db) == upgraded


async def test_an_upgraded_v3_ledger_syncs_the_bank(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    shutil.copyfile(LEDGER_V3, db)
    # the fake the fixture was written against, with a bank now
    fake = FakeQonto(
        seed=5, clients=4, client_invoices=16, supplier_invoices=14,
        transactions=50, bank_accounts=2,
    )  # fmt: skip
    async with (
        fake,
        QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
            requests_per_second=None,
        ) as qonto,
        Ledger.open(db) as opened,
    ):  # fmt: skip
        assert opened.upgraded_from == 3
        counts = await opened.sync(qonto)
        assert counts.status == "done"
        for resource in BANK:
            assert await opened.ids(resource) == set(fake.ids(resource)), resource
    runs = dump(db, ("runs",))["runs"]
    assert [run[3] for run in runs] == ["done", "done", "abandoned", "done"]


def test_an_upgrade_that_fails_midway_leaves_version_3_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ledger.sqlite"
    shutil.copyfile(LEDGER_V3, db)
    before = dump(db)
    step = migrations.MIGRATIONS[-1]
    assert step.version == 4

    def interrupted(executor: migrations.Executor) -> None:
        step.apply(executor)  # every statement of the step ran...
        raise OSError("the power went out")  # ...and the process died before its commit

    broken = (*migrations.MIGRATIONS[:-1], migrations.Migration(4, step.summary, interrupted))
    monkeypatch.setattr("qonto_async.ledger._opening.MIGRATIONS", broken)
    with pytest.raises((OSError, LedgerError)):
        ledger.open_once(str(db))
    assert dump(db) == before  # version 3, whole
    assert not set(BANK) & set(columns(db))
    monkeypatch.undo()
    assert ledger.open_once(str(db)) == 3
    assert meta(db)["schema_version"] == str(SCHEMA_VERSION)


def test_the_indexes_are_the_steps_indexes() -> None:
    assert (*migrations.V3_INDEXES, *migrations.V4_INDEXES) == INDEXES
    assert set(migrations.V4_TABLES) == set(BANK)


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[str]:
    yield from fresh_database(postgres_url)


def pg_columns(url: str) -> dict[str, list[tuple[str, str]]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        found.setdefault(table, []).append((column, kind))
    return found


def pg_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in V3_TABLES}


@pytest.mark.postgres
async def test_a_v3_postgres_ledger_is_upgraded_in_place(pg: str, tmp_path: Path) -> None:
    """A version 3 PostgreSQL ledger is a version 4 one without what version 4 added (its
    step touches nothing else): made so from a synced ledger, then upgraded."""
    import psycopg

    fake = FakeQonto(seed=5, clients=4, client_invoices=16, supplier_invoices=14)
    async with (
        fake,
        QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
            requests_per_second=None,
        ) as qonto,
        Ledger.open(pg) as opened,
    ):  # fmt: skip
        await opened.sync(
            qonto,
            resources=["clients", "client_invoices", "supplier_invoices"],
            attachments_dir=tmp_path / "files",
        )
    upgraded_schema = pg_columns(pg)
    with psycopg.connect(pg, autocommit=True) as conn, conn.transaction():
        for table in BANK:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP INDEX attachments_record_id_idx")
        conn.execute("ALTER TABLE attachments DROP COLUMN resource, DROP COLUMN record_id")
        conn.execute("UPDATE ledger_meta SET value = '3' WHERE key = 'schema_version'")
    before = pg_dump(pg)
    assert len(before["attachments"]) == 30
    async with Ledger.open(pg) as reopened:
        assert reopened.upgraded_from == 3
    after = pg_dump(pg)
    for table, rows in before.items():
        if table != "ledger_meta":
            assert [row[: len(rows[0])] for row in after[table]] == rows, table
    assert pg_columns(pg) == upgraded_schema
    with psycopg.connect(pg, autocommit=True) as conn:
        owners = conn.execute("SELECT COUNT(*) FROM attachments WHERE record_id IS NULL")
        assert owners.fetchone() == (0,)  # every invoice file says whose it is again
