"""FakeQonto's transactions changing while it serves, over real HTTP: churn (settlements,
declines, new authorisations, receipts, labels, notes), receipts uploaded and processed in
the background, receipts removed, hidden transactions, and ``v1/transactions`` webhooks."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web
from conftest import serve

from qonto_async.testing import Churn, FakeOptions, FakeQonto

from .bank_api import STATUSES, BankApi, at, chain_breaks, expected, ms

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def records(fake: FakeQonto) -> list[dict[str, Any]]:
    return [fake.record("transactions", tid) for tid in fake.ids("transactions")]


def receipt(content: bytes = PNG, name: str = "receipt.png", kind: str = "image/png") -> Any:
    form = aiohttp.FormData()
    form.add_field("file", content, filename=name, content_type=kind)
    return form


async def test_churn_keeps_every_chain_and_never_moves_updated_at_back(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeQonto(seed=4, transactions=400, rate_limit=None) as fake:
        api = BankApi(fake, session)
        before = {r["id"]: r for r in records(fake)}
        fake.churn = Churn(
            seed=4, creates=0.3, updates=0.9, deletes=0.5, resources=("transactions",)
        )
        accounts = fake.ids("bank_accounts")
        for n in range(120):
            await api.ok("/v2/transactions", {"bank_account_id": accounts[n % 3], "per_page": "5"})
        fake.churn = None
        changes = [c for c in fake.stats.changes if c[1] == "transactions"]
        actions = collections.Counter(c[0] for c in changes)
        assert actions["created"] > 10
        assert actions["updated"] > 50
        assert "deleted" not in actions  # Qonto never deletes a transaction
        after = {r["id"]: r for r in records(fake)}
        assert set(before) <= set(after)
        for tid, old in before.items():
            assert at(after[tid]["updated_at"]) >= at(old["updated_at"])
            if old["status"] != "pending":
                assert after[tid]["status"] == old["status"]
        changed = {tid for _, _, tid in changes}
        moved = {tid for tid in before if after[tid]["updated_at"] != before[tid]["updated_at"]}
        assert moved == changed & set(before)
        settled = [t for t in before if before[t]["status"] == "pending" != after[t]["status"]]
        assert settled, "some authorisations settled or were declined"
        everything = list(after.values())
        for account_id in accounts:
            mine = [r for r in everything if r["bank_account_id"] == account_id]
            assert chain_breaks(mine) == []
            done = [r for r in mine if r["status"] == "completed"]
            tail = max(done, key=lambda r: (ms(r["settled_at"]), r["id"]))
            account = (await api.ok(f"/v2/bank_accounts/{account_id}"))["bank_account"]
            assert account["balance_cents"] == tail["settled_balance_cents"]
            # the indexes answer what the records say, after all that churn
            got, total = await api.transactions(
                [("bank_account_id", account_id), ("sort_by", "updated_at:asc")]
                + [("status[]", s) for s in STATUSES]
            )
            want = expected(everything, account_id, statuses=STATUSES, sort="updated_at:asc")
            assert [t["id"] for t in got] == want
            assert total == len(want)


async def test_each_change_stamps_updated_at_forward_even_with_a_clock_behind(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeQonto(seed=5, transactions=100, rate_limit=None) as fake:
        tid = fake.ids("transactions")[0]
        stamps = [at(fake.record("transactions", tid)["updated_at"])]
        fake.clock = lambda: 1_000_000_000.0  # 2001: far behind the data
        for note in ("one", "two", "three"):
            fake.update("transactions", tid, note=note)
            stamps.append(at(fake.record("transactions", tid)["updated_at"]))
        assert stamps == sorted(set(stamps))  # strictly growing
        assert fake.record("transactions", tid)["note"] == "three"
        everything = records(fake)
        pending = next(r for r in everything if r["status"] == "pending")
        mine = [r for r in everything if r["bank_account_id"] == pending["bank_account_id"]]
        tail = max(at(r["settled_at"]) for r in mine if r["settled_at"])
        fake.update("transactions", pending["id"], status="completed")
        settled = fake.record("transactions", pending["id"])
        assert at(settled["settled_at"]) > tail  # at the tail of the chain, clock or not
        mine = [fake.record("transactions", r["id"]) for r in mine]
        assert chain_breaks(mine) == []
        with pytest.raises(ValueError, match="delete"):
            fake.delete("transactions", tid)


async def test_created_and_settled_transactions_join_the_tail_of_the_chain(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeQonto(seed=6, transactions=50, rate_limit=None) as fake:
        main = fake.ids("bank_accounts")[0]
        balance = fake.record("bank_accounts", main)["balance_cents"]
        authorized = fake.record("bank_accounts", main)["authorized_balance_cents"]
        card = fake.create("transactions", amount_cents=1234)
        made = fake.record("transactions", card)
        assert (made["status"], made["operation_type"], made["side"]) == (
            "pending",
            "card",
            "debit",
        )
        assert made["settled_at"] is None
        account = fake.record("bank_accounts", main)
        assert account["balance_cents"] == balance
        assert account["authorized_balance_cents"] == authorized - 1234
        fake.update("transactions", card, status="completed")
        settled = fake.record("transactions", card)
        assert settled["settled_balance_cents"] == balance - 1234
        assert at(settled["updated_at"]) >= at(settled["settled_at"])
        income = fake.create(
            "transactions", status="completed", operation_type="income", amount_cents=500
        )
        assert fake.record("transactions", income)["settled_balance_cents"] == balance - 734
        mine = [r for r in records(fake) if r["bank_account_id"] == main]
        assert chain_breaks(mine) == []
        with pytest.raises(ValueError, match="pending"):
            fake.update("transactions", card, status="declined")
        assert fake.stats.changes[-3:] == [
            ("created", "transactions", card),
            ("updated", "transactions", card),
            ("created", "transactions", income),
        ]


async def test_an_upload_appears_once_processed(session: aiohttp.ClientSession) -> None:
    now = [1_800_000_000.0]
    options = FakeOptions(attachment_delay=5.0)
    async with FakeQonto(seed=8, transactions=60, rate_limit=None, options=options) as fake:
        fake.clock = lambda: now[0]
        api = BankApi(fake, session)
        tid = next(
            t
            for t in fake.ids("transactions")
            if not fake.record("transactions", t)["attachment_ids"]
        )
        before = fake.record("transactions", tid)
        path = f"/v2/transactions/{tid}/attachments"
        key = {"X-Qonto-Idempotency-Key": "2d7c0b1e-upload-once"}
        sent = await api.request("POST", path, data=receipt(), headers=key)
        assert (sent.status, sent.body) == (200, b"")
        again = await api.request("POST", path, data=receipt(), headers=key)
        assert again.status == 200  # the same key: replayed, not a second receipt
        assert fake.attachments_processing == 1
        assert (await api.ok(path))["attachments"] == []
        assert fake.record("transactions", tid)["attachment_ids"] == []
        now[0] += 5.0
        listed = (await api.ok(path))["attachments"]
        assert len(listed) == 1
        attachment = listed[0]
        assert attachment["file_content_type"] == "image/png"
        assert attachment["file_name"] == "receipt.png"
        after = fake.record("transactions", tid)
        assert after["attachment_ids"] == [attachment["id"]]
        assert at(after["updated_at"]) > at(before["updated_at"])
        got = (await api.ok(f"/v2/attachments/{attachment['id']}"))["attachment"]
        assert got["file_content_type"] == "image/png"
        download = await api.request("GET", got["url"], auth=False)
        assert (download.status, download.body) == (200, PNG)
        assert ("updated", "transactions", tid) in fake.stats.changes
        text = receipt(b"hello", "notes.txt", "text/plain")
        refused = await api.request("POST", path, data=text)
        assert refused.status == 422
        nameless = aiohttp.FormData()
        nameless.add_field("document", PNG, filename="x.png", content_type="image/png")
        assert (await api.request("POST", path, data=nameless)).status == 422
        unknown = await api.request("POST", "/v2/transactions/nope/attachments", data=receipt())
        assert unknown.status == 404


async def test_receipts_are_removed_one_or_all(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(seed=9, transactions=300, rate_limit=None) as fake:
        api = BankApi(fake, session)
        tid = next(
            t
            for t in fake.ids("transactions")
            if len(fake.record("transactions", t)["attachment_ids"]) == 2
        )
        first, second = fake.record("transactions", tid)["attachment_ids"]
        stamp = fake.record("transactions", tid)["updated_at"]
        gone = await api.request("DELETE", f"/v2/transactions/{tid}/attachments/{first}")
        assert (gone.status, gone.body) == (200, b"")
        assert fake.record("transactions", tid)["attachment_ids"] == [second]
        assert (await api.get(f"/v2/attachments/{first}")).status == 404
        assert fake.record("transactions", tid)["updated_at"] > stamp
        again = await api.request("DELETE", f"/v2/transactions/{tid}/attachments/{first}")
        assert again.status == 404
        everything = await api.request("DELETE", f"/v2/transactions/{tid}/attachments")
        assert everything.status == 200
        assert fake.record("transactions", tid)["attachment_ids"] == []
        assert (await api.ok(f"/v2/transactions/{tid}/attachments"))["attachments"] == []
        unknown = await api.request("DELETE", "/v2/transactions/nope/attachments")
        assert unknown.status == 404


async def test_a_hidden_transaction_leaves_the_lists_only(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(seed=10, transactions=200, rate_limit=None) as fake:
        api = BankApi(fake, session)
        main = fake.ids("bank_accounts")[0]
        listing = [("bank_account_id", main), ("sort_by", "settled_at:asc")]
        full, total = await api.transactions(listing)
        victim = full[len(full) // 2]["id"]
        fake.hide("transactions", victim)
        fewer, fewer_total = await api.transactions(listing)
        assert [t["id"] for t in fewer] == [t["id"] for t in full if t["id"] != victim]
        assert fewer_total == total - 1 == fake.count("transactions", bank_account_id=main)
        assert chain_breaks(fewer) == [full[len(full) // 2 + 1]["id"]]  # the gap shows
        assert (await api.ok(f"/v2/transactions/{victim}"))["transaction"]["id"] == victim
        fake.update("transactions", victim, note="still hidden")
        assert victim not in [t["id"] for t in (await api.transactions(listing))[0]]
        fake.unhide("transactions", victim)
        back, _ = await api.transactions(listing)
        assert [t["id"] for t in back] == [t["id"] for t in full]
        assert not [c for c in fake.stats.changes if c[0] != "updated"]


async def test_transaction_changes_are_delivered_as_v1_transactions(
    session: aiohttp.ClientSession,
) -> None:
    bodies: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        bodies.append(msgspec.json.decode(await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hooks", receive)
    async with serve(app) as base, FakeQonto(seed=12, transactions=80, rate_limit=None) as fake:
        api = BankApi(fake, session)
        bearer = {"Authorization": f"Bearer {fake.access_token}"}
        made = await api.request(
            "POST",
            "/v2/webhook_subscriptions",
            data=msgspec.json.encode(
                {"callback_url": f"{base}/hooks", "types": ["v1/transactions"]}
            ),
            headers={**bearer, "Content-Type": "application/json"},
            auth=False,
        )
        assert made.status == 201, made.body
        card = fake.create("transactions", operation_type="direct_debit", side="debit")
        fake.update("transactions", card, status="completed")
        fake.update("clients", fake.ids("clients")[0], email="x@example.com")  # not subscribed
        await fake.webhooks_settled()
        await asyncio.sleep(0)
    assert [b["type"] for b in bodies] == ["v1/transactions", "v1/transactions"]
    assert [b["data"]["event"] for b in bodies] == ["created", "updated"]
    data = bodies[1]["data"]
    assert data["id"] == card
    assert data["status"] == "completed"
    assert data["subject_type"] == "DirectDebit"
    assert not [k for k in data if k.endswith("_cents")]
    assert data["direct_debit"]["counterparty_account_number_format"] == "iban"
    assert data["settled_at"].endswith("Z")
    assert "." not in data["settled_at"]
    assert isinstance(data["settled_balance"], float)
