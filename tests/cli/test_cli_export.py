"""The ``qonto-async`` command against FakeQonto (in a background thread, or embedded)."""

from __future__ import annotations

import csv
import io
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import msgspec
import pytest
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async._cli.output import COLUMNS
from qonto_async.cli import main
from qonto_async.testing import FakeQonto

from .cli_env import QONTO_ENV, without_qonto_env

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=4, clients=9, client_invoices=130, supplier_invoices=70)
    with server.running_in_thread() as running:
        yield running


class Invoke(Protocol):
    def __call__(
        self, *args: str, env_overrides: dict[str, str | None] | None = None
    ) -> Result: ...


@pytest.fixture
def run(fake: FakeQonto) -> Invoke:
    runner = CliRunner()
    env = {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
        "QONTO_ACCESS_TOKEN": None,
        "QONTO_STAGING_TOKEN": None,
    }

    def invoke(*args: str, env_overrides: dict[str, str | None] | None = None) -> Result:
        return runner.invoke(cli, list(args), env={**env, **(env_overrides or {})})

    fake.stats.reset()
    return invoke


def _jsonl(path: Path) -> list[dict[str, object]]:
    lines = path.read_bytes().splitlines()
    return [msgspec.json.decode(line) for line in lines]


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


def test_export_jsonl(run: Invoke, fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "invoices.jsonl"
    result = run("export", "client-invoices", "--out", str(out), "--per-page", "25")
    assert result.exit_code == 0, result.stderr
    records = _jsonl(out)
    assert len(records) == fake.count("client_invoices") == 130
    assert [r["id"] for r in records] == fake.ids("client_invoices")[::-1]  # created_at:desc
    # the ends of each keyset window are served again (see Paginator): at most three times
    assert set(fake.stats.served["client_invoices"].values()) <= {1, 2, 3}
    summary = result.stderr.strip().splitlines()[-1]
    # 130 records at --per-page 25: probe pages of 23 and keyset windows of 25
    assert summary.startswith("client-invoices: done: 130 records, 6 pages, 7 requests, 0 retries")
    assert summary.endswith(f"-> {out}")
    assert "records/s" in summary
    # What the SDK decoded is what went out: amounts are decimal strings, drafts' "" are null.
    first = records[0]
    assert isinstance(first["total_amount"], dict)
    assert isinstance(first["total_amount"]["value"], str)


def test_export_csv(run: Invoke, fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "suppliers.csv"
    result = run("export", "supplier-invoices", "-o", str(out), "--per-page", "30")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 70
    assert list(rows[0]) == [name for name, _ in COLUMNS["supplier_invoices"]]
    assert {r["id"] for r in rows} == set(fake.ids("supplier_invoices"))
    for row in rows:
        raw = fake.record("supplier_invoices", row["id"])
        assert row["status"] == raw["status"]
        assert row["total_amount"] == raw["total_amount"]["value"]
        assert row["is_credit_note"] in ("true", "false")


def test_export_csv_clients_and_client_invoices(run: Invoke, tmp_path: Path) -> None:
    for resource, count in (("clients", 9), ("client-invoices", 130)):
        out = tmp_path / f"{resource}.out"
        result = run("export", resource, "--out", str(out), "--format", "csv")
        assert result.exit_code == 0, result.stderr
        rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert len(rows) == count + 1
        assert len({len(r) for r in rows}) == 1


def test_export_filters(run: Invoke, fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "paid.jsonl"
    result = run("export", "client-invoices", "--status", "paid,unpaid", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    records = _jsonl(out)
    assert len(records) == fake.count("client_invoices", **{"filter[status]": "paid,unpaid"})
    assert {r["status"] for r in records} == {"paid", "unpaid"}

    result = run(
        "export",
        "supplier-invoices",
        "--status",
        "paid",
        "--status",
        "to_review",
        "--due-date",
        "past_and_today",
        "--created-at-from",
        "2023-01-01",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    expected = fake.count(
        "supplier_invoices",
        **{
            "filter[status]": "paid,to_review",
            "filter[due_date]": "past_and_today",
            "filter[created_at_from]": "2023-01-01",
        },
    )
    assert len(_jsonl(out)) == expected > 0


def test_export_to_stdout(run: Invoke) -> None:
    result = run("export", "clients")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 9
    assert all(msgspec.json.decode(line)["id"] for line in lines)
    assert result.stderr.startswith("clients: done: 9 records")


def test_get(run: Invoke, fake: FakeQonto) -> None:
    for kind, resource in (
        ("client-invoice", "client_invoices"),
        ("supplier-invoice", "supplier_invoices"),
        ("client", "clients"),
        ("upload", "client_invoice_uploads"),
    ):
        record_id = fake.ids(resource)[0]
        result = run("get", kind, record_id)
        assert result.exit_code == 0, result.stderr
        assert msgspec.json.decode(result.stdout)["id"] == record_id


def test_get_attachment(run: Invoke, fake: FakeQonto) -> None:
    attachment_id = fake.record("client_invoices", fake.ids("client_invoices")[0])["attachment_id"]
    result = run("get", "attachment", str(attachment_id))
    assert result.exit_code == 0, result.stderr
    assert msgspec.json.decode(result.stdout)["file_name"].endswith(".pdf")


def test_unknown_id(run: Invoke) -> None:
    result = run("get", "client-invoice", "4d5418bb-bd0d-4df4-865c-c07afab8bb48")
    assert result.exit_code == 4
    assert result.stderr.startswith(
        "error: client invoice '4d5418bb-bd0d-4df4-865c-c07afab8bb48' not found"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    _no_traceback(result)


def test_bad_credentials(run: Invoke, fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    result = run(
        "export", "clients", "--out", str(out), env_overrides={"QONTO_SECRET_KEY": "wrong"}
    )
    assert result.exit_code == 3
    assert "error: authentication failed (401 unauthorized)" in result.stderr
    _no_traceback(result)
    assert fake.stats.count(status=401) == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either
    result = run("get", "client", "x", "--secret-key", "wrong")
    assert result.exit_code == 3


def test_missing_credentials(run: Invoke) -> None:
    result = run(
        "export",
        "clients",
        env_overrides=dict.fromkeys(QONTO_ENV),
    )
    assert result.exit_code == 2
    assert "error: no Qonto credentials" in result.stderr
    _no_traceback(result)


def test_network_failure(run: Invoke) -> None:
    result = run(
        "get",
        "client",
        "abc",
        "--base-url",
        "http://127.0.0.1:9",  # discard port: nothing listens
        "--max-retries",
        "0",
    )
    assert result.exit_code == 5
    assert result.stderr.startswith("error: network failure: ")
    _no_traceback(result)


def test_a_failed_export_keeps_the_previous_file(run: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "invoices.jsonl"
    assert run("export", "client-invoices", "--out", str(out)).exit_code == 0
    yesterday = out.read_bytes()
    assert yesterday.count(b"\n") == 130
    failures: tuple[dict[str, str | None], ...] = (
        {"QONTO_SECRET_KEY": "wrong"},  # authentication
        {"QONTO_BASE_URL": "http://127.0.0.1:9"},  # network
    )
    for failing in failures:
        result = run(
            "export",
            "client-invoices",
            "--out",
            str(out),
            "--max-retries",
            "0",
            env_overrides=failing,
        )
        assert result.exit_code in (3, 5), result.stderr
        assert f"({out} left as it was)" in result.stderr
        assert out.read_bytes() == yesterday
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invoices.jsonl"]


def test_a_successful_export_replaces_the_file_keeping_its_mode(
    run: Invoke, tmp_path: Path
) -> None:
    out = tmp_path / "clients.jsonl"
    out.write_bytes(b"old\n")
    out.chmod(0o640)
    result = run("export", "clients", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"-> {out}" in result.stderr
    assert len(_jsonl(out)) == 9
    assert out.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("client-invoices", "--status", "payed"),
            "unknown status 'payed': choose from draft, unpaid, paid, canceled",
        ),
        (("client-invoices", "--status", "paid,cancelled"), "unknown status 'cancelled'"),
        (("supplier-invoices", "--status", "draft"), "to_review, to_approve"),
        (("client-invoices", "--created-at-from", "2025-13-01"), "'2025-13-01' is neither a date"),
        (("client-invoices", "--updated-at-to", "yesterday"), "timestamp with an offset"),
        (("clients", "--updated-at-from", "2025-01-31T12:00:00"), "timestamp with an offset"),
        (("client-invoices", "--base-url", "thirdparty.qonto.com"), "absolute http(s) URL"),
    ],
)
def test_bad_input_is_a_usage_error_before_any_request(
    run: Invoke, fake: FakeQonto, args: tuple[str, ...], message: str
) -> None:
    before = fake.stats.total_requests
    result = run("export", *args)
    assert result.exit_code == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert fake.stats.total_requests == before
    _no_traceback(result)


@pytest.mark.parametrize(
    "moment", ["2025-01-31", "2025-01-31T12:00:00Z", "2025-01-31T12:00:00.5+01:00"]
)
def test_good_dates_pass(run: Invoke, moment: str) -> None:
    result = run("export", "client-invoices", "--created-at-from", moment, "--status", "paid")
    assert result.exit_code == 0, result.stderr


def test_a_base_url_ending_in_v2_works(run: Invoke, fake: FakeQonto) -> None:
    result = run("export", "clients", "--base-url", f"{fake.base_url}/v2")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 9


def test_usage_errors(run: Invoke) -> None:
    result = run("export", "clients", "--fake", "--fake-faults", "explode=1")
    assert result.exit_code == 2
    assert "explode" in result.stderr
    result = run("export", "clients", "--sandbox", env_overrides={"QONTO_BASE_URL": None})
    assert result.exit_code == 2
    assert "staging token" in result.stderr
    result = run("export", "clients", "--name", "a")
    assert result.exit_code == 2
    assert "2 characters" in result.stderr
    result = run("export", "nothing")
    assert result.exit_code == 2


def test_embedded_fake_with_faults(tmp_path: Path) -> None:
    out = tmp_path / "fake.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "client-invoices",
            "--fake",
            "--fake-size",
            "150",
            "--fake-faults",
            "seq=503+429+500:empty,retry_after=0,error_retry_after=0",
            "--per-page",
            "50",
            "--out",
            str(out),
        ],
        env=dict.fromkeys(QONTO_ENV),
    )
    assert result.exit_code == 0, result.stderr
    records = _jsonl(out)
    assert len(records) == 150
    assert len({r["id"] for r in records}) == 150
    assert result.stderr.startswith(
        "[fake] client-invoices: done: 150 records, 4 pages, 8 requests, 3 retries"
    )


def test_progress_bar_when_asked(run: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    result = run("export", "supplier-invoices", "--progress", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "supplier-invoices" in result.stderr
    assert len(_jsonl(out)) == 70


def test_the_summary_says_when_the_rate_limit_made_it_wait(run: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    result = run(
        "export",
        "supplier-invoices",
        "--per-page",
        "35",
        "--prefetch",
        "1",
        "--requests-per-second",
        "0.9",
        "--progress",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert len(_jsonl(out)) == 70
    assert re.search(r"waited \d\.\d s for the rate limit", result.stderr), result.stderr
    assert "supplier-invoices ━" in result.stderr
    assert "rate limit:" in result.stderr.split("\n")[0]  # the progress bar's own column


# -- interruption ------------------------------------------------------------------------


def _start_slow_export(out: Path, fmt: str) -> subprocess.Popen[bytes]:
    env = without_qonto_env()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qonto_async.cli",
            "export",
            "client-invoices",
            "--fake",
            "--fake-size",
            "2000",
            "--fake-latency",
            "30",
            "--per-page",
            "10",
            "--prefetch",
            "1",
            "--format",
            fmt,
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _interrupt_when_started(proc: subprocess.Popen[bytes], out: Path, sig: int) -> bytes:
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            written = list(out.parent.glob(f".{out.name}.*.tmp"))
            if written and written[0].stat().st_size > 20_000:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.02)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_jsonl_export_leaves_a_valid_partial_file(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "invoices.jsonl"
    out.write_bytes(b'{"kept": true}\n')
    proc = _start_slow_export(out, "jsonl")
    stderr = _interrupt_when_started(proc, out, sig).decode()
    assert proc.returncode == 130, stderr
    partial = tmp_path / "invoices.jsonl.partial"
    records = _jsonl(partial)  # every line is a whole record
    assert 0 < len(records) < 2000
    assert len(records) % 8 == 0  # whole pages only: a probe page of per_page - 2
    assert out.read_bytes() == b'{"kept": true}\n'  # the last complete export is untouched
    assert "client-invoices: interrupted:" in stderr
    assert f"{len(records)} records" in stderr
    assert f"-> {partial} ({out} left as it was)" in stderr
    assert f"records written so far are in {partial}" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, partial.name]
    assert "Traceback" not in stderr


def test_interrupted_csv_export_leaves_a_valid_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "invoices.csv"
    proc = _start_slow_export(out, "csv")
    stderr = _interrupt_when_started(proc, out, signal.SIGINT).decode()
    assert proc.returncode == 130, stderr
    assert not out.exists()
    partial = tmp_path / "invoices.csv.partial"
    rows = list(csv.reader(io.StringIO(partial.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header == [name for name, _ in COLUMNS["client_invoices"]]
    assert 0 < len(body) < 2000
    assert all(len(row) == len(header) for row in body)


def test_closed_output_pipe_stops_quietly() -> None:
    env = without_qonto_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qonto_async.cli", "export", "client-invoices", "--fake"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.read(10)
        proc.stdout.close()
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 141
    assert b"client-invoices: output closed:" in stderr
    assert b"Traceback" not in stderr


def test_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert "qonto-async, version" in capsys.readouterr().out


def test_entry_point_without_the_cli_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "qonto_async._cli.app")
    monkeypatch.setitem(sys.modules, "click", None)
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 2
    assert "pip install 'qonto-async[cli]'" in capsys.readouterr().err
