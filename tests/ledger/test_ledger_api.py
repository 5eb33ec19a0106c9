"""``qonto_async.ledger.Ledger`` used from async code, as an app or a worker keeps a ledger
(issue 22, "The ledger is a library too"): sync and its counts, one sync at a time, a
cancelled sync that loses nothing, an unreadable cursor, a database URL it cannot take, and
an event loop that keeps running while pages are written."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from conftest import serve

from qonto_async import APIResponseValidationError, QontoClient
from qonto_async.ledger import RESOURCES, Ledger, LedgerBusyError, LedgerError, SyncCounts
from qonto_async.testing import FakeQonto


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    """A fake in a thread of its own: its work does not run on the loop under test."""
    server = FakeQonto(seed=21, clients=40, client_invoices=600, supplier_invoices=120)
    with server.running_in_thread() as running:
        yield running


def client(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
        requests_per_second=None,
    )  # fmt: skip


async def test_sync_returns_its_counts_and_reports_progress(
    fake: FakeQonto, tmp_path: Path
) -> None:
    seen: dict[str, int] = {}

    def progress(resource: str, records: int) -> None:
        seen[resource] = seen.get(resource, 0) + records

    async with client(fake) as qonto, Ledger.open(tmp_path / "l.sqlite") as ledger:
        counts = await ledger.sync(qonto, on_progress=progress, per_page=50)
        assert isinstance(counts, SyncCounts)
        everything = {resource: len(fake.ids(resource)) for resource in RESOURCES}
        assert sum(everything.values()) > 760 + 300  # the bank too
        total = sum(everything.values())
        assert (counts.status, counts.new, counts.updated, counts.deleted) == ("done", total, 0, 0)
        assert counts.requests >= 760 // 50
        assert seen == everything
        assert ledger.last_run is counts
        for resource in RESOURCES:
            assert await ledger.ids(resource) == set(fake.ids(resource))
        again = await ledger.sync(qonto, resources=["clients"])
        assert (again.new, again.updated) == (0, 0)
        assert again.requests < 10


async def test_one_sync_at_a_time_per_ledger(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    async with (
        client(fake) as qonto,
        Ledger.open(db) as first,
        Ledger.open(db) as second,
    ):
        stored = asyncio.Event()
        running = asyncio.create_task(
            first.sync(qonto, per_page=10, on_progress=lambda _, __: stored.set())
        )
        await stored.wait()  # a page is stored: the first sync holds the lock
        with pytest.raises(LedgerBusyError, match="another sync is running"):
            await second.sync(qonto)
        await running
        done = await second.sync(qonto, wait=5)  # free again
        assert done.status == "done"


async def test_a_cancelled_sync_loses_nothing(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    async with client(fake) as qonto, Ledger.open(db) as ledger:
        task = asyncio.create_task(ledger.sync(qonto, per_page=10, resources=["client_invoices"]))
        for _ in range(2000):  # until a few pages are stored
            if ledger.last_run is not None and ledger.last_run.new >= 50:
                break
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert ledger.last_run is not None
        assert ledger.last_run.status == "interrupted"
        resumed = await ledger.sync(qonto, per_page=10, resources=["client_invoices"])
        assert await ledger.ids("client_invoices") == set(fake.ids("client_invoices"))
        assert resumed.status == "done"
        assert ledger_count(db) == 600  # each once
    with contextlib.closing(sqlite3.connect(db)) as conn:
        statuses = [row[0] for row in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["interrupted", "done"]


def ledger_count(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM client_invoices").fetchone()[0])


async def test_an_unreadable_cursor_means_a_full_re_list(
    fake: FakeQonto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "l.sqlite"
    async with client(fake) as qonto, Ledger.open(db) as ledger:
        await ledger.sync(qonto, resources=["clients"])
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE cursors SET cursor = 'qchg1.garbage' WHERE resource = 'clients'")
    logger = logging.getLogger("qonto_async.ledger")
    logger.addHandler(caplog.handler)  # the CLI's tests may have stopped propagation...
    caplog.set_level(logging.WARNING, logger="qonto_async.ledger")  # ...and raised the level
    try:
        async with client(fake) as qonto, Ledger.open(db) as ledger:
            counts = await ledger.sync(qonto, resources=["clients"])
    finally:
        logger.removeHandler(caplog.handler)
    assert (counts.status, counts.unchanged, counts.deleted) == ("done", 40, 0)
    async with Ledger.open(db) as ledger:
        assert await ledger.ids("clients") == set(fake.ids("clients"))
    assert "cursor for clients is unreadable" in caplog.text


@pytest.mark.parametrize("url", ["mysql://user@host/db", "sqlite+aiosqlite://x"])
async def test_a_database_url_it_cannot_take_is_refused(url: str) -> None:
    with pytest.raises(LedgerError, match="SQLite file path or a postgresql:// URL"):
        async with Ledger.open(url):
            pass


async def test_a_closed_ledger_says_so(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.sqlite")
    with pytest.raises(LedgerError, match="closed"):
        await ledger.ids("clients")


async def test_the_event_loop_keeps_running_while_the_ledger_writes(
    fake: FakeQonto, tmp_path: Path
) -> None:
    """The longest stretch the loop went without running a 1 ms ticker, while 600 invoices
    are synced: database work runs in the ledger's thread. The bound is loose (a loaded CI
    machine stretches every step); ``python -m benchmarks.ledger`` measures it closely."""
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async with client(fake) as qonto, Ledger.open(tmp_path / "l.sqlite") as ledger:
        ticking = asyncio.create_task(ticker())
        await ledger.sync(qonto, resources=["client_invoices"])
        stop.set()
        await ticking
    print(f"longest loop stall: {max(gaps) * 1000:.1f} ms")
    assert max(gaps) < 1.0, max(gaps)


async def test_a_date_header_without_its_zone_is_a_typed_error(tmp_path: Path) -> None:
    """Issue 22, defect 14: a ``Date`` without ``GMT`` cannot be placed in time; the sync
    stops with an error saying so, not a bare ``TypeError``, and stores nothing wrong."""

    async def clients(request: web.Request) -> web.Response:
        meta = {"current_page": 1, "next_page": None, "prev_page": None, "total_pages": 1}
        body = {"clients": [], "meta": {**meta, "total_count": 0, "per_page": 1}}
        return web.json_response(body, headers={"Date": "Mon, 07 Dec 2026 06:00:00"})

    app = web.Application()
    app.router.add_get("/v2/clients", clients)
    async with serve(app) as base:
        qonto = QontoClient(login="l", secret_key="s", base_url=base, requests_per_second=None)
        async with qonto, Ledger.open(tmp_path / "l.sqlite") as ledger:
            with pytest.raises(APIResponseValidationError, match="no usable Date header"):
                await ledger.sync(qonto, resources=["clients"])
            assert ledger.last_run is not None
            assert ledger.last_run.status == "failed"


async def test_raw_is_the_record_as_qonto_sent_it(tmp_path: Path) -> None:
    """Issue 22, defect 11: fields the models do not know are kept, byte for byte."""
    async with FakeQonto(seed=3, clients=5, client_invoices=8, supplier_invoices=6) as fake:
        invoice = fake.ids("supplier_invoices")[0]
        fake.update("supplier_invoices", invoice, deleted_at=None, shiny_new_field={"a": [1, 2.50]})
        served = fake.record("supplier_invoices", invoice)
        async with client(fake) as qonto, Ledger.open(tmp_path / "l.sqlite") as ledger:
            await ledger.sync(qonto)
            row = await ledger.row("supplier_invoices", invoice)
    assert row is not None
    assert row["raw"]["shiny_new_field"] == {"a": [1, 2.5]}
    assert "deleted_at" in row["raw"]
    assert row["raw"] == msgspec.json.decode(msgspec.json.encode(served))
    with contextlib.closing(sqlite3.connect(tmp_path / "l.sqlite")) as conn:
        text = conn.execute("SELECT raw FROM supplier_invoices WHERE id = ?", (invoice,))
        assert '"shiny_new_field":{"a":[1,2.5]}' in text.fetchone()[0]  # the fake's own bytes
