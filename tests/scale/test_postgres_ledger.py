"""The ledger on a real PostgreSQL: ``qonto-async sync --db postgresql://...`` does what it
does on SQLite (same schema, same answers), deletions found by ``--full`` included, and a
webhook event applies the same way."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import ledger_helpers as ledger
import psycopg
import pytest
from cli import ledger_processes as processes
from cli.ledger_checks import LEDGER_V1, V1_TABLES, assert_one_line_failure, dump, env_for
from cli.ledger_processes import killed_run_is_abandoned, overlapping_full_syncs
from click.testing import CliRunner, Result

from qonto_async import Client
from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto
from qonto_async.webhooks import ClientDeleted, ClientUpdated

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A database of its own for each test."""
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=11, clients=25, client_invoices=180, supplier_invoices=60)
    with server.running_in_thread() as running:
        yield running


def sync(fake: FakeQonto, db: str, *extra: str) -> Result:
    env = env_for(fake)
    result = CliRunner().invoke(cli, ["sync", "--db", db, "--per-page", "20", *extra], env=env)
    assert result.exit_code == 0, result.stderr
    return result


def test_sync_into_postgres_then_incremental_then_full(fake: FakeQonto, database: str) -> None:
    sync(fake, database)
    for resource in ("clients", "client_invoices", "supplier_invoices"):
        assert ledger.ids(database, resource) == set(fake.ids(resource)), resource
    changed = fake.ids("client_invoices")[3]
    fake.update("client_invoices", changed, status="canceled")
    gone = fake.ids("clients")[-1]
    fake.delete("clients", gone)
    sync(fake, database)
    row = ledger.row(database, "client_invoices", changed)
    assert row is not None
    assert row["status"] == "canceled"
    assert gone in ledger.ids(database, "clients")  # polling cannot see a deletion...
    sync(fake, database, "--full")
    assert ledger.ids(database, "clients", deleted=True) == {gone}  # ...a full re-list can
    assert ledger.ids(database, "clients") == set(fake.ids("clients"))


def test_sqlite_and_postgres_hold_the_same_rows(
    fake: FakeQonto, database: str, tmp_path: object
) -> None:

    assert isinstance(tmp_path, Path)
    sqlite_db = str(tmp_path / "ledger.sqlite")
    sync(fake, sqlite_db)
    sync(fake, database)
    for resource in ("clients", "client_invoices"):
        for record_id in sorted(ledger.ids(sqlite_db, resource))[:25]:
            a = ledger.row(sqlite_db, resource, record_id)
            b = ledger.row(database, resource, record_id)
            assert a is not None
            assert b is not None
            for varying in ("seen_run", "as_of"):  # which run, and when its page was read
                a.pop(varying), b.pop(varying)
            assert a == {key: as_sqlite(value) for key, value in b.items()}
            # PostgreSQL's columns are typed (defect 12)
            assert isinstance(b["created_at"], dt.datetime)
            assert b["created_at"].tzinfo is not None
            if resource == "client_invoices":
                assert isinstance(b["total_amount"], Decimal)
                assert isinstance(b["issue_date"], dt.date)


