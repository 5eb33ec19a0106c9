"""``listen`` answers 2xx only for an event stored in the ledger (issue 22, defect 2), over
real HTTP from a separate client: a ledger locked by another writer at delivery time gets a
5xx, and Qonto's redelivery once the lock is gone stores the event, once. Deliveries out of
order leave the newest state (defect 4)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from qonto_async._cli.listen import listening
from qonto_async.ledger import Ledger
from qonto_async.webhooks import sign

SECRET = "whsec_stored_first_stored_first_stored_0"


def delivery(event_id: str, minutes: int, email: str, kind: str = "updated") -> bytes:
    moment = dt.datetime(2026, 3, 1, 9, minutes, tzinfo=dt.UTC).isoformat()
    return json.dumps(
        {
            "id": event_id,
            "type": "v1/clients",
            "created_at": moment,
            "data": {"event": kind, "id": "c-1", "name": "Stored SAS", "email": email,
                     "updated_at": moment},
        }
    ).encode()  # fmt: skip


@contextlib.asynccontextmanager
async def listener(ledger: Ledger, lines: list[str]) -> AsyncIterator[str]:
    async with listening(
        secrets=(SECRET,),
        ledger=ledger,
        forward=None,
        host="127.0.0.1",
        port=0,
        path="/hooks",
        echo=lines.append,
    ) as (url, _):
        yield url


async def post(session: aiohttp.ClientSession, url: str, body: bytes) -> int:
    headers = {"X-Qonto-Signature": sign(body, SECRET, int(time.time()))}
    async with session.post(url, data=body, headers=headers) as answer:
        return answer.status


async def test_an_event_the_ledger_cannot_store_is_not_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    lines: list[str] = []
    body = delivery("e-1", 10, "a@example.com")
    async with Ledger.open(db, busy_timeout=0.2) as ledger, listener(ledger, lines) as url:
        async with aiohttp.ClientSession() as session:
            with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as other:
                other.execute("BEGIN IMMEDIATE")  # another writer holds the ledger
                status = await post(session, url, body)
                other.execute("ROLLBACK")
            assert status >= 500  # not stored: Qonto must deliver it again
            assert await ledger.ids("clients") == set()
            assert await post(session, url, body) == 200  # the redelivery stores it
            assert await post(session, url, body) == 200  # and one more is a duplicate
        assert await ledger.ids("clients") == {"c-1"}
    with contextlib.closing(sqlite3.connect(db)) as conn:
        events = conn.execute("SELECT id, outcome FROM ledger_events").fetchall()
    assert events == [("e-1", "applied")]
    assert any(line.startswith("failed   v1/clients/updated e-1") for line in lines)


async def test_deliveries_out_of_order_keep_the_newest_state(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    lines: list[str] = []
    async with Ledger.open(db) as ledger, listener(ledger, lines) as url:
        async with aiohttp.ClientSession() as session:
            assert await post(session, url, delivery("e-2", 20, "new@example.com")) == 200
            assert (
                await post(session, url, delivery("e-3", 30, "new@example.com", "deleted")) == 200
            )
            assert await post(session, url, delivery("e-1", 10, "old@example.com")) == 200
        assert await ledger.ids("clients", deleted=True) == {"c-1"}
        row = await ledger.row("clients", "c-1")
        assert row is not None
        assert row["email"] == "new@example.com"
    assert [line.split()[0] for line in lines] == ["applied", "applied", "stale"]
