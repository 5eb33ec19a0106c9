"""``transactions.list()`` without an account: every account read at once, each record once,
one position for all of them that resumes after any item, and a failure or a break that
stops every account's reading."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest
from aioresponses import CallbackResult
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

from qonto_async import Paginator, QontoClient, Transaction

ACCOUNTS = ("acc-a", "acc-b", "acc-c")
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def record(account: str, n: int, *, shared: bool = False) -> dict[str, Any]:
    at = (T0 + dt.timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
    return {
        "id": "shared-1" if shared else f"{account}-{n:04d}",
        "transaction_id": f"r{n}",
        "amount": "1.00",
        "local_amount": "1.00",
        "currency": "EUR",
        "local_currency": "EUR",
        "side": "debit",
        "operation_type": "card",
        "status": "completed",
        "label": "x",
        "subject_type": "card",
        "emitted_at": at,
        "updated_at": at,
        "bank_account_id": account,
    }


def items_of(listing: Paginator[Transaction]) -> AsyncGenerator[Transaction, None]:
    """The listing's item iterator, which is an async generator (closable at once)."""
    return cast(AsyncGenerator[Transaction, None], aiter(listing))


class Bank:
    """Answers ``/v2/transactions`` as Qonto would for ``sizes[account]`` records each,
    ``updated_at`` one second apart: filters inclusive, ``updated_at:asc``, page numbers."""

    def __init__(self, sizes: dict[str, int], *, failing: str | None = None) -> None:
        self.records = {a: [record(a, n) for n in range(size)] for a, size in sizes.items()}
        self.failing = failing
        self.requests: list[dict[str, str]] = []

    def organization(self, url: Any, **kwargs: Any) -> CallbackResult:
        accounts = [{"id": a, "iban": f"FR-{a}"} for a in self.records]
        return CallbackResult(payload={"organization": {"id": "o", "bank_accounts": accounts}})

    def transactions(self, url: Any, **kwargs: Any) -> CallbackResult:
        query = {str(k): str(v) for k, v in kwargs["params"]}
        self.requests.append(query)
        account = query["bank_account_id"]
        if account == self.failing:
            return CallbackResult(status=403, payload={"errors": [{"code": "forbidden"}]})
        items = self.records[account]
        low, high = query.get("updated_at_from"), query.get("updated_at_to")
        if low:
            items = [r for r in items if r["updated_at"] >= low.replace("+00:00", "Z")]
        if high:
            items = [r for r in items if r["updated_at"] <= high.replace("+00:00", "Z")]
        page, per_page = int(query["page"]), int(query["per_page"])
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(items) // per_page))
        meta = {
            "current_page": page,
            "next_page": page + 1 if page < pages else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": pages,
            "total_count": len(items),
            "per_page": per_page,
        }
        return CallbackResult(payload={"transactions": chunk, "meta": meta})

    def mount(self, mock: AioResponses) -> None:
        org = re.compile(rf"^{re.escape(BASE_URL)}/v2/organization(\?.*)?$")
        txns = re.compile(rf"^{re.escape(BASE_URL)}/v2/transactions(\?.*)?$")
        mock.get(org, callback=self.organization, repeat=True)
        mock.get(txns, callback=self.transactions, repeat=True)


async def test_every_account_once_and_interleaved(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    bank = Bank({"acc-a": 230, "acc-b": 7, "acc-c": 0})
    bank.mount(http_mock)
    seen: list[int] = []
    items = await qonto.transactions.list(
        per_page=20, prefetch=2, on_progress=lambda done, total: seen.append(done)
    ).all()
    ids = [t.id for t in items]
    assert len(ids) == len(set(ids)) == 237
    assert {t.bank_account_id for t in items} == {"acc-a", "acc-b"}
    assert seen[-1] == 237
    assert {q["bank_account_id"] for q in bank.requests} == set(ACCOUNTS)


@pytest.mark.parametrize("cut", [1, 19, 20, 57, 130])
async def test_a_position_taken_after_any_item_resumes_exactly_after_it(
    qonto: QontoClient, http_mock: AioResponses, cut: int
) -> None:
    bank = Bank({"acc-a": 90, "acc-b": 45, "acc-c": 3})
    bank.mount(http_mock)
    first: list[Transaction] = []
    listing = qonto.transactions.list(per_page=10, prefetch=3)
    async with contextlib.aclosing(items_of(listing)) as items:
        async for item in items:
            first.append(item)
            if len(first) == cut:
                position = listing.position
                break
    assert position is not None
    rest = await qonto.transactions.list(per_page=10, start=position).all()
    ids = [t.id for t in first + rest]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r["id"] for records in bank.records.values() for r in records}


async def test_limit_is_over_the_whole_listing(qonto: QontoClient, http_mock: AioResponses) -> None:
    Bank({"acc-a": 50, "acc-b": 50}).mount(http_mock)
    items = await qonto.transactions.list(per_page=10, limit=33).all()
    assert len({t.id for t in items}) == 33


async def test_a_record_served_under_two_accounts_is_yielded_once(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    bank = Bank({"acc-a": 5, "acc-b": 5})
    bank.records["acc-a"].append(record("acc-a", 10, shared=True))
    bank.records["acc-b"].append(record("acc-b", 11, shared=True))
    bank.mount(http_mock)
    ids = [t.id for t in await qonto.transactions.list().all()]
    assert ids.count("shared-1") == 1
    assert len(ids) == 11


async def test_one_account_failing_fails_the_listing_and_stops_the_others(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    from qonto_async import PermissionDeniedError

    Bank({"acc-a": 500, "acc-b": 500, "acc-c": 500}, failing="acc-b").mount(http_mock)
    before = set(asyncio.all_tasks())
    with pytest.raises(PermissionDeniedError) as caught:
        await qonto.transactions.list(per_page=10, prefetch=2).all()
    assert "acc-b" in str(caught.value.url)
    await asyncio.sleep(0)
    assert set(asyncio.all_tasks()) - before == set()


async def test_breaking_out_and_cancelling_leave_no_task_behind(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    Bank({"acc-a": 300, "acc-b": 300}).mount(http_mock)
    before = set(asyncio.all_tasks())
    async with contextlib.aclosing(items_of(qonto.transactions.list(per_page=10))) as items:
        async for _ in items:
            break
    task = asyncio.ensure_future(qonto.transactions.list(per_page=10).all())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert set(asyncio.all_tasks()) - before == set()


async def test_a_forged_position_is_a_value_error(qonto: QontoClient) -> None:
    for bad in ("qlf1.bm90IGpzb24", "qlf1.WzFd", "nope"):
        with pytest.raises(ValueError, match="position"):
            qonto.transactions.list(start=bad)
