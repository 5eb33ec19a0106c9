"""A bare aiohttp client for FakeQonto's bank endpoints, and a brute-force reading of what
``GET /v2/transactions`` must answer, to hold the fake's indexes against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import msgspec

from qonto_async.testing import FakeQonto

Params = Sequence[tuple[str, str]]
STATUSES = ("pending", "declined", "completed")


class Answer:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


class BankApi:
    def __init__(self, fake: FakeQonto, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session
        self.auth = {"Authorization": f"{fake.login}:{fake.secret_key}"}

    async def request(
        self,
        method: str,
        path: str,
        params: Params | Mapping[str, str] | None = None,
        *,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> Answer:
        sent = {**(self.auth if auth else {}), **(headers or {})}
        url = path if path.startswith("http") else self.fake.base_url + path
        async with self.session.request(
            method, url, params=params, data=data, headers=sent
        ) as response:
            return Answer(response.status, response.headers, await response.read())

    async def get(self, path: str, params: Params | Mapping[str, str] | None = None) -> Answer:
        return await self.request("GET", path, params)

    async def ok(self, path: str, params: Params | Mapping[str, str] | None = None) -> Any:
        answer = await self.get(path, params)
        assert answer.status == 200, answer.body[:300]
        return answer.json()

    async def transactions(self, params: Params) -> tuple[list[dict[str, Any]], int]:
        """Every page of a transaction listing, and the ``total_count`` page 1 announced."""
        items: list[dict[str, Any]] = []
        page, total = 1, -1
        for _ in range(10_000):
            body = await self.ok("/v2/transactions", [*params, ("page", str(page))])
            items += body["transactions"]
            if total < 0:
                total = body["meta"]["total_count"]
            if body["meta"]["next_page"] is None:
                return items, total
            page = body["meta"]["next_page"]
        raise AssertionError("the listing never ended")


def ms(stamp: str | None) -> int | None:
    if stamp is None:
        return None
    moment = dt.datetime.fromisoformat(stamp)
    return int(moment.timestamp() * 1000 + 0.5)


def at(stamp: str) -> int:
    """Epoch milliseconds of a timestamp that is there."""
    value = ms(stamp)
    assert value is not None
    return value


def expected(
    records: list[dict[str, Any]],
    account_id: str,
    *,
    statuses: Sequence[str] = ("completed",),
    windows: Mapping[str, tuple[int | None, int | None]] | None = None,
    side: str | None = None,
    operation_types: Sequence[str] | None = None,
    with_attachments: bool | None = None,
    sort: str = "settled_at:desc",
) -> list[str]:
    """Ids ``GET /v2/transactions`` must answer, in order, by the documented rules: bounds
    inclusive, ties on the sort key broken by id, null last ascending, desc the exact reverse."""
    chosen = []
    for r in records:
        if r["bank_account_id"] != account_id or r["status"] not in statuses:
            continue
        if side is not None and r["side"] != side:
            continue
        if operation_types is not None and r["operation_type"] not in operation_types:
            continue
        if with_attachments is not None and bool(r["attachment_ids"]) is not with_attachments:
            continue
        inside = True
        for key, (lo, hi) in (windows or {}).items():
            value = ms(r[key])
            if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
                inside = False
        if inside:
            chosen.append(r)
    key, _, direction = sort.partition(":")
    never = 1 << 62
    chosen.sort(key=lambda r: (ms(r[key]) or never, r["id"]), reverse=direction == "desc")
    return [r["id"] for r in chosen]


def chain_breaks(records: list[dict[str, Any]], opening: int | None = None) -> list[str]:
    """Ids of completed transactions whose ``settled_balance_cents`` does not follow from the
    one before them (in ``(settled_at, id)`` order) and their signed amount."""
    done = sorted(
        (r for r in records if r["status"] == "completed"),
        key=lambda r: (ms(r["settled_at"]), r["id"]),
    )
    breaks = []
    before = opening
    for r in done:
        signed = r["amount_cents"] if r["side"] == "credit" else -r["amount_cents"]
        assert r["amount_cents"] > 0
        if before is not None and r["settled_balance_cents"] != before + signed:
            breaks.append(r["id"])
        before = r["settled_balance_cents"]
    return breaks
