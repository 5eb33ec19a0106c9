"""What a hostile review of the public ledger found (issue 22), each a test that failed
before its fix: a sync cancelled while taking its lock kept it; a full re-list marked a
client created meanwhile deleted; odd timestamps in events raised a bare ``TypeError``; a
webhook event's record lost the fields the SDK does not model; closing the ledger under a
running sync raised ``AssertionError``; a password with ``#`` in a URL was printed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import fresh_database

from qonto_async import Client, QontoClient
from qonto_async.ledger import Ledger, LedgerError
from qonto_async.ledger._errors import display_name
from qonto_async.testing import FakeQonto
from qonto_async.webhooks import ClientDeleted, decode_event


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    yield from fresh_database(request.getfixturevalue("postgres_url"))


def client(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
        requests_per_second=None,
    )  # fmt: skip


async def test_a_sync_cancelled_anywhere_leaves_the_lock_free(db: str) -> None:
    fake = FakeQonto(seed=1, clients=12, client_invoices=0, supplier_invoices=0)
    async with fake, client(fake) as qonto, Ledger.open(db) as ledger, Ledger.open(db) as other:
        for steps in range(14):  # cancelled after 0, 1, 2... turns of the loop
            task = asyncio.create_task(ledger.sync(qonto, resources=["clients"]))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert ledger.last_run is None or ledger.last_run.status != "running", steps
            done = await other.sync(qonto, resources=["clients"])  # not LedgerBusyError
            assert done.status == "done", steps
            again = await ledger.sync(qonto, resources=["clients"])  # locks once, unlocks
            assert again.status == "done", steps
        assert await other.ids("clients") == set(fake.ids("clients"))


async def test_a_client_created_during_a_full_re_list_is_not_marked_deleted(db: str) -> None:
    fake = FakeQonto(seed=2, clients=10, client_invoices=0, supplier_invoices=0)
    async with fake, client(fake) as qonto, Ledger.open(db) as ledger:
        await ledger.sync(qonto, resources=["clients"])
        fake.delete("clients", fake.ids("clients")[0])  # the full run asks Qonto about it
        confirm = qonto.clients.get_many
        created: list[str] = []

        async def get_many(ids: Any, **options: Any) -> Any:
            # while the full run confirms its unseen rows, a client is created in Qonto
            # and its webhook event applied
            new = fake.create("clients", name="Brand new SAS")
            record = fake.record("clients", new)
            body = {"id": "evt-new", "type": "v1/clients/created",
                    "created_at": record["created_at"], "data": record}  # fmt: skip
            assert await ledger.apply(decode_event(json.dumps(body).encode())) == "applied"
            created.append(new)
            return await confirm(ids, **options)

        qonto.clients.get_many = get_many  # type: ignore[method-assign]
        full = await ledger.sync(qonto, resources=["clients"], full=True)
        assert full.deleted == 1
        assert created[0] in await ledger.ids("clients")
        assert await ledger.ids("clients") == set(fake.ids("clients"))


async def test_events_with_odd_timestamps_are_applied(db: str) -> None:
    aware = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    naive = dt.datetime(2026, 3, 1, 8, 0)
    async with Ledger.open(db) as ledger:
        gone = ClientDeleted(id="e-1", created_at=aware, data=Client(id="c-1", updated_at=naive))
        assert await ledger.apply(gone) == "applied"
        ancient = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
        future = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
        odd = Client(id="c-2", created_at=ancient, updated_at=future)
        assert await ledger.apply(ClientDeleted(id="e-2", data=odd)) == "applied"
        naive_data = {"event": "updated", "id": "c-3", "updated_at": "2026-03-01T08:00:00"}
        body = {"id": "e-3", "type": "v1/clients/updated", "created_at": None, "data": naive_data}
        assert await ledger.apply(decode_event(json.dumps(body).encode())) == "applied"
        # a record dated in the future does not hold its row against later changes
        later = {"id": "e-4", "type": "v1/clients/updated",
                 "data": {"event": "updated", "id": "c-3", "email": "now@example.com"}}  # fmt: skip
        assert await ledger.apply(decode_event(json.dumps(later).encode())) == "applied"


async def test_an_event_keeps_its_record_as_qonto_sent_it(db: str) -> None:
    body = json.dumps(
        {"id": "e-1", "type": "v1/clients", "created_at": "2026-03-01T09:00:00Z",
         "data": {"event": "created", "id": "c-1", "name": "Sent SAS", "x_future": [1, 2]}}
    ).encode()  # fmt: skip
    async with Ledger.open(db) as ledger:
        assert await ledger.apply(decode_event(body)) == "applied"
        row = await ledger.row("clients", "c-1")
    assert row is not None
    assert row["raw"] == {"event": "created", "id": "c-1", "name": "Sent SAS", "x_future": [1, 2]}


async def test_closing_the_ledger_under_a_running_sync_interrupts_it(tmp_path: Path) -> None:
    fake = FakeQonto(seed=3, clients=5, client_invoices=300, supplier_invoices=0)
    async with fake, client(fake) as qonto:
        ledger = Ledger.open(tmp_path / "l.sqlite")
        await ledger.__aenter__()
        stored = asyncio.Event()
        task = asyncio.create_task(
            ledger.sync(qonto, per_page=10, on_progress=lambda _, __: stored.set())
        )
        await stored.wait()
        await ledger.aclose()
        assert task.cancelled()
        assert ledger.last_run is not None
        assert ledger.last_run.status == "interrupted"
        async with Ledger.open(tmp_path / "l.sqlite") as again:
            resumed = await again.sync(qonto)
        assert resumed.status == "done"


@pytest.mark.postgres
async def test_a_cancelled_opening_leaves_no_connection_behind(postgres_url: str) -> None:
    """Run with ResourceWarnings as errors: psycopg warns of a connection left open."""
    for database in fresh_database(postgres_url):
        for steps in range(8):
            ledger = Ledger.open(database)
            opening = asyncio.create_task(ledger.__aenter__())
            for _ in range(steps):
                await asyncio.sleep(0)
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await opening
            if not opening.cancelled():
                await ledger.aclose()
        await asyncio.sleep(0.2)  # the thread closes what it opened
        gc.collect()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://qonto:pa#ssZq9@db.example/ledger",
        "postgresql://qonto:pa?ssZq9@db.example:5432/ledger?sslmode=require",
        "postgresql://qonto:pa/ssZq9@db.example/ledger",
        "postgresql://db.example/ledger?sslmode=require&password=ssZq9",
        "postgresql://db.example/ledger?user=qonto&PASSWORD%3DssZq9",
    ],
)
def test_a_password_is_never_shown(url: str) -> None:
    shown = display_name(url)
    assert "ssZq9" not in shown
    assert shown.startswith("postgresql://")


@pytest.mark.parametrize(
    "url",
    ["postgresql://qonto:ssZq9@[::1/ledger", "postgresql://127.0.0.1/ledger?password%3DssZq9"],
)
async def test_a_driver_error_quoting_the_url_keeps_no_password(url: str) -> None:
    with pytest.raises(LedgerError) as caught:
        async with Ledger.open(url):
            pass
    seen, error = [], caught.value
    seen += [str(error), repr(error), repr(pickle.loads(pickle.dumps(error)))]
    chained: BaseException | None = error
    while chained is not None:
        seen.append(repr(chained))
        chained = chained.__context__ or chained.__cause__
    assert not [text for text in seen if "ssZq9" in text]
