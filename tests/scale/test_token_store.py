"""OAuth across processes: clients that share only a ``RedisTokenStore`` (as separate
processes would) refresh once per expiry, reuse each other's token, and never lose the
rotated refresh token."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

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


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[Callable[[str], RedisTokenStore]]:
    """Makes stores, and closes every one when the test ends, passed or failed: a store left
    open keeps its connection to the next test's garbage collection, long after its loop
    closed (ResourceWarnings blamed on whichever test runs then)."""
    made: list[RedisTokenStore] = []

    def store(key: str) -> RedisTokenStore:
        made.append(RedisTokenStore(redis_url, key=key))
        return made[-1]

    yield store
    for each in made:
        await each.aclose()


async def test_many_workers_one_refresh_per_expiry(
    stores: Callable[[str], RedisTokenStore],
) -> None:
    refreshed: list[OAuthCredentials] = []
    async with FakeQonto(seed=5, clients=12) as fake, contextlib.AsyncExitStack() as stack:
        clients = [worker(fake, stores("t-oauth-many"), refreshed) for _ in range(6)]
        for client in clients:
            stack.push_async_callback(client.aclose)
        ids = fake.ids("clients")
        # gather would leave the other workers running if one failed, using stores and
        # sessions that are being closed: a TaskGroup stops them all first.
        async with asyncio.TaskGroup() as group:
            for client in clients:
                group.create_task(client.clients.get_many(ids))
        assert fake.stats.token_refreshes == 1  # six "processes", one refresh
        assert len(refreshed) == 1  # the hook fires once per refresh, where it happened
        fake.expire_access_tokens()
        async with asyncio.TaskGroup() as group:
            for client in clients:
                group.create_task(client.clients.get(ids[0]))
        assert fake.stats.token_refreshes == 2
        assert len(refreshed) == 2
        assert fake.stats.count(status=401) >= 1  # seen, and never surfaced


async def test_a_worker_started_with_a_rotated_refresh_token_adopts_the_stored_one(
    stores: Callable[[str], RedisTokenStore],
) -> None:
    options = FakeOptions(refresh_token_grace=0)  # an old refresh token is refused at once
    async with FakeQonto(seed=6, clients=3, options=options) as fake:
        original = OAuthCredentials(
            fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
        )
        first_store, late_store = stores("t-oauth-late"), stores("t-oauth-late")
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


def test_a_token_store_needs_oauth() -> None:
    class Nothing:
        async def load(self, client_id: str) -> None:
            return None

    with pytest.raises(ValueError, match="needs oauth"):
        QontoClient(login="l", secret_key="s", token_store=Nothing())  # type: ignore[arg-type]
