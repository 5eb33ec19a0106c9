"""What the command line says: the URL a 404 came from, the invoice ``invoice send`` leaves,
the SDK's log lines (``QONTO_LOG``, ``-v`` before or after the subcommand)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import msgspec
import pytest
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=7, clients=3, client_invoices=6, supplier_invoices=3, rate_limit=None)
    with server.running_in_thread() as running:
        yield running


def run(fake: FakeQonto, *args: str, **env: str | None) -> Result:
    base = {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
        "QONTO_ACCESS_TOKEN": None,
        "QONTO_STAGING_TOKEN": None,
        "QONTO_IBAN": fake.iban,
        "QONTO_LOG": None,
    }
    return CliRunner().invoke(cli, list(args), env={**base, **env})


def test_not_found_shows_the_url_that_answered_404(fake: FakeQonto) -> None:
    client_id = fake.ids("clients")[0]
    result = run(fake, "get", "client", client_id, "--base-url", f"{fake.base_url}/api")
    assert result.exit_code == 4, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: client '{client_id}' not found")
    assert f"GET {fake.base_url}/api/v2/clients/{client_id} answered 404" in line
    assert "is --base-url (or QONTO_BASE_URL) right?" in line

    # An id that is really unknown: the URL, and no hint about --base-url.
    unknown = run(fake, "get", "client-invoice", "4d5418bb-bd0d-4df4-865c-c07afab8bb48")
    assert unknown.exit_code == 4
    assert f"{fake.base_url}/v2/client_invoices/4d5418bb-bd0d-4df4-865c-c07afab8bb48" in (
        unknown.stderr
    )
    assert "--base-url" not in unknown.stderr


def test_invoice_send_prints_the_invoice(fake: FakeQonto) -> None:
    made = run(fake, "invoice", "create", "--client-id", fake.ids("clients")[0], "--finalize",
               "--issue-date", "2026-03-02", "--due-date", "2026-04-01",
               "--item", "Audit|1|100|0.2")  # fmt: skip
    assert made.exit_code == 0, made.output
    invoice_id = msgspec.json.decode(made.stdout)["id"]

    sent = run(fake, "invoice", "send", invoice_id, "--to", "ap@client.example", "--title", "Hi")

    assert sent.exit_code == 0, sent.output
    printed = msgspec.json.decode(sent.stdout)
    assert (printed["id"], printed["status"]) == (invoice_id, "unpaid")
    assert sent.stderr == f"sent {invoice_id} to ap@client.example\n"


def test_qonto_log_is_honoured_and_verbose_flags_win(fake: FakeQonto) -> None:
    client_id = fake.ids("clients")[0]
    debug = run(fake, "get", "client", client_id, QONTO_LOG="debug")
    assert debug.exit_code == 0, debug.output
    assert any(
        line.startswith("DEBUG ") and f"/v2/clients/{client_id}" in line
        for line in debug.stderr.splitlines()
    ), debug.stderr
    assert msgspec.json.decode(debug.stdout)["id"] == client_id  # stdout stays JSON

    quiet = run(fake, "get", "client", client_id)
    assert quiet.stderr == ""
    flag_wins = run(fake, "-v", "get", "client", client_id, QONTO_LOG="debug")
    assert "DEBUG" not in flag_wins.stderr


def test_verbose_is_accepted_after_the_subcommand(fake: FakeQonto) -> None:
    client_id = fake.ids("clients")[0]
    after = run(fake, "get", "client", client_id, "-vv")
    assert after.exit_code == 0, after.output
    assert any(line.startswith("DEBUG ") for line in after.stderr.splitlines()), after.stderr
    split = run(fake, "-v", "export", "clients", "--verbose")  # counted together: -vv
    assert split.exit_code == 0, split.output
    assert any(line.startswith("DEBUG ") for line in split.stderr.splitlines())


def _leaves(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))


@pytest.mark.parametrize("path", list(_leaves(cli, ()))[1:], ids=" ".join)
def test_every_subcommand_takes_verbose(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "-v, --verbose" in result.stdout
