"""``qonto-async sync`` with credentials that cannot read the bank: the default run skips
what Qonto refuses (403), says so on stderr and in its summary, and exits 0; a resource named
with ``--resources`` is required (exit 3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto
from qonto_async.testing._responses import error_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def no_bank_scope(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/v2/transactions"):
        detail = "insufficient scope: organization.read_transactions"
        return error_response(403, "forbidden", detail, "trace-0403", request.path)
    return await handler(request)


@pytest.fixture
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=5, clients=3, client_invoices=10, supplier_invoices=4, transactions=20)
    server.app.middlewares.insert(0, no_bank_scope)
    with server.running_in_thread() as running:
        yield running


def sync(fake: FakeQonto, *args: str) -> Result:
    env = {"QONTO_LOGIN": fake.login, "QONTO_SECRET_KEY": fake.secret_key,
           "QONTO_BASE_URL": fake.base_url}  # fmt: skip
    return CliRunner().invoke(cli, ["sync", "--no-progress", *args], env=env)


def test_the_default_run_skips_what_qonto_refuses(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    result = sync(fake, "--db", str(db))
    assert result.exit_code == 0, result.output
    warning, summary = result.stderr.strip().splitlines()[-2:]
    assert "warning: skipped transactions: Qonto answered 403" in warning
    assert "trace-0403" in warning
    assert "--resources" in warning
    assert summary.startswith("sync: done: ")
    assert "skipped transactions (refused)" in summary
    assert fake.secret_key not in result.output
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("done",)]
        assert conn.execute("SELECT COUNT(*) FROM memberships").fetchone()[0] > 0
        assert conn.execute("SELECT COUNT(*) FROM client_invoices").fetchone()[0] == 10
    finally:
        conn.close()


def test_a_resource_named_is_required(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    result = sync(fake, "--db", str(db), "--resources", "clients,transactions,labels")
    assert result.exit_code == 3, result.output
    assert "permission denied" in result.stderr
    assert "skipped" not in result.stderr
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    finally:
        conn.close()
