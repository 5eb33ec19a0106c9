"""The ledger on a real PostgreSQL: ``qonto-async sync --db postgresql://...`` does what it
does on SQLite (same schema, same answers), deletions found by ``--full`` included, and a
webhook event applies the same way."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from qonto_async import Client
from qonto_async._cli.app import cli
from qonto_async._cli.ledger import Ledger
from qonto_async.testing import FakeQonto

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
    env = {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
    }
    result = CliRunner().invoke(cli, ["sync", "--db", db, "--per-page", "20", *extra], env=env)
    assert result.exit_code == 0, result.stderr
    return result


def test_sync_into_postgres_then_incremental_then_full(fake: FakeQonto, database: str) -> None:
    sync(fake, database)
    ledger = Ledger(database)
    try:
        for resource in ("clients", "client_invoices", "supplier_invoices"):
            assert ledger.ids(resource) == set(fake.ids(resource)), resource
        changed = fake.ids("client_invoices")[3]
        fake.update("client_invoices", changed, status="canceled")
        gone = fake.ids("clients")[-1]
        fake.delete("clients", gone)
        sync(fake, database)
        row = ledger.row("client_invoices", changed)
        assert row is not None
        assert row["status"] == "canceled"
        assert gone in ledger.ids("clients")  # polling cannot see a deletion...
        sync(fake, database, "--full")
        assert ledger.ids("clients", deleted=True) == {gone}  # ...a full re-list can
        assert ledger.ids("clients") == set(fake.ids("clients"))
    finally:
        ledger.close()


def test_sqlite_and_postgres_hold_the_same_rows(
    fake: FakeQonto, database: str, tmp_path: object
) -> None:

    assert isinstance(tmp_path, Path)
    sqlite_db = str(tmp_path / "ledger.sqlite")
    sync(fake, sqlite_db)
    sync(fake, database)
    lite, pg = Ledger(sqlite_db), Ledger(database)
    try:
        for resource in ("clients", "client_invoices"):
            for record_id in sorted(lite.ids(resource))[:25]:
                a, b = lite.row(resource, record_id), pg.row(resource, record_id)
                assert a is not None
                assert b is not None
                a.pop("seen_run"), b.pop("seen_run")
                assert a == b
    finally:
        lite.close()
        pg.close()


def test_a_webhook_event_applies_to_postgres(database: str) -> None:
    ledger = Ledger(database)
    try:
        client = Client(id="c-1", kind="company", name="Evented SAS")
        ledger.apply_event("clients", client, deleted=False)
        assert ledger.ids("clients") == {"c-1"}
        ledger.apply_event("clients", client, deleted=True)
        assert ledger.ids("clients", deleted=True) == {"c-1"}
        row = ledger.row("clients", "c-1")
        assert row is not None
        assert row["raw"]["name"] == "Evented SAS"
    finally:
        ledger.close()
