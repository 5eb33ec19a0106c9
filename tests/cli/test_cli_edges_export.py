"""``qonto-async export`` at its edges: an output that is a directory, the temporary file a
killed export leaves, a date range that selects nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto

from .cli_env import fake_env, without_qonto_env

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=5, clients=7, client_invoices=40, supplier_invoices=20)
    with server.running_in_thread() as running:
        yield running


def run(fake: FakeQonto, *args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args], env=fake_env(fake))


def test_an_output_that_is_a_directory_is_refused_before_any_request(
    fake: FakeQonto, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    before = fake.stats.total_requests

    result = run(fake, "clients", "-o", str(folder))

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"error: --out {folder} is a directory: name a file, e.g. --out {folder / 'clients.jsonl'}"
    ]
    assert fake.stats.total_requests == before
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]  # no temporary file beside it
    assert list(folder.iterdir()) == []


def _start_slow_export(out: Path) -> subprocess.Popen[bytes]:
    env = without_qonto_env()
    return subprocess.Popen(
        [sys.executable, "-m", "qonto_async.cli", "export", "client-invoices", "--fake",
         "--fake-size", "2000", "--fake-latency", "30", "--per-page", "10", "--prefetch", "1",
         "--out", str(out)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_temporary_file_of_a_killed_export_is_removed_by_the_next_run(
    fake: FakeQonto, tmp_path: Path
) -> None:
    out = tmp_path / "invoices.jsonl"
    proc = _start_slow_export(out)
    try:
        deadline = time.monotonic() + 30
        written: list[Path] = []
        while time.monotonic() < deadline and not written:
            written = [p for p in tmp_path.glob(".invoices.jsonl.*.tmp") if p.stat().st_size]
            assert proc.poll() is None
            time.sleep(0.02)
        assert written, "the export never started writing"
        proc.kill()  # kill -9: no chance to clean up
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    [killed] = written
    assert killed.exists()

    # Files the next run must leave: a run still writing (this process), a temporary file
    # of another output (its writer gone too), someone else's file, and a name without a
    # pid (an older version's) that is still fresh.
    live = tmp_path / f".invoices.jsonl.{os.getpid()}.abcd1234.tmp"
    other_target = tmp_path / f".invoices.jsonl.old.{proc.pid}.abcd1234.tmp"
    unrelated = tmp_path / ".invoices.jsonl.notes"
    fresh_legacy = tmp_path / ".invoices.jsonl.k3j4h5g6.tmp"
    old_legacy = tmp_path / ".invoices.jsonl.z9y8x7w6.tmp"
    for path in (live, other_target, unrelated, fresh_legacy, old_legacy):
        path.write_bytes(b"{}\n")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old_legacy, (two_days_ago, two_days_ago))

    result = run(fake, "clients", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert len(out.read_bytes().splitlines()) == 7
    assert all(msgspec.json.decode(line) for line in out.read_bytes().splitlines())
    assert not killed.exists()
    assert not old_legacy.exists()
    for kept in (live, other_target, unrelated, fresh_legacy):
        assert kept.exists(), kept
    removed = sorted(line for line in result.stderr.splitlines() if line.startswith("removed "))
    assert removed == sorted(
        f"removed {path}: left by an export that was killed" for path in (killed, old_legacy)
    )


@pytest.mark.parametrize(
    ("resource", "low", "high"),
    [
        ("client-invoices", ("--created-at-from", "2025-03-01"), ("--created-at-to", "2025-02-01")),
        (
            "supplier-invoices",
            ("--updated-at-from", "2025-02-01T12:00:00Z"),
            ("--updated-at-to", "2025-02-01T11:59:59Z"),
        ),
        # a date against a timestamp: no time zone puts 2 February before 31 January
        ("clients", ("--updated-at-from", "2025-02-02"), ("--updated-at-to", "2025-01-31T23:00Z")),
    ],
)
def test_a_date_range_that_selects_nothing_is_a_usage_error_before_any_request(
    fake: FakeQonto,
    tmp_path: Path,
    resource: str,
    low: tuple[str, str],
    high: tuple[str, str],
) -> None:
    before = fake.stats.total_requests
    result = run(fake, resource, *low, *high, "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert f"{low[0]} {low[1]} is after {high[0]} {high[1]}" in message
    assert "Traceback" not in result.output
    assert fake.stats.total_requests == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("2025-02-01", "2025-02-01"),  # one day, bounds included
        ("2025-02-01T23:30:00+01:00", "2025-02-01"),  # the same day somewhere
        ("2025-02-01T10:00:00Z", "2025-02-01T10:00:00+00:00"),
    ],
)
def test_a_range_that_can_select_something_passes(fake: FakeQonto, low: str, high: str) -> None:
    result = run(fake, "client-invoices", "--created-at-from", low, "--created-at-to", high)
    assert result.exit_code == 0, result.output
