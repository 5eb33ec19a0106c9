"""Exactly-once listing and changes() while FakeQonto's data moves, over real HTTP."""

from __future__ import annotations

import collections
import datetime as dt
import json
import time

import pytest

from qonto_async import ListChangedError, QontoClient
from qonto_async.testing import Churn, FakeQonto


def connect(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login,
        secret_key=fake.secret_key,
        base_url=fake.base_url,
        requests_per_second=None,
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("prefetch", [1, 8])
@pytest.mark.parametrize("order", [None, "created_at:asc"])
async def test_churn_loses_and_repeats_nothing(seed: int, prefetch: int, order: str | None) -> None:
    async with (
        FakeQonto(seed=seed, client_invoices=400, rate_limit=None) as fake,
        connect(fake) as qonto,
    ):
        before = set(fake.ids("client_invoices"))
        fake.churn = Churn(
            seed=seed, creates=0.3, updates=0.2, deletes=0.3, resources=("client_invoices",)
        )
        items = await qonto.client_invoices.list(
            per_page=20, prefetch=prefetch, sort_by=order
        ).all()
        fake.churn = None
    deleted = {rid for action, _, rid in fake.stats.changes if action == "deleted"}
    ids = [item.id for item in items]
    assert [i for i, n in collections.Counter(ids).items() if n > 1] == []
    assert (before - deleted) - set(ids) == set()  # every survivor came out
    stamps = [item.created_at for item in items]
    assert stamps == sorted(stamps, reverse=order is None)  # type: ignore[type-var]
    assert len(deleted) > 5


async def test_a_deleted_record_behind_the_reader_does_not_hide_the_next() -> None:
    # The reproduction: 300 invoices, per_page 100, one served invoice deleted after
    # page 1. By offset, the record at the boundary was never yielded.
    async with FakeQonto(client_invoices=300, rate_limit=None) as fake, connect(fake) as qonto:
        newest_first = fake.ids("client_invoices")[::-1]
        ids: list[str] = []
        async for page in qonto.client_invoices.list(per_page=100, prefetch=1).pages():
            if not ids:
                fake.delete("client_invoices", page.items[0].id)
            ids += [item.id for item in page.items]
    assert sorted(ids) == sorted(newest_first)  # the deleted one was yielded before


async def test_ties_across_pages_and_a_bulk_import_larger_than_a_page() -> None:
    # Most invoices share one instant, and churn deletes among them while they are read.
    async with FakeQonto(client_invoices=8, rate_limit=None) as fake, connect(fake) as qonto:
        instant = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
        bulk = [fake.create("client_invoices", created_at=instant) for _ in range(60)]
        fake.churn = Churn(seed=1, deletes=0.3, resources=("client_invoices",))
        before = set(fake.ids("client_invoices"))
        for order in (None, "created_at:asc"):
            items = await qonto.client_invoices.list(per_page=10, sort_by=order).all()
            ids = [item.id for item in items]
            assert len(ids) == len(set(ids))
            deleted = {rid for action, _, rid in fake.stats.changes if action == "deleted"}
            assert (before - deleted) - set(ids) == set()
        fake.churn = None
    assert set(bulk) & before


async def test_limit_and_resuming_from_a_position() -> None:
    async with FakeQonto(client_invoices=120, rate_limit=None) as fake, connect(fake) as qonto:
        everything = [i.id for i in await qonto.client_invoices.list(per_page=10).all()]
        paginator = qonto.client_invoices.list(per_page=10, limit=37)
        first = [i.id async for i in paginator]
        assert first == everything[:37]
        position = json.loads(json.dumps(paginator.position))  # a plain, JSON-safe string
        fake.delete("client_invoices", everything[40])
        rest = [i.id async for i in qonto.client_invoices.list(per_page=10, start=position)]
    assert first + rest == [rid for rid in everything if rid != everything[40]]


async def test_an_explicit_sort_that_keeps_changing_raises_list_changed() -> None:
    async with FakeQonto(clients=60, rate_limit=None) as fake, connect(fake) as qonto:
        still = await qonto.clients.list(sort_by="name:asc", per_page=10).all()
        assert len(still) == 60  # nothing moved: one pass
        fake.churn = Churn(seed=2, updates=1.0, resources=("clients",))
        with pytest.raises(ListChangedError, match="kept changing"):
            await qonto.clients.list(sort_by="name:asc", per_page=10).all()
        fake.churn = None


async def test_an_explicit_sort_repairs_a_hidden_record_by_reading_again() -> None:
    async with FakeQonto(clients=60, rate_limit=None) as fake, connect(fake) as qonto:
        by_name = [c.id for c in await qonto.clients.list(sort_by="name:asc", per_page=10).all()]
        ids: list[str] = []
        async for page in qonto.clients.list(sort_by="name:asc", per_page=10, prefetch=1).pages():
            if not ids:
                fake.delete("clients", page.items[0].id)  # shifts the rest up by one
            ids += [c.id for c in page.items]
    assert len(ids) == len(set(ids))
    assert set(by_name) == set(ids)  # the record pushed onto page 1 was read again


async def test_changes_sees_every_update_once_and_resumes_from_its_cursor() -> None:
    async with FakeQonto(client_invoices=300, rate_limit=None) as fake, connect(fake) as qonto:
        feed = qonto.client_invoices.changes(overlap=dt.timedelta(0))
        first = [i.id async for i in feed]
        assert sorted(first) == sorted(fake.ids("client_invoices"))
        cursor = json.loads(json.dumps(feed.cursor))
        changed = fake.ids("client_invoices")[:3]
        for rid in changed:
            fake.update("client_invoices", rid, status="paid")
        created = fake.create("client_invoices")
        fake.stats.reset()
        second = [
            i.id async for i in qonto.client_invoices.changes(cursor, overlap=dt.timedelta(0))
        ]
        assert set(second) == {*changed, created}
        assert fake.stats.total_requests <= 3  # the server's clock, then one page
        sent = fake.stats.requests
        assert all(route == "GET /v2/client_invoices" for route, _ in sent)


async def test_a_record_updated_mid_run_is_seen_this_run_or_the_next() -> None:
    async with FakeQonto(client_invoices=400, rate_limit=None) as fake, connect(fake) as qonto:
        feed = qonto.client_invoices.changes(per_page=20)
        async for _ in feed:
            pass
        fake.churn = Churn(seed=5, updates=0.5, resources=("client_invoices",))
        cursor = feed.cursor
        feed = qonto.client_invoices.changes(cursor, per_page=20)
        this_run = [i.id async for i in feed]
        fake.churn = None
        updated = {rid for action, _, rid in fake.stats.changes if action == "updated"}
        next_run = [i.id async for i in qonto.client_invoices.changes(feed.cursor, per_page=20)]
    assert len(this_run) == len(set(this_run))
    assert updated
    assert updated <= set(this_run) | set(next_run)


async def test_an_explicit_sort_sees_a_delete_hidden_by_an_insert() -> None:
    # One delete behind the reader and one insert ahead: total_count never moves.
    async with FakeQonto(clients=60, rate_limit=None) as fake, connect(fake) as qonto:
        by_name = [c.id for c in await qonto.clients.list(sort_by="name:asc", per_page=10).all()]
        ids: list[str] = []
        async for page in qonto.clients.list(sort_by="name:asc", per_page=10, prefetch=1).pages():
            if not ids:
                fake.delete("clients", page.items[0].id)
                fake.create("clients", kind="company", name="Zzz Last Company")
                # Time goes on: the next pass starts after these changes, not beside them.
                fake.clock = lambda: time.time() + 10
            ids += [c.id for c in page.items]
    assert len(ids) == len(set(ids))
    assert set(by_name) <= set(ids)


@pytest.mark.parametrize("seed", range(3))
async def test_churn_and_faults_together(seed: int) -> None:
    async with FakeQonto(seed=seed, supplier_invoices=300, rate_limit=None) as fake:
        fake.set_faults(error_rate=0.1, error_retry_after=0, drop_rate=0.03, truncate_rate=0.03)
        async with connect(fake) as qonto:
            before = set(fake.ids("supplier_invoices"))
            fake.churn = Churn(
                seed=seed, creates=0.2, deletes=0.2, resources=("supplier_invoices",)
            )
            items = await qonto.supplier_invoices.list(per_page=10, prefetch=4).all()
            fake.churn = None
    deleted = {rid for action, _, rid in fake.stats.changes if action == "deleted"}
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids))
    assert (before - deleted) - set(ids) == set()
    assert fake.stats.faults_injected > 0


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_a_delete_behind_and_an_insert_ahead_keep_total_count_and_lose_nothing(
    prefetch: int,
) -> None:
    # Oldest first, a new record lands at the end: ahead of the reader. By offset, the delete
    # behind shifts the next record past the reader and total_count never says so.
    async with FakeQonto(client_invoices=500, rate_limit=None) as fake, connect(fake) as qonto:
        before = set(fake.ids("client_invoices"))
        ids: list[str] = []
        listing = qonto.client_invoices.list(
            per_page=50, prefetch=prefetch, sort_by="created_at:asc"
        )
        async for page in listing.pages():
            if page.number in (1, 3):
                fake.delete("client_invoices", page.items[0].id)
                fake.create("client_invoices")
            ids += [invoice.id for invoice in page.items]
        assert fake.count("client_invoices") == 500  # total_count never moved
    deleted = {rid for action, _, rid in fake.stats.changes if action == "deleted"}
    assert len(ids) == len(set(ids))
    assert (before - deleted) - set(ids) == set()
