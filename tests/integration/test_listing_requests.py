"""What a listing costs in requests: proportionate to what the caller reads."""

from __future__ import annotations

import asyncio

import pytest

from qonto_async import QontoClient
from qonto_async.testing import FakeQonto


@pytest.mark.parametrize(
    ("per_page", "stop", "most"),
    [(100, 10, 1), (10, 5, 1), (10, 10, 6), (10, 30, 9)],
    ids=["within-the-first-page", "small-pages", "just-past-the-first", "a-few-pages"],
)
async def test_an_early_break_costs_about_what_was_read(
    per_page: int, stop: int, most: int
) -> None:
    # 150 invoices, prefetch 4: reading ahead is bounded by what the caller has not yet read,
    # not only by what is in flight (per_page 10, 10 items cost 9 requests before).
    async with (
        FakeQonto(client_invoices=150, rate_limit=None) as fake,
        QontoClient(login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url) as qonto,
    ):
        fake.stats.reset()
        read = 0
        async for _ in qonto.client_invoices.list(per_page=per_page, prefetch=4):
            read += 1
            if read == stop:
                break
        for _ in range(20):  # let cancelled requests settle; bounded
            await asyncio.sleep(0.01)
        assert fake.stats.total_requests <= most
        fake.stats.reset()
        assert len(await qonto.client_invoices.list(per_page=per_page, prefetch=4).all()) == 150
        assert fake.stats.total_requests <= 2 * -(-150 // per_page) + 4


@pytest.mark.parametrize("per_page", [1, 2, 3, 5])
async def test_small_pages_on_an_honest_server_stay_within_the_bound(per_page: int) -> None:
    # per_page 3 means probes of one record: the bound counted in pages of 3 and ended an
    # honest listing with ListIncompleteError (found by the hostile review).
    async with (
        FakeQonto(client_invoices=120, clients=40, rate_limit=None) as fake,
        QontoClient(login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url) as qonto,
    ):
        invoices = await qonto.client_invoices.list(per_page=per_page, prefetch=4).all()
        clients = await qonto.clients.list(per_page=per_page, prefetch=4).all()
    assert len({i.id for i in invoices}) == len(invoices) == 120
    assert len({c.id for c in clients}) == len(clients) == 40
