"""A small model of Qonto's ``/v2/transactions`` for unit tests' mocked answers (aioresponses
callbacks): accounts, the status, ``updated_at``/``settled_at`` filters (bounds included),
``sort_by`` with ties served in a seeded random order, page numbers and ``meta``; and two
habits an integration reported of the real API: 422 for a page past the end, and
``next_page: 0``."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from typing import Any

from aioresponses import CallbackResult
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def stamp(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds")[:-6] + "Z"


def record(account: str, n: int, **fields: Any) -> dict[str, Any]:
    at = stamp(n)
    return {
        "id": fields.pop("id", f"{account}-{n:04d}"),
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
        "settled_at": at,
        "bank_account_id": account,
        **fields,
    }


def chained(account: str, settled: list[float], *, seed: int = 0) -> list[dict[str, Any]]:
    """Completed transactions settled at ``settled`` (seconds after T0), with one consistent
    ``settled_balance`` chain in that order."""
    draws = random.Random(seed)
    balance = Decimal("1000.00")
    out = []
    for n, at in enumerate(settled):
        amount = Decimal(draws.randrange(1, 5000)) / 100
        side = draws.choice(["debit", "credit"])
        balance += -amount if side == "debit" else amount
        out.append(
            record(
                account,
                n,
                amount=str(amount),
                amount_cents=int(amount * 100),
                side=side,
                settled_at=stamp(at),
                updated_at=stamp(at),
                settled_balance=str(balance),
            )
        )
    return out


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Bank:
    """Answers ``/v2/organization`` and ``/v2/transactions`` from ``records``."""

    def __init__(self, records: dict[str, list[dict[str, Any]]], *, seed: int = 0) -> None:
        self.records = records
        self.draws = random.Random(seed)
        self.failing: str | None = None
        self.past_end_422 = False
        self.next_page_zero = False
        self.accounts: list[dict[str, Any]] = [{"id": a, "iban": f"FR-{a}"} for a in records]
        self.requests: list[dict[str, str]] = []

    def organization(self, url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload={"organization": {"id": "o", "bank_accounts": self.accounts}})

    def _selected(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        items = list(self.records[query["bank_account_id"]])
        statuses = query.get("status[]") or ["completed"]
        items = [r for r in items if r["status"] in statuses]
        for field in ("updated_at", "settled_at"):
            low, high = query.get(f"{field}_from"), query.get(f"{field}_to")
            if low is not None:
                items = [r for r in items if r[field] and _instant(r[field]) >= _instant(low)]
            if high is not None:
                items = [r for r in items if r[field] and _instant(r[field]) <= _instant(high)]
        field, _, direction = query.get("sort_by", "settled_at:desc").partition(":")
        self.draws.shuffle(items)  # ties come in any order
        items.sort(key=lambda r: _instant(r[field]) if r[field] else T0)
        return items[::-1] if direction == "desc" else items

    def transactions(self, url: Any, **kwargs: Any) -> CallbackResult:
        query: dict[str, Any] = {}
        for key, value in kwargs["params"]:
            if key.endswith("[]"):
                query.setdefault(key, []).append(str(value))
            else:
                query[key] = str(value)
        self.requests.append(query)
        if query["bank_account_id"] == self.failing:
            return CallbackResult(status=403, payload={"errors": [{"code": "forbidden"}]})
        items = self._selected(query)
        page, per_page = int(query["page"]), int(query["per_page"])
        pages = max(1, -(-len(items) // per_page))
        if page > pages and self.past_end_422:
            return CallbackResult(
                status=422, payload={"errors": [{"code": "invalid", "detail": "page"}]}
            )
        last = page >= pages
        meta = {
            "current_page": page,
            "next_page": (0 if self.next_page_zero else None) if last else page + 1,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": pages,
            "total_count": len(items),
            "per_page": per_page,
        }
        chunk = items[(page - 1) * per_page : page * per_page]
        return CallbackResult(payload={"transactions": chunk, "meta": meta})

    def mount(self, mock: AioResponses) -> None:
        org = re.compile(rf"^{re.escape(BASE_URL)}/v2/organization(\?.*)?$")
        txns = re.compile(rf"^{re.escape(BASE_URL)}/v2/transactions(\?.*)?$")
        mock.get(org, callback=self.organization, repeat=True)
        mock.get(txns, callback=self.transactions, repeat=True)
