"""``qonto-async upload supplier-invoices`` at its edges: files it cannot upload, folders with
other files, files uploaded before, big files, and Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qonto_async._cli import upload as upload_module
from qonto_async._cli.app import cli
from qonto_async.resources.supplier_invoices import SupplierInvoicesResource
from qonto_async.testing import FakeQonto

from .cli_env import fake_env, without_qonto_env

REPO = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=8, clients=3, client_invoices=5, supplier_invoices=5, rate_limit=None)
    with server.running_in_thread() as running:
        yield running


def run(fake: FakeQonto, *args: str) -> Result:
    return CliRunner().invoke(cli, ["upload", "supplier-invoices", *args], env=fake_env(fake))


def created(fake: FakeQonto) -> list[str]:
    return [rid for action, name, rid in fake.stats.changes if action == "created"]


def unique_pdf(path: Path) -> Path:
    path.write_bytes(PDF + uuid.uuid4().bytes)
    return path


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_file_it_cannot_upload_stops_the_run_before_any_upload(
    fake: FakeQonto, tmp_path: Path
) -> None:
    good = unique_pdf(tmp_path / "good.pdf")
    notes = tmp_path / "notes.txt"
    notes.write_text("not an invoice")
    before = created(fake)

    result = run(fake, str(good), str(notes), "--no-progress")

    assert result.exit_code == 2, result.output
    _no_traceback(result)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: nothing uploaded: ")
    assert f"{notes}: not a PDF, JPEG or PNG" in line
    assert str(good) not in line
    assert created(fake) == before  # neither file: the good one waits for the bad one


def test_a_folder_names_each_file_it_skips(fake: FakeQonto, tmp_path: Path) -> None:
    unique_pdf(tmp_path / "a.pdf")
    (tmp_path / "notes.txt").write_text("not an invoice")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("x,y\n")

    result = run(fake, str(tmp_path), "--no-progress")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created ")
    assert len(result.stdout.splitlines()) == 1
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == [
        f"skipped {tmp_path / 'notes.txt'}: not a PDF, JPEG or PNG (.pdf, .jpg, .jpeg, .png)",
        f"skipped {tmp_path / 'sub' / 'data.csv'}: not a PDF, JPEG or PNG (.pdf, .jpg, .jpeg, "
        ".png)",
    ]
    assert result.stderr.splitlines()[-1] == "1 uploaded, 0 failed, 2 skipped"


def test_a_file_uploaded_before_says_already_uploaded(tmp_path: Path) -> None:
    first = unique_pdf(tmp_path / "march.pdf")
    copy = tmp_path / "march-copy.pdf"
    copy.write_bytes(first.read_bytes())
    behind = FakeQonto(seed=9, clients=1, client_invoices=1, supplier_invoices=3)
    # Qonto's clock an hour behind ours: what was uploaded before is told by Qonto's
    # timestamps alone, never by the local clock.
    behind.clock = lambda: time.time() - 3600
    with behind.running_in_thread() as fake:
        once = run(fake, str(first), "--no-progress")
        assert once.exit_code == 0, once.output
        status, invoice_id, path = once.stdout.split()
        assert (status, path) == ("created", str(first))

        again = run(fake, str(first), str(copy), "--no-progress")
        assert again.exit_code == 0, again.output
        assert again.stdout.splitlines() == [
            f"already-uploaded {invoice_id} {first}",
            f"already-uploaded {invoice_id} {copy}",  # the same content: the same invoice
        ]
        assert again.stderr.splitlines()[-1] == "0 uploaded, 0 failed, 2 already uploaded"
        assert created(fake).count(invoice_id) == 1

        fresh = run(fake, str(unique_pdf(tmp_path / "april.pdf")), "--no-progress")
        assert fresh.stdout.startswith("created ")


def test_sizes_are_checked_before_any_file_is_read_and_files_are_read_a_batch_at_a_time(
    fake: FakeQonto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline: list[str] = []
    read_bytes = Path.read_bytes
    upload_many = SupplierInvoicesResource.create_many

    def recording_read(path: Path) -> bytes:
        size = path.stat().st_size
        assert size <= 10 * MB, f"{path} ({size} bytes) read into memory"
        timeline.append(f"read {path.name}")
        return read_bytes(path)

    async def recording_upload(
        self: SupplierInvoicesResource, files: list[Any], **options: Any
    ) -> list[Any]:
        timeline.append(f"upload {len(files)}")
        return await upload_many(self, files, **options)

    monkeypatch.setattr(Path, "read_bytes", recording_read)
    monkeypatch.setattr(SupplierInvoicesResource, "create_many", recording_upload)
    huge = []
    for n in range(2):
        path = tmp_path / f"scan-{n}.pdf"
        with path.open("wb") as handle:  # sparse: 11 MB on paper, nothing on disk
            handle.truncate(11 * MB)
        huge.append(path)
    small = [unique_pdf(tmp_path / f"small-{n}.pdf") for n in range(5)]

    refused = run(fake, *map(str, [*small, *huge]), "--no-progress")
    assert refused.exit_code == 2, refused.output
    _no_traceback(refused)
    [line] = refused.stderr.splitlines()
    assert f"{huge[0]}: 11.0 MB, over Qonto's 10 MB" in line
    assert f"{huge[1]}: 11.0 MB" in line
    assert timeline == []  # nothing read, nothing sent: the sizes came from the file system

    # What is held in memory at once is bounded in bytes too (here: two files' worth).
    monkeypatch.setattr(upload_module, "BATCH_BYTES", 2 * (len(PDF) + 16))
    ok = run(fake, *map(str, small), "--no-progress")
    assert ok.exit_code == 0, ok.output
    assert len(ok.stdout.splitlines()) == 5
    assert timeline == [
        "read small-0.pdf", "read small-1.pdf", "upload 2",
        "read small-2.pdf", "read small-3.pdf", "upload 2",
        "read small-4.pdf", "upload 1",
    ]  # fmt: skip


def test_ctrl_c_during_an_upload_to_the_embedded_fake_is_one_line(tmp_path: Path) -> None:
    for n in range(200):
        (tmp_path / f"invoice-{n:03d}.pdf").write_bytes(PDF + str(n).encode())
    env = without_qonto_env()
    # A shell's background job starts with SIGINT ignored: give the child Python's handler.
    starter = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from qonto_async._cli.app import run; run()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", starter, "upload", "supplier-invoices", str(tmp_path),
         "--fake", "--fake-size", "10", "--fake-latency", "400", "--no-progress"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first 80 files are in: the next are in flight
        assert first.startswith(b"created "), proc.communicate(timeout=20)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert stderr.decode().splitlines() == [
        "error: interrupted: files listed above are uploaded; re-run to finish"
    ]


def test_ctrl_c_before_the_upload_starts_is_one_line_and_130(
    fake: FakeQonto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(paths: tuple[str, ...]) -> upload_module.Plan:
        raise KeyboardInterrupt

    monkeypatch.setattr(upload_module, "collect", interrupted)
    result = run(fake, str(unique_pdf(tmp_path / "a.pdf")))
    assert result.exit_code == 130, result.output
    assert result.stderr.splitlines() == ["error: interrupted"]
