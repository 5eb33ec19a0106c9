"""A token that cannot read the bank (a hostile review of issue 23): Qonto answers 403 on
``/v2/transactions`` or ``/v2/bank_accounts``. A sync over the default resources skips each
resource refused, says so (a warning, ``counts.skipped``) and keeps the others; a resource
the caller named is required; any other error still fails the run; a skipped resource's
cursor does not move, so lifting the refusal loses nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from servers import fresh_database

from qonto_async import BadRequestError, PermissionDeniedError, QontoClient
from qonto_async.ledger import Ledger
from qonto_async.testing import FakeQonto
from qonto_async.testing._responses import error_response

TRACE = "trace-0403"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    yield from fresh_database(request.getfixturevalue("postgres_url"))


class Refuse:
    """A middleware in front of the fake: the paths under ``prefixes`` answer ``status``."""

    def __init__(self, fake: FakeQonto, status: int = 403) -> None:
        self.prefixes: tuple[str, ...] = ()
        self.status = status
        fake.app.middlewares.insert(0, self.middleware)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(self.prefixes):
            code = "forbidden" if self.status == 403 else "bad_request"
            detail = "insufficient scope: organization.read_transactions"
            return error_response(self.status, code, detail, TRACE, request.path)
        return await handler(request)


def bank_fake() -> FakeQonto:
    return FakeQonto(
        seed=31, clients=4, client_invoices=12, supplier_invoices=6, transactions=60,
        bank_accounts=2,
    )  # fmt: skip


def client(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
        requests_per_second=None,
    )  # fmt: skip


async def cursor(ledger: Ledger, resource: str) -> str | None:
    store = ledger._open_store()
    found: str | None = (await ledger._run(store.cursor, resource))[0]
    return found


async def test_a_resource_refused_is_skipped_loudly_and_the_rest_synced(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = bank_fake()
    refuse = Refuse(fake)
    async with fake, client(fake) as qonto, Ledger.open(db) as ledger:
        first = await ledger.sync(qonto)  # everything readable: a cursor for transactions
        assert first.skipped == {}
        before = await cursor(ledger, "transactions")
        assert before is not None
        changed = fake.ids("transactions")[0]
        fake.update("transactions", changed, note="changed while refused")
        refuse.prefixes = ("/v2/transactions",)
        fake.update("clients", fake.ids("clients")[0], email="later@example.com")
        with caplog.at_level(logging.WARNING, logger="qonto_async.ledger"):
            counts = await ledger.sync(qonto)
        assert counts.status == "done"
        assert list(counts.skipped) == ["transactions"]
        assert "403" in counts.skipped["transactions"]
        assert TRACE in counts.skipped["transactions"]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "transactions" in warnings[0]
        assert TRACE in warnings[0]
        assert "resources=[" in warnings[0]
        assert "--resources" in warnings[0]
        # the others went on: the client's change is in, the labels and memberships listed
        row = await ledger.row("clients", fake.ids("clients")[0])
        assert row is not None
        assert row["email"] == "later@example.com"
        assert await ledger.ids("labels") == set(fake.ids("labels"))
        assert await ledger.ids("memberships") == set(fake.ids("memberships"))
        assert await cursor(ledger, "transactions") == before  # did not move
        refuse.prefixes = ()
        again = await ledger.sync(qonto)
        assert again.skipped == {}
        row = await ledger.row("transactions", changed)
        assert row is not None
        assert row["note"] == "changed while refused"
        assert await ledger.ids("transactions") == set(fake.ids("transactions"))


async def test_a_token_without_the_bank_keeps_the_invoicing(db: str) -> None:
    fake = bank_fake()
    Refuse(fake).prefixes = ("/v2/transactions", "/v2/bank_accounts")
    async with fake, client(fake) as qonto, Ledger.open(db) as ledger:
        counts = await ledger.sync(qonto, attachments_dir=None)
        assert counts.status == "done"
        assert list(counts.skipped) == ["bank_accounts", "transactions"]
        assert await ledger.ids("client_invoices") == set(fake.ids("client_invoices"))
        assert await ledger.ids("memberships") == set(fake.ids("memberships"))
        assert await ledger.count("transactions") == 0


async def test_a_resource_named_is_required(db: str) -> None:
    fake = bank_fake()
    Refuse(fake).prefixes = ("/v2/transactions",)
    async with fake, client(fake) as qonto, Ledger.open(db) as ledger:
        with pytest.raises(PermissionDeniedError):
            await ledger.sync(qonto, resources=["clients", "transactions", "labels"])
        assert ledger.last_run is not None
        assert ledger.last_run.status == "failed"
        assert ledger.last_run.skipped == {}
        assert await ledger.count("labels") == 0  # not attempted after the failure


async def test_any_other_refusal_still_fails_the_run(db: str) -> None:
    fake = bank_fake()
    Refuse(fake, status=400).prefixes = ("/v2/transactions",)
    async with fake, client(fake) as qonto, Ledger.open(db) as ledger:
        with pytest.raises(BadRequestError):
            await ledger.sync(qonto)
        assert ledger.last_run is not None
        assert ledger.last_run.status == "failed"