def as_sqlite(value: Any) -> Any:
    """A typed PostgreSQL value as the SQLite ledger spells it."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def test_postgres_columns_are_typed_and_indexed(database: str) -> None:
    ledger.open_once(database)
    columns = dict(pg_columns(database)["client_invoices"])
    assert columns["total_amount"] == "numeric"
    assert columns["issue_date"] == "date"
    assert columns["updated_at"] == "timestamp with time zone"
    assert columns["raw"] == "jsonb"
    assert dict(pg_columns(database)["runs"])["started_at"] == "timestamp with time zone"
    with psycopg.connect(database, autocommit=True) as conn:
        indexes = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes")}
    assert {"client_invoices_status_idx", "client_invoices_client_id_idx"} <= indexes


def test_a_webhook_event_applies_to_postgres(database: str) -> None:
    client = Client(id="c-1", kind="company", name="Evented SAS")
    updated = ClientUpdated(id="e-1", data=client)
    deleted = ClientDeleted(id="e-2", data=client)
    assert ledger.apply(database, updated, deleted, updated) == ["applied", "applied", "duplicate"]
    assert ledger.ids(database, "clients", deleted=True) == {"c-1"}
    row = ledger.row(database, "clients", "c-1")
    assert row is not None
    assert row["raw"]["name"] == "Evented SAS"


# -- what the ledger agrees to open, migrations, one sync at a time (issue 22) --------------

# The statements the release before schema versions ran on PostgreSQL (version 1).
V1_DDL = [
    "CREATE TABLE clients (id TEXT PRIMARY KEY, name TEXT, kind TEXT, email TEXT, "
    "vat_number TEXT, currency TEXT, created_at TEXT, updated_at TEXT, deleted_at TEXT, "
    "seen_run INTEGER, raw TEXT NOT NULL)",
    "CREATE TABLE client_invoices (id TEXT PRIMARY KEY, number TEXT, status TEXT, "
    "currency TEXT, total_amount TEXT, vat_amount TEXT, issue_date TEXT, due_date TEXT, "
    "client_id TEXT, attachment_id TEXT, created_at TEXT, updated_at TEXT, deleted_at TEXT, "
    "seen_run INTEGER, raw TEXT NOT NULL)",
    "CREATE TABLE supplier_invoices (id TEXT PRIMARY KEY, number TEXT, status TEXT, "
    "supplier_name TEXT, total_amount TEXT, currency TEXT, issue_date TEXT, due_date TEXT, "
    "payment_date TEXT, attachment_id TEXT, created_at TEXT, updated_at TEXT, "
    "deleted_at TEXT, seen_run INTEGER, raw TEXT NOT NULL)",
    "CREATE TABLE cursors (resource TEXT PRIMARY KEY, cursor TEXT, full_run INTEGER)",
    "CREATE TABLE runs (id BIGSERIAL PRIMARY KEY, started_at TEXT NOT NULL, "
    "finished_at TEXT, status TEXT, resources TEXT, new INTEGER, updated INTEGER, "
    "unchanged INTEGER, deleted INTEGER, attachments INTEGER, requests INTEGER, "
    "retries INTEGER)",
    "CREATE TABLE attachments (id TEXT PRIMARY KEY, file TEXT NOT NULL, size INTEGER NOT NULL)",
]


def pg_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in V1_TABLES}


def pg_columns(url: str) -> dict[str, list[tuple[str, str]]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        columns.setdefault(table, []).append((column, kind))
    return columns


def test_a_foreign_postgres_database_is_refused_untouched(fake: FakeQonto, database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.execute("INSERT INTO clients VALUES (1, 'Acme')")
    before = pg_columns(database)
    result = CliRunner().invoke(cli, ["sync", "--db", database], env=env_for(fake))
    assert_one_line_failure(result, 2, "not a qonto-async ledger")
    assert pg_columns(database) == before
    with psycopg.connect(database, autocommit=True) as conn:
        assert conn.execute("SELECT * FROM clients").fetchall() == [(1, "Acme")]


def test_a_v1_postgres_ledger_is_upgraded_in_place(database: str, tmp_path: Path) -> None:
    rows = dump(LEDGER_V1)  # the SQLite fixture's rows, into a version 1 PostgreSQL ledger
    with psycopg.connect(database, autocommit=True) as conn, conn.transaction():
        for statement in V1_DDL:
            conn.execute(statement)
        for table, values in rows.items():
            if values:
                marks = ", ".join(["%s"] * len(values[0]))
                with conn.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    before = pg_dump(database)
    assert before == rows
    assert ledger.open_once(database) == 1
    after = pg_dump(database)
    for table, old in before.items():  # every row kept, its values typed now
        assert [row[0] for row in after[table]] == [row[0] for row in old], table
    from qonto_async.ledger import SCHEMA_VERSION

    with psycopg.connect(database, autocommit=True) as conn:
        meta: dict[str, str] = dict(conn.execute("SELECT key, value FROM ledger_meta").fetchall())
    assert meta == {"marker": "qonto-async ledger", "schema_version": str(SCHEMA_VERSION)}
    upgraded = pg_columns(database)
    with psycopg.connect(database, autocommit=True) as conn:
        for table in [*upgraded]:
            conn.execute(f"DROP TABLE {table}")
    ledger.open_once(database)
    assert pg_columns(database) == upgraded  # the same schema as a new ledger's


def test_an_overlapping_full_sync_on_postgres_is_refused(database: str) -> None:
    processes.finish(processes.start(processes.sync_command(database, latency_ms=0)))
    query = processes.postgres_query(database)
    overlapping_full_syncs(database, query, delay=0.2, wait=False)
    overlapping_full_syncs(database, query, delay=0.2, wait=True)


def test_a_killed_run_on_postgres_is_marked_abandoned(database: str) -> None:
    killed_run_is_abandoned(database, processes.postgres_query(database))


@pytest.mark.soak
@pytest.mark.parametrize("delay", [0.0, 1.0])
def test_overlapping_full_syncs_on_postgres_soak(database: str, delay: float) -> None:
    """As on SQLite: the second run waits its turn (the refused case is in the main run)."""
    code, err = processes.finish(processes.start(processes.sync_command(database, latency_ms=0)))
    assert code == 0, err
    overlapping_full_syncs(database, processes.postgres_query(database), delay=delay, wait=True)


def test_a_schema_of_its_own_in_a_shared_database(fake: FakeQonto, database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY)")  # the application's
        conn.execute("CREATE SCHEMA ledger")
    url = database + "?options=-csearch_path%3Dledger"
    sync(fake, url)
    with psycopg.connect(url, autocommit=True) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM clients WHERE deleted_at IS NULL")}
    assert ids == set(fake.ids("clients"))
    assert pg_columns(database) == {"clients": [("id", "integer")]}  # public, untouched
