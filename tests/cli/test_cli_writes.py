"""``qonto-async upload`` and ``qonto-async invoice`` against FakeQonto in a thread: the
state they leave is read back from the fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto, Faults

from .cli_env import fake_env

PDF = b"%PDF-1.4\n"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=6, clients=4, client_invoices=10, supplier_invoices=5, rate_limit=None)
    with server.running_in_thread() as running:
        yield running


def run(fake: FakeQonto, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=fake_env(fake, QONTO_IBAN=fake.iban))


def created(fake: FakeQonto, resource: str) -> list[str]:
    return [
        rid for action, name, rid in fake.stats.changes if (action, name) == ("created", resource)
    ]


def test_upload_a_folder_reports_each_file_and_is_safe_to_rerun(
    fake: FakeQonto, tmp_path: Path
) -> None:
    for n in range(23):
        (tmp_path / f"invoice-{n:02d}.pdf").write_bytes(PDF + str(n).encode())
    (tmp_path / "scan.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored: not an invoice type")
    before = len(created(fake, "supplier_invoices"))

    first = run(fake, "upload", "supplier-invoices", str(tmp_path), "--no-progress")

    assert first.exit_code == 1  # one file failed
    lines = first.stdout.splitlines()
    assert len(lines) == 24
    assert sum(line.startswith("created ") for line in lines) == 23
    assert any(line.startswith("failed ") and "scan.png" in line for line in lines)
    assert "23 uploaded, 1 failed" in first.stderr
    assert len(created(fake, "supplier_invoices")) == before + 23

    again = run(fake, "upload", "supplier-invoices", str(tmp_path / "invoice-00.pdf"))
    assert again.exit_code == 0, again.stderr
    assert again.stdout.split()[1] == lines[0].split()[1]  # the same invoice, not a new one
    assert len(created(fake, "supplier_invoices")) == before + 23


def test_invoice_lifecycle_from_the_command_line(fake: FakeQonto) -> None:
    client_id = fake.ids("clients")[0]
    made = run(
        fake,
        "invoice", "create", "--client-id", client_id, "--issue-date", "2026-01-05",
        "--due-date", "2026-02-04", "--item", "Audit|2|150.00|0.2", "--item", "Travel|1|40|0",
        "--idempotency-key", "order-77",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    invoice = msgspec.json.decode(made.stdout)
    assert (invoice["status"], invoice["total_amount_cents"]) == ("draft", 40000)

    fake.faults = Faults(sequence=("drop:after",))
    rerun = run(fake, "invoice", "create", "--client-id", client_id, "--issue-date",
                "2026-01-05", "--due-date", "2026-02-04", "--item", "Audit|2|150.00|0.2",
                "--item", "Travel|1|40|0", "--idempotency-key", "order-77")  # fmt: skip
    assert msgspec.json.decode(rerun.stdout)["id"] == invoice["id"]
    assert created(fake, "client_invoices").count(invoice["id"]) == 1

    issued = run(fake, "invoice", "finalize", invoice["id"])
    assert msgspec.json.decode(issued.stdout)["status"] == "unpaid"
    sent = run(fake, "invoice", "send", invoice["id"], "--to", "ap@client.example", "--title", "Hi")
    assert sent.exit_code == 0, sent.stderr
    paid = run(fake, "invoice", "mark-paid", invoice["id"], "--paid-at", "2026-01-10")
    assert msgspec.json.decode(paid.stdout)["status"] == "paid"

    refused = run(fake, "invoice", "finalize", invoice["id"])
    assert refused.exit_code == 1
    assert "cannot finalize" in refused.stderr
    assert "it is paid" in refused.stderr


def test_invoice_create_with_the_embedded_fake() -> None:
    result = CliRunner().invoke(
        cli,
        ["invoice", "create", "--fake", "--fake-size", "10", "--issue-date", "2026-01-01",
         "--due-date", "2026-01-31", "--item", "Audit|1|100|0.2", "--finalize"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert msgspec.json.decode(result.stdout)["status"] == "unpaid"


def test_a_bad_item_is_a_usage_error(fake: FakeQonto) -> None:
    result = run(fake, "invoice", "create", "--issue-date", "2026-01-01", "--due-date",
                 "2026-01-31", "--item", "no pipes here")  # fmt: skip
    assert result.exit_code == 2
    assert "title|quantity|unit price|vat rate" in result.stderr
