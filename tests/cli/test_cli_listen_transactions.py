"""``qonto-async listen`` applies ``v1/transactions`` (issue 23): after a sync of the bank,
FakeQonto's transaction webhooks (Qonto's spelling: the topic alone in ``type``, no
``*_cents``, ``subject_type`` capitalised), received over real HTTP, keep the ledger equal to
the fake through authorisations, settlements and declines; a delivery sent again is a
duplicate."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from qonto_async import OAuthCredentials, QontoClient
from qonto_async._cli.app import cli
from qonto_async._cli.listen import listening
from qonto_async.ledger import Ledger
from qonto_async.testing import FakeOptions, FakeQonto

from .ledger_checks import env_for

SECRET = "whsec_transactions_transactions_0123"


def sync(fake: FakeQonto, db: Path) -> None:
    args = ["sync", "--no-progress", "--db", str(db), "--resources", "transactions"]
    result = CliRunner().invoke(cli, args, env=env_for(fake))
    assert result.exit_code == 0, result.stderr


async def test_transaction_webhooks_keep_the_synced_ledger_exact(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    lines: list[str] = []
    options = FakeOptions(webhook_retry_delays=(0.01, 0.05))
    fake = FakeQonto(
        seed=9, clients=1, client_invoices=0, supplier_invoices=0, transactions=40,
        bank_accounts=2, options=options,
    )  # fmt: skip
    async with fake:
        await asyncio.to_thread(sync, fake, db)  # the CLI runs its own event loop
        async with (
            Ledger.open(db) as ledger,
            listening(
                secrets=(SECRET,), ledger=ledger, forward=None, host="127.0.0.1", port=0,
                path="/webhooks/qonto", echo=lines.append,
            ) as (url, receiver),
        ):  # fmt: skip
            assert receiver is not None
            credentials = OAuthCredentials(
                fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
            )
            async with QontoClient(oauth=credentials, base_url=fake.base_url) as qonto:
                await qonto.webhook_subscriptions.create(url, ["v1/transactions"], secret=SECRET)
            created, settled, declined = (fake.create("transactions") for _ in range(3))
            fake.update("transactions", settled, status="completed")
            fake.update("transactions", declined, status="declined")
            await fake.webhooks_settled()
            await receiver.drain()
            assert await ledger.ids("transactions") == set(fake.ids("transactions"))
            for transaction_id in (created, settled, declined):
                row = await ledger.row("transactions", transaction_id)
                served = fake.record("transactions", transaction_id)
                assert row is not None
                assert row["status"] == served["status"], transaction_id
                assert row["amount_cents"] == served["amount_cents"]  # filled in: not sent
                assert (row["settled_at"] is None) == (served["settled_at"] is None)
            row = await ledger.row("transactions", created)
            assert row is not None
            assert row["status"] == "pending"
            assert row["raw"]["subject_type"][0].isupper()  # the delivery's own record
    applied = [line for line in lines if line.startswith("applied")]
    assert len(applied) == 5, lines  # three authorisations, a settlement, a refusal
    assert all("v1/transactions" in line for line in applied)
