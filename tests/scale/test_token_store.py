"""OAuth across processes: clients that share only a ``RedisTokenStore`` (as separate
processes would) refresh once per expiry, reuse each other's token, and never lose the
rotated refresh token."""

from __future__ import annotations

import asyncio

import pytest

from qonto_async import OAuthCredentials, QontoClient
from qonto_async.redis import RedisTokenStore
from qonto_async.testing import FakeOptions, FakeQonto

pytestmark = pytest.mark.redis


def worker(
    fake: FakeQonto, store: RedisTokenStore, refreshed: list[OAuthCredentials]
) -> QontoClient:
    credentials = OAuthCredentials(
        fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
    )
    return QontoClient(
        oauth=credentials,
        base_url=fake.base_url,
        requests_per_second=None,
        token_store=store,
        on_token_refresh=refreshed.append,
    )


async def test_many_workers_one_refresh_per_expiry(redis_url: str) -> None:
    refreshed: list[OAuthCredentials] = []
    stores = [RedisTokenStore(redis_url, key="t-oauth-many") for _ in range(6)]
    async with FakeQonto(seed=5, clients=12) as fake:
        clients = [worker(fake, store, refreshed) for store in stores]
        ids = fake.ids("clients")
        try:
            await asyncio.gather(*(c.clients.get_many(ids) for c in clients))
            assert fake.stats.token_refreshes == 1  # six "processes", one refresh
            assert len(refreshed) == 1  # the hook fires once per refresh, where it happened
            fake.expire_access_tokens()
            await asyncio.gather(*(c.clients.get(ids[0]) for c in clients))
            assert fake.stats.token_refreshes == 2
            assert len(refreshed) == 2
            assert fake.stats.count(status=401) >= 1  # seen, and never surfaced
        finally:
            for client in clients:
                await client.aclose()
            for store in stores:
                await store.aclose()


async def test_a_worker_started_with_a_rotated_refresh_token_adopts_the_stored_one(
    redis_url: str,
) -> None:
    options = FakeOptions(refresh_token_grace=0)  # an old refresh token is refused at once
    async with FakeQonto(seed=6, clients=3, options=options) as fake:
        original = OAuthCredentials(
            fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
        )
        first_store, late_store = (RedisTokenStore(redis_url, key="t-oauth-late") for _ in range(2))
        async with QontoClient(
            oauth=original, base_url=fake.base_url, token_store=first_store
        ) as first:
            await first.clients.get(fake.ids("clients")[0])  # refreshes: the token rotates
        assert fake.stats.token_refreshes == 1
        # A worker deployed with yesterday's configuration (the rotated-out refresh token):
        async with QontoClient(
            oauth=original, base_url=fake.base_url, token_store=late_store
        ) as late:
            await late.clients.get(fake.ids("clients")[0])
        assert fake.stats.token_refreshes == 1  # it used the stored token, refreshed nothing
        stored = await late_store.load(fake.client_id)
        assert stored is not None
        assert stored.refresh_token == fake.refresh_token
        assert "refresh" not in repr(stored).replace("refresh_token", "")
        await first_store.aclose()
        await late_store.aclose()


def test_a_token_store_needs_oauth() -> None:
    class Nothing:
        async def load(self, client_id: str) -> None:
            return None

    with pytest.raises(ValueError, match="needs oauth"):
        QontoClient(login="l", secret_key="s", token_store=Nothing())  # type: ignore[arg-type]
