"""``listen --fake``: an embedded fake Qonto subscribed to the listener, changing its clients and
transactions on a timer, so that events can be watched landing in the ledger without an
account."""

from __future__ import annotations

import asyncio
import random
import secrets

from .. import OAuthCredentials, QontoClient
from ..testing import FakeQonto

__all__ = ["feed_from_fake", "made_up_secret"]


def made_up_secret() -> str:
    return "whsec_" + secrets.token_hex(24)  # 54 characters: within Qonto's 32 to 128


async def feed_from_fake(url: str, secret: str, every: float, echo: object) -> None:
    """Run a fake subscribed to ``url`` until cancelled: every ``every`` seconds it creates,
    updates or deletes a client, or a card payment is authorised, settles or is declined,
    and delivers the event as Qonto would."""
    fake = FakeQonto(
        seed=0, clients=20, client_invoices=0, supplier_invoices=0, transactions=20,
        bank_accounts=2,
    )  # fmt: skip
    async with fake:
        credentials = OAuthCredentials(
            fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
        )
        async with QontoClient(oauth=credentials, base_url=fake.base_url) as qonto:
            topics = ["v1/clients", "v1/transactions"]
            await qonto.webhook_subscriptions.create(url, topics, secret=secret)
        rng = random.Random(0)
        pending: list[str] = []
        for step in range(1_000_000):  # until cancelled (Ctrl-C); bounded all the same
            await asyncio.sleep(every)
            ids = fake.ids("clients")
            roll = rng.random()
            if roll < 0.15 or len(ids) < 5:
                fake.create("clients", name=f"Fake client {step}")
            elif roll < 0.2:
                fake.delete("clients", rng.choice(ids))
            elif roll < 0.5:
                fake.update("clients", rng.choice(ids), email=f"billing-{step}@example.com")
            elif roll < 0.75 or not pending:
                pending.append(fake.create("transactions"))  # a card authorisation
            else:
                settled = "declined" if roll > 0.95 else "completed"
                fake.update("transactions", pending.pop(0), status=settled)
