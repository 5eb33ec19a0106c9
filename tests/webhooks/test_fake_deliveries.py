"""Webhook subscriptions against FakeQonto, and its deliveries of its own changes to a
receiver over real HTTP: signed, retried on failure, deduplicated by the receiver."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from conftest import serve

from qonto_async import NotFoundError, OAuthCredentials, PermissionDeniedError, QontoClient
from qonto_async.testing import FakeOptions, FakeQonto
from qonto_async.webhooks import (
    ClientCreated,
    ClientDeleted,
    ClientInvoiceUpdated,
    ClientUpdated,
    WebhookEvent,
    WebhookReceiver,
    aiohttp_handler,
)

FAST_RETRIES = FakeOptions(webhook_retry_delays=(0.01, 0.02, 0.04))
SECRET = "whsec_deliveries_deliveries_deliveries_0"


def oauth(fake: FakeQonto) -> QontoClient:
    credentials = OAuthCredentials(
        fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
    )
    return QontoClient(oauth=credentials, base_url=fake.base_url, requests_per_second=None)


@contextlib.asynccontextmanager
async def receiving(receiver: WebhookReceiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/qonto", aiohttp_handler(receiver))
    async with serve(app) as base:
        yield f"{base}/qonto"


async def test_subscriptions_crud_needs_oauth() -> None:
    async with FakeQonto(seed=2) as fake, oauth(fake) as qonto:
        made = await qonto.webhook_subscriptions.create(
            "https://example.com/hooks", ["v1/clients"], description="ledger"
        )
        assert made.secret is not None
        assert made.secret.startswith("whsec_")
        assert 32 <= len(made.secret) <= 128
        assert made.secret not in repr(made)
        assert (await qonto.webhook_subscriptions.get(made.id)).types == ["v1/clients"]
        assert [s.id for s in await qonto.webhook_subscriptions.list().all()] == [made.id]
        replaced = await qonto.webhook_subscriptions.update(
            made.id, "https://example.com/v2/hooks", ["v1/client-invoices"]
        )
        assert (replaced.callback_url, replaced.types) == (
            "https://example.com/v2/hooks",
            ["v1/client-invoices"],
        )
        assert replaced.description is None  # a full replacement: not given, dropped
        assert replaced.secret == made.secret  # kept when not given
        await qonto.webhook_subscriptions.delete(made.id)
        with pytest.raises(NotFoundError):
            await qonto.webhook_subscriptions.get(made.id)
        with pytest.raises(ValueError, match="32 to 128"):
            await qonto.webhook_subscriptions.create(
                "https://x.example", ["v1/clients"], secret="short"
            )
        async with QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
        ) as api_key:
            with pytest.raises(PermissionDeniedError):
                await api_key.webhook_subscriptions.list().all()


async def test_the_fake_delivers_its_changes_signed_and_typed() -> None:
    events: list[WebhookEvent] = []

    async def handler(event: WebhookEvent) -> None:
        events.append(event)

    receiver = WebhookReceiver(SECRET, handler)
    async with (
        FakeQonto(seed=3, clients=5, client_invoices=5, options=FAST_RETRIES) as fake,
        receiving(receiver) as url,
    ):
        async with oauth(fake) as qonto:
            subscription = await qonto.webhook_subscriptions.create(
                url, ["v1/clients", "v1/client-invoices/updated"], secret=SECRET
            )
        client_id = fake.create("clients", kind="company", name="Hooked SAS")
        fake.update("clients", client_id, email="ap@hooked.example")
        fake.update("client_invoices", fake.ids("client_invoices")[0], status="paid")
        fake.create("client_invoices")  # not subscribed: created invoices
        fake.delete("clients", client_id)
        await fake.webhooks_settled()
        await receiver.drain()
    await receiver.aclose()
    assert [type(e) for e in events] == [
        ClientCreated,
        ClientUpdated,
        ClientInvoiceUpdated,
        ClientDeleted,
    ]
    assert isinstance(events[1], ClientUpdated)
    assert events[1].data.email == "ap@hooked.example"
    assert isinstance(events[2], ClientInvoiceUpdated)
    assert events[2].data.status == "paid"
    assert events[3].data.id == client_id
    assert {e.subscription_id for e in events} == {subscription.id}


async def test_a_failing_receiver_gets_the_event_again_and_handles_it_once() -> None:
    answers = [500, 503]  # then the real receiver
    handled: list[str] = []

    async def handler(event: WebhookEvent) -> None:
        handled.append(event.id)

    receiver = WebhookReceiver(SECRET, handler)
    real = aiohttp_handler(receiver)
    async with FakeQonto(seed=4, clients=3, options=FAST_RETRIES) as fake:

        async def flaky(request: web.Request) -> web.StreamResponse:
            if answers:
                return web.Response(status=answers.pop(0))
            return await real(request)  # type: ignore[no-any-return]

        app = web.Application()
        app.router.add_post("/qonto", flaky)
        async with serve(app) as base:
            async with oauth(fake) as qonto:
                await qonto.webhook_subscriptions.create(
                    f"{base}/qonto", ["v1/clients"], secret=SECRET
                )
            fake.update("clients", fake.ids("clients")[0], email="x@y.example")
            await fake.webhooks_settled()
            await receiver.drain()
        await receiver.aclose()
    statuses = [d.status for d in fake.webhook_deliveries]
    assert statuses == [500, 503, 200]
    assert len(handled) == 1
