"""``qonto-async export transactions``, ``get transaction ID`` and ``sync`` of the bank (issue
23), against FakeQonto over real HTTP: every account and every status by default, the CSV
an accountant expects (signed amounts, local days), the filters checked before any
request, and a sync killed with SIGKILL mid-transactions that resumes with nothing lost or
twice."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import signal
import sqlite3
import time
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async._cli.output import COLUMNS
from qonto_async.testing import FakeQonto

from . import ledger_processes as processes
from .ledger_checks import env_for


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(
        seed=31, clients=2, client_invoices=0, supplier_invoices=0,
        transactions=180, bank_accounts=3,
    )  # fmt: skip
    with server.running_in_thread() as running:
        yield running


def run(fake: FakeQonto, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env_for(fake))


def served(fake: FakeQonto) -> dict[str, dict[str, Any]]:
    return {tid: fake.record("transactions", tid) for tid in fake.ids("transactions")}


def accounts(fake: FakeQonto) -> list[dict[str, Any]]:
    return [fake.record("bank_accounts", a) for a in fake.ids("bank_accounts")]


def qonto_accounts(fake: FakeQonto) -> set[str]:
    return {a["id"] for a in accounts(fake) if not a["is_external_account"]}


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in path.read_bytes().splitlines()]


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_export_jsonl_has_every_status_of_every_qonto_account(
    fake: FakeQonto, tmp_path: Path
) -> None:
    out = tmp_path / "transactions.jsonl"
    result = run(fake, "export", "transactions", "-o", str(out), "--per-page", "40")
    assert result.exit_code == 0, result.stderr
    records = jsonl(out)
    expected = {t for t, r in served(fake).items() if r["bank_account_id"] in qonto_accounts(fake)}
    assert [r["id"] for r in records if r["id"] not in expected] == []
    assert len(records) == len(expected)  # each once
    assert {r["id"] for r in records} == expected
    assert {r["status"] for r in records} == {"pending", "declined", "completed"}
    assert result.stderr.startswith(f"transactions: done: {len(expected)} records")
    with_external = tmp_path / "all.jsonl"
    result = run(
        fake, "export", "transactions", "--include-external-accounts", "-o", str(with_external)
    )
    assert result.exit_code == 0, result.stderr
    assert {r["id"] for r in jsonl(with_external)} == set(fake.ids("transactions"))


def test_export_csv_is_what_an_accountant_expects(fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "transactions.csv"
    result = run(fake, "export", "transactions", "--include-external-accounts", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    rows = csv_rows(out)
    assert list(rows[0]) == [name for name, _ in COLUMNS["transactions"]]
    assert list(rows[0])[:5] == [
        "settled_date", "emitted_date", "label", "counterparty", "signed_amount",
    ]  # fmt: skip
    records = served(fake)
    assert {row["id"] for row in rows} == set(records)
    for row in rows:
        record = records[row["id"]]
        amount = Decimal(str(record["amount"]))
        signed = -amount if record["side"] == "debit" else amount
        assert Decimal(row["signed_amount"]) == signed
        assert (row["side"], row["status"], row["currency"]) == (
            record["side"], record["status"], record["currency"],
        )  # fmt: skip
        assert row["operation_type"] == record["operation_type"]
        assert row["bank_account_id"] == record["bank_account_id"]
        assert row["transaction_id"] == record["transaction_id"]
        assert int(row["attachments"]) == len(record["attachment_ids"])
        assert row["label"] == record["label"]
        assert row["counterparty"] == (record.get("clean_counterparty_name") or "")
        assert row["reference"] == (record.get("reference") or "")
        if record["settled_at"]:
            settled = dt.datetime.fromisoformat(record["settled_at"]).astimezone(dt.UTC)
            assert row["settled_date"] == settled.date().isoformat()
        else:
            assert row["settled_date"] == ""  # pending: not settled yet
        if record.get("vat_amount") is not None:
            assert Decimal(row["vat_amount"]) == Decimal(str(record["vat_amount"]))
    assert {row["side"] for row in rows} == {"credit", "debit"}


def test_csv_days_are_in_the_zone_asked_for(fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "paris.csv"
    zone = "Pacific/Kiritimati"  # UTC+14: most days move
    args = ("export", "transactions", "--timezone", zone, "--format", "csv", "-o", str(out))
    result = run(fake, *args)
    assert result.exit_code == 0, result.stderr
    records = served(fake)
    moved = 0
    for row in csv_rows(out):
        emitted = dt.datetime.fromisoformat(records[row["id"]]["emitted_at"])
        local = emitted.astimezone(zoneinfo.ZoneInfo(zone)).date().isoformat()
        assert row["emitted_date"] == local
        moved += local != emitted.astimezone(dt.UTC).date().isoformat()
    assert moved > 0


def test_export_filters(fake: FakeQonto, tmp_path: Path) -> None:
    records = served(fake)
    out = tmp_path / "f.jsonl"

    def ids(*args: str) -> set[str]:
        result = run(fake, "export", "transactions", *args, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        return {r["id"] for r in jsonl(out)}

    qonto = qonto_accounts(fake)
    pending = {t for t, r in records.items() if r["status"] == "pending"}
    assert ids("--status", "pending") == {
        t for t in pending if records[t]["bank_account_id"] in qonto
    }
    main = accounts(fake)[0]
    of_main = {t for t, r in records.items() if r["bank_account_id"] == main["id"]}
    assert ids("--account", main["iban"]) == of_main
    spaced = " ".join(main["iban"][i : i + 4] for i in range(0, len(main["iban"]), 4))
    assert ids("--account", spaced.lower()) == of_main  # as printed on a statement
    external = accounts(fake)[-1]
    assert external["is_external_account"]
    assert ids("--account", external["id"]) == {
        t for t, r in records.items() if r["bank_account_id"] == external["id"]
    }
    settled = sorted(r["settled_at"] for r in records.values() if r["settled_at"])
    low, high = settled[len(settled) // 4], settled[len(settled) // 2]
    period = ids("--settled-at-from", low, "--settled-at-to", high, "--include-external-accounts")
    in_period = {
        t
        for t, r in records.items()
        if r["settled_at"]
        and dt.datetime.fromisoformat(low)
        <= dt.datetime.fromisoformat(r["settled_at"])
        <= dt.datetime.fromisoformat(high)
    }
    assert period == in_period
    receipts = {t for t, r in records.items() if r["attachment_ids"]}
    assert ids("--with-attachments") == {
        t for t in receipts if records[t]["bank_account_id"] in qonto
    }
    debits = ids("--side", "debit", "--operation-type", "card,transfer")
    assert debits
    assert all(
        records[t]["side"] == "debit" and records[t]["operation_type"] in ("card", "transfer")
        for t in debits
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--status", "reversed"), "unknown status 'reversed'"),
        (("--settled-at-from", "2026-02-01", "--settled-at-to", "2026-01-01"), "no record"),
        (("--emitted-at-from", "yesterday"), "neither a date"),
        (("--side", "both"), "both"),
        (("--timezone", "Mars/Olympus"), "no time zone"),
    ],
)
def test_bad_filters_are_usage_errors_before_any_request(
    fake: FakeQonto, args: tuple[str, ...], needle: str
) -> None:
    fake.stats.reset()
    result = run(fake, "export", "transactions", *args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert fake.stats.total_requests == 0


def test_export_transactions_from_the_embedded_fake() -> None:
    result = CliRunner().invoke(
        cli, ["export", "transactions", "--fake", "--fake-size", "60", "--format", "csv"]
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stderr.startswith(f"[fake] transactions: done: {len(rows)} records")
    assert 0 < len(rows) <= 60  # the Qonto accounts' share
    assert {row["status"] for row in rows} == {"pending", "declined", "completed"}


def test_get_transaction(fake: FakeQonto) -> None:
    chosen = fake.ids("transactions")[7]
    result = run(fake, "get", "transaction", chosen)
    assert result.exit_code == 0, result.stderr
    got = msgspec.json.decode(result.stdout)
    assert got["id"] == chosen
    assert got["status"] == fake.record("transactions", chosen)["status"]
    missing = run(fake, "get", "transaction", "00000000-0000-4000-8000-000000000000")
    assert missing.exit_code == 4, missing.output
    account = fake.ids("bank_accounts")[0]
    result = run(fake, "get", "bank-account", account)
    assert result.exit_code == 0, result.stderr
    assert msgspec.json.decode(result.stdout)["id"] == account


def test_sync_keeps_the_bank(fake: FakeQonto, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    bank = "bank-accounts,transactions,labels,memberships"
    result = run(fake, "sync", "--no-progress", "--db", str(db), "--resources", bank)
    assert result.exit_code == 0, result.output
    expected = sum(
        len(fake.ids(r)) for r in ("bank_accounts", "transactions", "labels", "memberships")
    )
    assert f"{expected} new, 0 updated" in result.stderr
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM transactions")}
        pending = conn.execute(
            "SELECT COUNT(*) FROM transactions WHERE status = 'pending' AND settled_at IS NULL"
        ).fetchone()[0]
    assert stored == set(fake.ids("transactions"))
    assert pending == sum(1 for r in served(fake).values() if r["status"] == "pending")
    again = run(fake, "sync", "--no-progress", "--db", str(db), "--resources", bank)
    assert "0 new, 0 updated" in again.stderr


def test_a_sync_killed_mid_transactions_resumes(tmp_path: Path) -> None:
    """SIGKILL while transactions are being stored, then run again: every transaction of the
    fake (built from the same seed as the processes', so the same ids) once, nothing
    deleted, the killed run ``abandoned``."""
    db = tmp_path / "ledger.sqlite"
    query = processes.sqlite_query(db)
    args = ("--resources", "transactions")
    command = processes.sync_command(str(db), *args, size=400, latency_ms=30)
    with processes.reaped(processes.start(command)) as victim:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and victim.poll() is None:
            with contextlib.suppress(sqlite3.Error):  # not a ledger yet
                if query("SELECT COUNT(*) FROM transactions") >= [(60,)]:
                    break
            time.sleep(0.02)
        assert victim.poll() is None, "the sync ended before it could be killed"
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    stored = query("SELECT COUNT(*) FROM transactions")[0][0]
    assert 60 <= stored < 400
    code, err = processes.finish(
        processes.start(processes.sync_command(str(db), *args, size=400, latency_ms=0))
    )
    assert code == 0, err
    same = FakeQonto(  # what --fake --fake-size 400 builds
        seed=0, clients=40, client_invoices=400, supplier_invoices=400,
        transactions=400, bank_accounts=3,
    )  # fmt: skip
    expected = same.ids("transactions")
    rows = [row[0] for row in query("SELECT id FROM transactions")]
    assert sorted(rows) == sorted(expected)  # every one, once
    assert query("SELECT COUNT(*) FROM transactions WHERE deleted_at IS NOT NULL") == [(0,)]
    assert [row[1] for row in processes.runs(query)] == ["abandoned", "done"]
