"""Against FakeQonto over real HTTP: every list endpoint's pages, and ``changes().pages()``,
hand out each record's JSON exactly as the fake sent it, fields our models do not know
included (what a ledger stores instead of re-encoding the model)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from qonto_async import QontoClient, Records
from qonto_async.models import dec_hook
from qonto_async.testing import Churn, FakeQonto

# Fields Qonto sends that our models do not know, per resource.
UNKNOWN: dict[str, dict[str, Any]] = {
    "credit_notes": {
        "contact_email": "billing@example.test",
        "finalized_at": "2025-03-01T10:00:00.000Z",
        "header": "Avoir n\u00b0 12",
        "footer": "Merci \u2014 thank you",
        "invoice_url": "https://example.test/cn/12",
    },
    "quotes": {"approved_at": "2025-03-02T11:00:00.000Z", "canceled_at": None},
    "supplier_invoices": {"deleted_at": "2025-03-03T12:00:00.123Z"},
    "client_invoices": {"x_future": {"amount": "2.50", "tags": ["a", None, 3]}},
    "clients": {"x_future": {"kind": "new"}},
}


def connect(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login,
        secret_key=fake.secret_key,
        base_url=fake.base_url,
        requests_per_second=None,
    )


def served(fake: FakeQonto, resource: str, record_id: str) -> bytes:
    """The bytes the fake writes for this record in its answers."""
    table = fake.dataset.tables[resource]
    return table.encoded(table.index[record_id])


def agrees(raw: msgspec.Raw, item: Any) -> bool:
    return bool(msgspec.json.decode(raw, type=type(item), dec_hook=dec_hook) == item)


@pytest.mark.parametrize("resource", list(UNKNOWN))
async def test_every_listed_record_comes_with_its_json_as_sent(resource: str) -> None:
    async with FakeQonto(seed=3, clients=60, client_invoices=70, supplier_invoices=70,
                         quotes=70, credit_notes=70, rate_limit=None) as fake:  # fmt: skip
        marked = fake.ids(resource)[::9]
        for record_id in marked:
            fake.update(resource, record_id, **UNKNOWN[resource])
        raws: dict[str, bytes] = {}
        async with connect(fake) as qonto:
            async for page in getattr(qonto, resource).list(per_page=25, prefetch=2).pages():
                assert list(page.raw) == [item.id for item in page.items]
                for item in page.items:
                    assert agrees(page.raw[item.id], item)
                raws.update({rid: bytes(raw) for rid, raw in page.raw.items()})
        # The views outlive the listing and its client: they hold the answers' bodies.
        assert set(raws) == set(fake.ids(resource))
        assert all(raws[rid] == served(fake, resource, rid) for rid in raws)
    for record_id in marked:
        record = msgspec.json.decode(raws[record_id])
        assert {name: record[name] for name in UNKNOWN[resource]} == UNKNOWN[resource]


@pytest.mark.parametrize("resource", ["credit_notes", "quotes", "supplier_invoices"])
async def test_changes_pages_carry_each_record_as_sent(resource: str) -> None:
    async with FakeQonto(seed=4, quotes=45, credit_notes=45, supplier_invoices=45,
                         rate_limit=None) as fake, connect(fake) as qonto:  # fmt: skip
        feed = getattr(qonto, resource).changes(per_page=20, overlap=dt.timedelta(0))
        first: list[str] = []
        async for records in feed.pages():
            assert isinstance(records, Records)
            assert list(records.raw) == [record.id for record in records]
            assert all(bytes(records.raw[r.id]) == served(fake, resource, r.id) for r in records)
            first += [record.id for record in records]
        assert sorted(first) == sorted(fake.ids(resource))

        changed = fake.ids(resource)[:2]
        for record_id in changed:
            fake.update(resource, record_id, **UNKNOWN[resource])
        again: dict[str, bytes] = {}
        feed = getattr(qonto, resource).changes(feed.cursor, overlap=dt.timedelta(0))
        async for records in feed.pages():
            for record in records:
                assert agrees(records.raw[record.id], record)
            again.update({rid: bytes(raw) for rid, raw in records.raw.items()})
    assert set(again) == set(changed)
    for record_id in changed:
        assert again[record_id] == served(fake, resource, record_id)
        for name, value in UNKNOWN[resource].items():
            assert msgspec.json.decode(again[record_id])[name] == value


@pytest.mark.parametrize("order", [None, "created_at:asc"])
async def test_raw_agrees_with_every_record_while_the_data_churns(order: str | None) -> None:
    async with (
        FakeQonto(seed=5, client_invoices=300, rate_limit=None) as fake,
        connect(fake) as qonto,
    ):
        fake.churn = Churn(
            seed=5, creates=0.3, updates=0.3, deletes=0.3, resources=("client_invoices",)
        )
        ids: list[str] = []
        async for page in qonto.client_invoices.list(
            per_page=20, prefetch=8, sort_by=order
        ).pages():
            assert list(page.raw) == [item.id for item in page.items]
            assert all(agrees(page.raw[item.id], item) for item in page.items)
            ids += [item.id for item in page.items]
        fake.churn = None
    assert len(ids) == len(set(ids))
    assert len(fake.stats.changes) > 10


async def test_raw_of_a_listing_read_by_page_number() -> None:
    # sort_by on a name: read by page number, verified by a second pass.
    async with FakeQonto(seed=6, clients=55, rate_limit=None) as fake, connect(fake) as qonto:
        for record_id in fake.ids("clients")[:5]:  # long ago: no change during the listing
            fake.update(
                "clients", record_id, updated_at="2024-01-01T00:00:00Z", **UNKNOWN["clients"]
            )
        pages = [page async for page in qonto.clients.list(sort_by="name:asc", per_page=10).pages()]
        for page in pages:
            assert list(page.raw) == [client.id for client in page.items]
            assert all(bytes(page.raw[c.id]) == served(fake, "clients", c.id) for c in page.items)
    assert sum(len(page.items) for page in pages) == 55
