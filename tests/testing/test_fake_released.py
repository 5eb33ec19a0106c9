"""A stopped FakeQonto is garbage: its data does not outlive it (aiohttp keeps handlers in a
module-level cache, which held every fake's whole dataset)."""

from __future__ import annotations

import gc
import weakref

from qonto_async import QontoClient
from qonto_async.testing import FakeQonto


async def test_a_stopped_fake_and_its_data_are_collected() -> None:
    async with FakeQonto(seed=1, transactions=200) as fake:
        async with QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
        ) as qonto:
            assert len(await qonto.transactions.list().all()) > 0
            await qonto.client_invoices.list(limit=5).all()
        assert fake.ids("transactions")  # usable after its client closed
    gone = weakref.ref(fake)
    del fake
    gc.collect()
    assert gone() is None
