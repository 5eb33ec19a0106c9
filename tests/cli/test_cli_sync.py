"""``qonto-async sync``: the ledger equals Qonto's data, after kills, changes and deletions."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.testing import Churn, FakeQonto

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=7, clients=12, client_invoices=160, supplier_invoices=90)
    with server.running_in_thread() as running:
        yield running


def env_for(fake: FakeQonto) -> dict[str, str]:
    return {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
    }


def sync(fake: FakeQonto, *args: str) -> Result:
    return CliRunner().invoke(cli, ["sync", *args], env=env_for(fake))


def ledger_rows(db: Path, table: str) -> dict[str, tuple[str | None, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        column = "email" if table == "clients" else "status"
        rows = conn.execute(f"SELECT id, {column}, deleted_at FROM {table}").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def assert_ledger_matches(fake: FakeQonto, db: Path) -> None:
    for table in ("client_invoices", "supplier_invoices"):
        live = {rid: fake.record(table, rid)["status"] for rid in fake.ids(table)}
        rows = ledger_rows(db, table)
        assert {rid: status for rid, (status, deleted) in rows.items() if deleted is None} == live
    assert {r for r, (_, d) in ledger_rows(db, "clients").items() if d is None} == set(
        fake.ids("clients")
    )


def test_sync_then_incremental_then_full(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    invoicing = ("--resources", "clients,client-invoices,supplier-invoices")
    result = sync(fake, "--db", str(db), "--per-page", "20", *invoicing)
    assert result.exit_code == 0, result.output
    assert "262 new, 0 updated" in result.output
    assert_ledger_matches(fake, db)

    invoices = fake.ids("client_invoices")
    for rid in invoices[:2]:  # about 1% of the records change
        fake.update("client_invoices", rid, status="canceled")
    fake.update("clients", fake.ids("clients")[0], email="new@example.com")
    fake.stats.reset()
    result = sync(fake, "--db", str(db), "--per-page", "20", *invoicing)
    assert result.exit_code == 0, result.output
    assert "0 new, 3 updated" in result.output
    assert fake.stats.total_requests <= 9  # per resource: the clock, one page, one tail
    assert_ledger_matches(fake, db)

    fake.delete("client_invoices", invoices[5])
    result = sync(fake, "--db", str(db), "--full", "--resources", "client-invoices")
    assert result.exit_code == 0, result.output
    assert "1 deleted" in result.output
    assert ledger_rows(db, "client_invoices")[invoices[5]][1] is not None  # kept, marked
    assert_ledger_matches(fake, db)


def test_attachments_are_downloaded_once(fake: FakeQonto, tmp_path: Path) -> None:
    db, folder = tmp_path / "l.sqlite", tmp_path / "files"
    args = ("--db", str(db), "--resources", "supplier-invoices", "--attachments", str(folder))
    result = sync(fake, *args)
    assert result.exit_code == 0, result.output
    files = sorted((folder / "supplier_invoices").iterdir())
    assert len(files) == 90
    assert all(f.read_bytes().startswith(b"%PDF") for f in files)
    fake.stats.reset()
    result = sync(fake, *args)
    assert "0 attachments" in result.output
    assert fake.stats.count("GET /v2/attachments/{id}") == 0
    files[0].write_bytes(b"torn")  # a damaged file is fetched again
    assert "1 attachments" in sync(fake, *args).output


@pytest.mark.parametrize("seed", range(3))
def test_killed_at_a_random_point_and_run_again(fake: FakeQonto, tmp_path: Path, seed: int) -> None:
    kill_and_resume(fake, tmp_path, seed)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(3, 8))
def test_killed_at_a_random_point_soak(fake: FakeQonto, tmp_path: Path, seed: int) -> None:
    kill_and_resume(fake, tmp_path, seed)


def kill_and_resume(fake: FakeQonto, tmp_path: Path, seed: int) -> None:
    db = tmp_path / "ledger.sqlite"
    env = {**os.environ, **env_for(fake)}
    command = [sys.executable, "-m", "qonto_async.cli", "sync", "--db", str(db), "--per-page", "5"]
    fake.latency = 0.01
    rng = random.Random(seed)
    try:
        for _ in range(2):
            proc = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.5, 2.0))
            proc.send_signal(rng.choice([signal.SIGKILL, signal.SIGINT]))
            proc.communicate(timeout=20)
            fake.update("client_invoices", rng.choice(fake.ids("client_invoices")), status="paid")
        fake.latency = 0.0
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        fake.latency = 0.0
    assert_ledger_matches(fake, db)


def test_an_expired_signed_link_is_signed_again(fake: FakeQonto, tmp_path: Path) -> None:
    fake.issue_expired_links(1)  # storage answers 403 to the first link: it expired
    folder = tmp_path / "files"
    result = sync(
        fake,
        "--db",
        str(tmp_path / "l.sqlite"),
        "--resources",
        "supplier-invoices",
        "--attachments",
        str(folder),
    )
    assert result.exit_code == 0, result.output
    assert len(list((folder / "supplier_invoices").iterdir())) == 90
    refused = [d for d in fake.stats.downloads if d.status == 403]
    assert len(refused) == 1


def test_bad_credentials_exit_3_and_the_run_is_recorded(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    result = CliRunner().invoke(
        cli, ["sync", "--db", str(db)], env={**env_for(fake), "QONTO_SECRET_KEY": "wrong"}
    )
    assert result.exit_code == 3, result.output
    assert "wrong" not in result.output
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]


def test_unknown_resources_are_a_usage_error(fake: FakeQonto, tmp_path: Path) -> None:
    result = sync(fake, "--db", str(tmp_path / "l.sqlite"), "--resources", "clients,invoices")
    assert result.exit_code == 2
    assert "client-invoices" in result.output


def test_records_updated_during_a_full_run_are_not_called_deleted(
    fake: FakeQonto, tmp_path: Path
) -> None:
    db = tmp_path / "l.sqlite"
    fake.churn = Churn(seed=4, updates=0.9, resources=("client_invoices",))
    ticks = itertools.count(time.time(), 1.0)  # every read of the fake's clock is a second on
    fake.clock = lambda: next(ticks)
    try:
        result = sync(fake, "--db", str(db), "--per-page", "10", "--resources", "client-invoices")
        fake.churn = None
        assert result.exit_code == 0, result.output
        assert "0 deleted" in result.output  # churn only updates: nothing vanished
        rows = ledger_rows(db, "client_invoices")
        assert [rid for rid, (_, deleted) in rows.items() if deleted is not None] == []
        # A record updated in every window of a run may wait for the next one: run it, quietly
        # (the fake's clock keeps going forwards: a clock going back would hide updates).
        assert sync(fake, "--db", str(db), "--resources", "client-invoices").exit_code == 0
    finally:
        fake.churn = None
        fake.clock = time.time
    assert_ledger_matches_invoices(fake, db)


def test_a_full_run_asks_before_calling_a_row_deleted(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    args = ("--db", str(db), "--resources", "client-invoices")
    assert sync(fake, *args).exit_code == 0
    # A record whose updated_at lies past every window of the next run: the full listing
    # cannot see it, yet it exists. And a row for a record Qonto no longer has.
    hidden = fake.ids("client_invoices")[0]
    fake.update("client_invoices", hidden, updated_at="2099-01-01T00:00:00Z")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO client_invoices (id, raw) VALUES ('gone', '{}')")
    result = sync(fake, *args, "--full")
    assert "1 deleted" in result.output, result.output  # only the one Qonto answers 404 for
    rows = ledger_rows(db, "client_invoices")
    assert rows["gone"][1] is not None
    assert rows[hidden][1] is None


def assert_ledger_matches_invoices(fake: FakeQonto, db: Path) -> None:
    live = {
        rid: fake.record("client_invoices", rid)["status"] for rid in fake.ids("client_invoices")
    }
    rows = ledger_rows(db, "client_invoices")
    assert {rid: status for rid, (status, deleted) in rows.items() if deleted is None} == live
