"""The ledger keeps the bank (issue 23): bank accounts, transactions of every status and every
account, labels and memberships, synced from FakeQonto over real HTTP into SQLite and
PostgreSQL; settlements and declines update rows in place; a listing whole that no longer
has a record marks it deleted, one that failed halfway marks nothing; receipts are
downloaded once; ``v1/transactions`` events apply once and never move a row back in time."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sqlite3
import types
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from servers import fresh_database

from qonto_async import QontoClient, Transaction
from qonto_async.ledger import Ledger
from qonto_async.testing import FakeQonto
from qonto_async.webhooks import TransactionCreated, TransactionUpdated, decode_event

BANK = ("bank_accounts", "transactions", "labels", "memberships")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    yield from fresh_database(request.getfixturevalue("postgres_url"))


def bank_fake(seed: int = 23, transactions: int = 240) -> FakeQonto:
    return FakeQonto(
        seed=seed, clients=1, client_invoices=0, supplier_invoices=0,
        transactions=transactions, bank_accounts=3,
    )  # fmt: skip


def client(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
        requests_per_second=None,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def opened(fake: FakeQonto, db: str) -> AsyncIterator[tuple[QontoClient, Ledger]]:
    async with client(fake) as qonto, Ledger.open(db) as ledger:
        yield qonto, ledger


def as_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def moment(value: Any) -> dt.datetime | None:
    """A stored or served timestamp as an aware datetime (SQLite keeps text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


async def test_the_bank_is_synced_whole_into_the_ledger(db: str) -> None:
    async with bank_fake() as fake, opened(fake, db) as (qonto, ledger):
        counts = await ledger.sync(qonto, resources=BANK, per_page=25)
        expected = {resource: set(fake.ids(resource)) for resource in BANK}
        assert counts.status == "done"
        assert counts.new == sum(len(ids) for ids in expected.values())
        assert (counts.updated, counts.deleted) == (0, 0)
        for resource in BANK:
            assert await ledger.ids(resource) == expected[resource], resource
        statuses = {fake.record("transactions", t)["status"] for t in expected["transactions"]}
        assert statuses == {"pending", "declined", "completed"}  # every status, not Qonto's one
        accounts = {
            fake.record("transactions", t)["bank_account_id"] for t in expected["transactions"]
        }
        assert accounts == expected["bank_accounts"]  # the external account's included
        for transaction_id in sorted(expected["transactions"])[:40]:
            served = fake.record("transactions", transaction_id)
            row = await ledger.row("transactions", transaction_id)
            assert row is not None
            assert row["raw"] == json.loads(json.dumps(served))  # as Qonto sent it
            assert (row["status"], row["side"], row["bank_account_id"]) == (
                served["status"], served["side"], served["bank_account_id"],
            )  # fmt: skip
            assert as_decimal(row["amount"]) == as_decimal(served["amount"])
            sign = -1 if served["side"] == "debit" else 1
            assert as_decimal(row["signed_amount"]) == sign * as_decimal(served["amount"])  # type: ignore[operator]
            assert row["signed_amount_cents"] == sign * served["amount_cents"]
            assert row["attachment_count"] == len(served["attachment_ids"])
            assert moment(row["updated_at"]) == moment(served["updated_at"])
            assert moment(row["as_of"]) == moment(served["updated_at"])
            assert (row["settled_at"] is None) == (served["status"] != "completed")
        again = await ledger.sync(qonto, resources=BANK)
        assert (again.new, again.updated, again.deleted) == (0, 0, 0)


async def test_settlements_and_declines_update_rows_in_place(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.sqlite")
    async with bank_fake(seed=24) as fake, opened(fake, db) as (qonto, ledger):
        await ledger.sync(qonto, resources=["transactions"], per_page=20)
        pending = [
            t
            for t in fake.ids("transactions")
            if fake.record("transactions", t)["status"] == "pending"
        ]
        assert len(pending) >= 4
        settled, declined = pending[:3], pending[3]
        for transaction_id in settled:
            fake.update("transactions", transaction_id, status="completed")
        fake.update("transactions", declined, status="declined")
        counts = await ledger.sync(qonto, resources=["transactions"], per_page=20)
        assert (counts.new, counts.updated, counts.deleted) == (0, 4, 0)
        assert await ledger.count("transactions") == len(fake.ids("transactions"))
        for transaction_id in [*settled, declined]:
            row = await ledger.row("transactions", transaction_id)
            served = fake.record("transactions", transaction_id)
            assert row is not None
            assert row["status"] == served["status"]
            assert moment(row["settled_at"]) == moment(served["settled_at"])
            assert as_decimal(row["settled_balance"]) == as_decimal(served["settled_balance"])
    with contextlib.closing(sqlite3.connect(db)) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM transactions")]
    assert len(ids) == len(set(ids))


class _Listing:
    """A resource whose ``list()`` answers as the real one, pages of 2, except that ``gone``
    is left out of every page (Qonto no longer has it), or, with ``cut``, the listing
    breaks off after its first page."""

    def __init__(self, real: Any, *, gone: str | None = None, cut: bool = False) -> None:
        self._real, self._gone, self._cut = real, gone, cut

    def list(self, **options: Any) -> Any:
        return _Pages(self._real.list(per_page=2), self._gone, self._cut)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Pages:
    def __init__(self, real: Any, gone: str | None, cut: bool) -> None:
        self._real, self._gone, self._cut = real, gone, cut

    async def pages(self) -> AsyncIterator[Any]:
        async for page in self._real.pages():
            items = [item for item in page.items if item.id != self._gone]
            yield types.SimpleNamespace(items=items, raw=page.raw, date=page.date)
            if self._cut:
                raise ConnectionResetError("the listing broke off")


async def test_a_label_two_complete_listings_lack_is_marked_deleted(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bank_fake(seed=25, transactions=20) as fake, opened(fake, db) as (qonto, ledger):
        await ledger.sync(qonto, resources=["labels", "memberships", "bank_accounts"])
        gone = fake.ids("labels")[-1]
        monkeypatch.setattr(qonto, "labels", _Listing(qonto.labels, gone=gone))
        counts = await ledger.sync(qonto, resources=["labels", "memberships", "bank_accounts"])
        assert counts.deleted == 1
        assert await ledger.ids("labels", deleted=True) == {gone}
        assert await ledger.ids("labels") == set(fake.ids("labels")) - {gone}
        row = await ledger.row("labels", gone)
        assert row is not None
        assert row["deleted_at"] is not None  # kept, marked
        monkeypatch.undo()
        back = await ledger.sync(qonto, resources=["labels"])  # listed again: it exists
        assert back.deleted == 0
        assert await ledger.ids("labels", deleted=True) == set()


async def test_a_listing_that_fails_halfway_marks_nothing_deleted(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bank_fake(seed=26, transactions=10) as fake, opened(fake, db) as (qonto, ledger):
        await ledger.sync(qonto, resources=["labels"])
        labels = set(fake.ids("labels"))
        assert len(labels) > 2
        monkeypatch.setattr(qonto, "labels", _Listing(qonto.labels, cut=True))
        with pytest.raises(ConnectionResetError):
            await ledger.sync(qonto, resources=["labels"])
        assert ledger.last_run is not None
        assert ledger.last_run.status == "failed"
        assert await ledger.ids("labels") == labels
        assert await ledger.ids("labels", deleted=True) == set()
        monkeypatch.undo()
        done = await ledger.sync(qonto, resources=["labels"])
        assert (done.status, done.deleted) == ("done", 0)


def query(db: str, sql: str) -> list[tuple[Any, ...]]:
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            return conn.execute(sql).fetchall()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


async def test_receipts_are_downloaded_once_and_say_whose_they_are(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    async with bank_fake(seed=27, transactions=60) as fake, opened(fake, db) as (qonto, ledger):
        counts = await ledger.sync(qonto, resources=["transactions"], attachments_dir=folder)
        receipts = {
            aid: tid
            for tid in fake.ids("transactions")
            for aid in fake.record("transactions", tid)["attachment_ids"]
        }
        assert receipts, "the fake's transactions carry receipts"
        assert counts.attachments == len(receipts)
        rows = query(db, "SELECT id, file, size, resource, record_id FROM attachments")
        stored = {row[0]: row[1:] for row in rows}
        assert set(stored) == set(receipts)
        for attachment_id, (file, size, resource, record_id) in stored.items():
            path = Path(file)
            assert (resource, record_id) == ("transactions", receipts[attachment_id])
            assert path.parent == folder / "transactions"
            assert path.suffix == ".pdf"
            content = await asyncio.to_thread(path.read_bytes)
            assert len(content) == size
            assert content.startswith(b"%PDF")
        again = await ledger.sync(qonto, resources=["transactions"], attachments_dir=folder)
        assert again.attachments == 0
        gone = Path(next(iter(stored.values()))[0])
        await asyncio.to_thread(gone.unlink)  # a receipt lost on disk is fetched again
        third = await ledger.sync(qonto, resources=["transactions"], attachments_dir=folder)
        assert third.attachments == 1


async def test_a_cancelled_transactions_sync_loses_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.sqlite")
    async with bank_fake(seed=29, transactions=400) as fake, opened(fake, db) as (qonto, ledger):
        task = asyncio.create_task(ledger.sync(qonto, resources=["transactions"], per_page=10))
        for _ in range(2000):  # until a few pages are stored
            if ledger.last_run is not None and ledger.last_run.new >= 50:
                break
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert ledger.last_run is not None
        assert ledger.last_run.status == "interrupted"
        stored = await ledger.count("transactions")
        assert 50 <= stored < 400
        resumed = await ledger.sync(qonto, resources=["transactions"], per_page=10)
        assert resumed.status == "done"
        assert await ledger.ids("transactions") == set(fake.ids("transactions"))
    assert query(db, "SELECT COUNT(*) FROM transactions") == [(400,)]  # each once


# -- v1/transactions events ----------------------------------------------------------------

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def transaction(minutes: int, status: str, note: str) -> Transaction:
    return Transaction(
        id="tx-1", transaction_id="ref-1", amount=Decimal("12.50"), amount_cents=1250,
        local_amount=Decimal("12.50"), currency="EUR", local_currency="EUR", side="debit",
        operation_type="card", status=status, label="Café Rouge", subject_type="Card",
        emitted_at=T0, updated_at=T0 + dt.timedelta(minutes=minutes), note=note,
        bank_account_id="acc-1", attachment_ids=[],
    )  # fmt: skip


def updated(event: str, minutes: int, status: str, note: str = "") -> TransactionUpdated:
    return TransactionUpdated(
        id=event,
        created_at=T0 + dt.timedelta(minutes=minutes),
        data=transaction(minutes, status, note),
    )


async def test_transaction_events_apply_once_and_never_back_in_time(db: str) -> None:
    created = TransactionCreated(id="e-0", created_at=T0, data=transaction(0, "pending", ""))
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(created) == "applied"
        assert await ledger.apply(updated("e-2", 20, "completed", "settled")) == "applied"
        assert await ledger.apply(updated("e-2", 20, "completed", "settled")) == "duplicate"
        assert await ledger.apply(updated("e-1", 10, "pending", "late")) == "stale"
        row = await ledger.row("transactions", "tx-1")
        assert row is not None
        assert (row["status"], row["note"]) == ("completed", "settled")
        assert as_decimal(row["signed_amount"]) == Decimal("-12.50")
        assert await ledger.count("transactions") == 1


WEBHOOK = {  # reference §5.3's example: no *_cents, subject_type capitalised, amounts varied
    "id": "evt-webhook-1",
    "subscription_id": "sub-1",
    "organization_id": "org-1",
    "type": "v1/transactions",
    "created_at": "2026-03-01T10:55:00Z",
    "data": {
        "event": "created",
        "id": "tx-webhook",
        "transaction_id": "super-transaction-6576",
        "amount": "50.01",
        "currency": "EUR",
        "local_amount": 50.01,
        "local_currency": "EUR",
        "side": "debit",
        "operation_type": "transfer",
        "status": "completed",
        "label": "ACME Corp",
        "clean_counterparty_name": "ACME Corp",
        "settled_at": "2026-03-01T10:54:00Z",
        "emitted_at": "2026-03-01T10:54:00Z",
        "updated_at": "2026-03-01T10:55:00Z",
        "attachment_ids": ["attachment-1", "attachment-2"],
        "subject_type": "Transfer",
        "bank_account": {"id": "acc-9", "iban": "FR7616798000010000005663951"},
        "future_field": {"kept": True},
    },
}


async def test_a_delivered_transaction_event_is_stored_as_sent(db: str) -> None:
    event = decode_event(msgspec.json.encode(WEBHOOK))
    assert isinstance(event, TransactionCreated)
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(event) == "applied"
        row = await ledger.row("transactions", "tx-webhook")
    assert row is not None
    assert row["raw"]["future_field"] == {"kept": True}  # the delivery's own record
    assert row["bank_account_id"] == "acc-9"  # from the bank_account object
    assert (row["amount_cents"], row["signed_amount_cents"]) == (5001, -5001)
    assert row["attachment_count"] == 2
    assert row["counterparty_name"] == "ACME Corp"


async def test_events_of_one_second_apply_in_the_order_delivered(tmp_path: Path) -> None:
    """Qonto's transaction webhooks stamp ``updated_at`` to the second: an authorisation
    and its settlement within one second carry one moment, and the later delivery wins;
    an older second is stale."""
    db = str(tmp_path / "ledger.sqlite")
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(updated("e-1", 0, "pending")) == "applied"
        assert await ledger.apply(updated("e-2", 0, "completed", "settled")) == "applied"
        row = await ledger.row("transactions", "tx-1")
        assert row is not None
        assert row["status"] == "completed"
        assert await ledger.apply(updated("e-0", -1, "pending")) == "stale"
