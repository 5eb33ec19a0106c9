"""End to end: ``qonto-async sync`` fills the ledger, then FakeQonto's webhooks, received by
``listen`` over real HTTP, keep it equal to the fake's state through creates, updates and
deletes (which polling cannot see). And ``--forward`` relays deliveries untouched."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
from aiohttp import web
from click.testing import CliRunner
from conftest import serve

from qonto_async import Amount, InvoiceItem, OAuthCredentials, QontoClient
from qonto_async._cli.app import cli
from qonto_async._cli.listen import listening
from qonto_async.ledger import Ledger
from qonto_async.testing import FakeOptions, FakeQonto
from qonto_async.webhooks import sign

SECRET = "whsec_listen_listen_listen_listen_listen_0"


def oauth(fake: FakeQonto) -> QontoClient:
    credentials = OAuthCredentials(
        fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
    )
    return QontoClient(oauth=credentials, base_url=fake.base_url, requests_per_second=None)


def sync(fake: FakeQonto, db: Path) -> None:
    env = {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
    }
    result = CliRunner().invoke(
        cli, ["sync", "--db", str(db), "--resources", "clients,client-invoices"], env=env
    )
    assert result.exit_code == 0, result.stderr


async def test_webhooks_keep_the_synced_ledger_exact(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    lines: list[str] = []
    options = FakeOptions(webhook_retry_delays=(0.01, 0.05))
    async with FakeQonto(seed=8, clients=12, client_invoices=30, options=options) as fake:
        await asyncio.to_thread(sync, fake, db)  # the CLI runs its own event loop
        async with Ledger.open(db) as ledger:
            async with listening(
                secrets=(SECRET,),
                ledger=ledger,
                forward=None,
                host="127.0.0.1",
                port=0,
                path="/webhooks/qonto",
                echo=lines.append,
            ) as (url, receiver):
                assert receiver is not None
                async with oauth(fake) as qonto:
                    await qonto.webhook_subscriptions.create(
                        url, ["v1/clients", "v1/client-invoices"], secret=SECRET
                    )
                    client = await qonto.clients.create(
                        kind="company", name="Webhook SAS", currency="EUR", locale="fr",
                        address="1 rue de la Paix",
                    )  # fmt: skip
                    invoice = await qonto.client_invoices.create(
                        client_id=client.id,
                        issue_date=dt.date(2026, 1, 5),
                        due_date=dt.date(2026, 2, 4),
                        currency="EUR",
                        payment_methods={"iban": fake.iban},
                        items=[
                            InvoiceItem(
                                title="Audit",
                                quantity=Decimal(1),
                                unit_price=Amount(value=Decimal("500"), currency="EUR"),
                                vat_rate=Decimal("0.2"),
                            )
                        ],
                    )
                    await qonto.client_invoices.finalize(invoice.id)
                gone = fake.ids("clients")[0]
                fake.update("clients", fake.ids("clients")[1], email="changed@example.com")
                fake.delete("clients", gone)
                await fake.webhooks_settled()
                await receiver.drain()

            assert await ledger.ids("clients") == set(fake.ids("clients"))
            assert await ledger.ids("clients", deleted=True) == {gone}  # polling never sees it
            assert await ledger.ids("client_invoices") == set(fake.ids("client_invoices"))
            for client_id in fake.ids("clients"):
                row = await ledger.row("clients", client_id)
                assert row is not None
                assert row["raw"]["email"] == fake.record("clients", client_id)["email"]
            stored = await ledger.row("client_invoices", invoice.id)
            assert stored is not None
            assert (stored["status"], stored["total_amount"]) == ("unpaid", "600.00")
    assert any(line.startswith("applied  v1/clients/deleted") for line in lines)


async def test_forward_relays_verified_deliveries_untouched() -> None:
    received: list[tuple[bytes, str | None]] = []

    async def local_app(request: web.Request) -> web.StreamResponse:
        received.append((await request.read(), request.headers.get("X-Qonto-Signature")))
        return web.Response(status=202, text="queued")

    app = web.Application()
    app.router.add_post("/hooks", local_app)
    lines: list[str] = []
    body = b'{"id":"e1","type":"v1/clients/updated","data":{"id":"c1"}}'
    headers = {"X-Qonto-Signature": sign(body, SECRET, int(time.time()))}
    async with serve(app) as base:
        forwarding = listening(
            secrets=(SECRET,),
            ledger=None,
            forward=f"{base}/hooks",
            host="127.0.0.1",
            port=0,
            path="/in",
            echo=lines.append,
        )
        async with forwarding as (url, _), aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=headers) as ok:
                assert (ok.status, await ok.text()) == (202, "queued")
            async with session.post(url, data=body + b" ", headers=headers) as bad:
                assert bad.status == 400
    assert received == [(body, headers["X-Qonto-Signature"])]  # byte for byte, once verified
    assert lines[0].startswith("forwarded v1/clients/updated e1")


def test_listen_needs_a_secret() -> None:
    result = CliRunner().invoke(cli, ["listen"], env={"QONTO_WEBHOOK_SECRET": None})
    assert result.exit_code == 2
    assert "QONTO_WEBHOOK_SECRET" in result.stderr


def test_listen_refuses_a_foreign_database_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "app.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT)")
    before = db.read_bytes()
    result = CliRunner().invoke(
        cli, ["listen", "--db", str(db), "--port", "0"], env={"QONTO_WEBHOOK_SECRET": SECRET}
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.count("\n") == 1, result.output
    assert "not a qonto-async ledger" in result.output
    assert db.read_bytes() == before
